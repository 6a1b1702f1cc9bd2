"""Closed-loop case workflow: lead → dispatch → check → rectification → review → close-out."""
