"""Operational database: SQLAlchemy 2 models and Alembic migrations.

SQLite in ``LANTIAN_HOME`` by default; PostgreSQL via ``LANTIAN_DATABASE_URL``.
Migrations apply themselves on first use (:func:`lantian.db.session.get_engine`).
"""

from lantian.db.base import Base
from lantian.db.session import get_engine, migrate, session_scope

__all__ = ["Base", "get_engine", "migrate", "session_scope"]
