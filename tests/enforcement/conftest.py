"""Fixtures of the enforcement tests: the workflow tests' ``world`` on SQLite and PostgreSQL."""

from tests.workflow.conftest import W, world

__all__ = ["W", "world"]
