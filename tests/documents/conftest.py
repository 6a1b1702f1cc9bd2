"""Fixtures of the document tests: the workflow tests' ``world`` on SQLite and PostgreSQL."""

from tests.workflow.conftest import W, world

__all__ = ["W", "world"]
