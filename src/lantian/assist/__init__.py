"""Assistance services (帮扶): self-checks, training, libraries, questions, surveys, scoring."""
