"""Fixtures of the enforcement tests: the workflow tests' ``world`` on SQLite and PostgreSQL,
and the web tests' seeded SQLite database."""

from tests.web.conftest import seeded_sqlite
from tests.workflow.conftest import W, world

__all__ = ["W", "seeded_sqlite", "world"]
