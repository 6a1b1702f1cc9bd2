"""Migrations build the whole schema on both backends, and models match migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import lantian.db.models  # noqa: F401
from lantian.db.base import Base
from lantian.db.session import get_engine
from lantian.settings import Settings

pytestmark = pytest.mark.real_migrations


def test_migrations_create_every_table(db_settings: Settings) -> None:
    engine = get_engine(db_settings)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_agree(db_settings: Settings) -> None:
    engine = get_engine(db_settings)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models differ from migrations; add a revision: {diff}"
