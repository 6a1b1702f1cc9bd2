"""Alembic environment: runs on the connection handed over by :func:`lantian.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import lantian.db.models  # noqa: F401  (registers every model)
from lantian.db.base import Base
from lantian.settings import get_settings

target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(get_settings().effective_database_url)
        with engine.begin() as conn:
            _run_with(conn)
    else:
        _run_with(connection)


def _run_with(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
