"""Data-transmission protocols spoken by monitoring devices (HJ 212)."""
