"""Migrate each test database by copying a template built once per test process.

Running every Alembic revision takes 2–5 s per fresh database (measured under load: SQLite
2.2 s, PostgreSQL 4.5 s), and about a thousand tests create one. The first database of
each kind in a test process is migrated for real; every later *empty* database gets the
same result without Alembic:

- SQLite: the migrated template file is copied before the engine first connects.
- PostgreSQL: each test gets its own database created from a migrated template database
  (:func:`clone_postgres`), so the real :func:`lantian.db.session.migrate` finds it at
  the newest revision and has nothing to do.

A SQLite database that already has content (a test that reopens a home) goes through the
real migrate. Tests marked ``real_migrations`` always migrate for real (on PostgreSQL in
a fresh, empty schema).
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_template_name: str | None = None

Migrate = Callable[[Engine], None]


def _sqlite_path(engine: Engine) -> Path | None:
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    return Path(db)


def _build_sqlite_template(real: Migrate) -> Path:
    path = Path(tempfile.mkdtemp(prefix="lantian-dbtemplate-")) / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        real(engine)
    finally:
        engine.dispose()
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
    finally:
        con.close()
    return path


def _admin(base_url: str) -> Engine:
    return create_engine(base_url, isolation_level="AUTOCOMMIT")


def _pg_template(base_url: str, real: Migrate) -> str:
    """The name of this process's migrated template database (built on first use)."""
    global _pg_template_name
    with _lock:
        if _pg_template_name is None:
            base = make_url(base_url)
            name = f"{base.database}_tpl_{uuid.uuid4().hex[:8]}"
            _admin_execute(base_url, f'CREATE DATABASE "{name}"')
            engine = create_engine(base.set(database=name))
            try:
                real(engine)
            finally:
                engine.dispose()
            _pg_template_name = name
            atexit.register(_drop_database, base_url, name)
        return _pg_template_name


def _admin_execute(base_url: str, sql: str) -> None:
    admin = _admin(base_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def _drop_database(base_url: str, name: str) -> None:
    _admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clone_postgres(base_url: str, real: Migrate) -> tuple[str, Callable[[], None]]:
    """A fresh, migrated PostgreSQL database for one test: its URL and how to drop it.

    ``CREATE DATABASE … TEMPLATE … STRATEGY WAL_LOG`` copies the template's blocks
    (about 0.2 s each way under load, against 2.6 s for migrating a fresh schema).
    """
    template = _pg_template(base_url, real)
    base = make_url(base_url)
    name = f"{base.database}_{uuid.uuid4().hex[:12]}"
    _admin_execute(base_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG')
    url = base.set(database=name).render_as_string(hide_password=False)
    return url, lambda: _drop_database(base_url, name)


def empty_postgres_schema(base_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh, empty schema (for tests of the migrations themselves): URL and drop."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _admin_execute(base_url, f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base_url else "?"
    url = f"{base_url}{sep}options=-csearch_path%3D{schema}"
    return url, lambda: _admin_execute(base_url, f'DROP SCHEMA "{schema}" CASCADE')


def fast_migrate(real: Migrate) -> Migrate:
    """A ``migrate`` that copies a template into empty databases (see the module doc)."""

    def migrate(engine: Engine) -> None:
        global _sqlite_template
        dialect = engine.dialect.name
        if dialect == "sqlite":
            path = _sqlite_path(engine)
            if path is None or (path.exists() and path.stat().st_size > 0):
                real(engine)
                return
            with _lock:
                if _sqlite_template is None:
                    _sqlite_template = _build_sqlite_template(real)
            shutil.copyfile(_sqlite_template, path)
            return
        real(engine)

    return migrate
