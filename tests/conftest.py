"""Shared fixtures: an isolated LANTIAN_HOME per test and databases on SQLite and PostgreSQL.

Database tests take the ``db_settings`` fixture, which runs them twice: on a SQLite file
and on PostgreSQL (``LANTIAN_TEST_POSTGRES_URL``; each test gets its own schema). Outside
CI the PostgreSQL variant is skipped with a reason when the URL is unset; in CI
(``CI=true``) a missing URL is an error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lantian.db.session import dispose_engines
from lantian.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
DEV_CITY = SHARED_DIR / "datasets" / "dev-city"
TESTS_DATA_DIR = Path(__file__).parent / "data"
os.environ.setdefault("LANTIAN_NOTIFY_INTERVAL_S", "0")  # module-scoped apps too (see below)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the long tests first (Spark, then other ``slow`` ones), keeping the order otherwise.

    ``make test`` runs the suite on two pytest-xdist workers; a several-minute Spark test
    collected last would otherwise run alone at the end while the other worker idles.
    """

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("spark") and item.get_closest_marker("slow"):
            return 0
        if item.get_closest_marker("slow"):
            return 1
        return 2

    items.sort(key=rank)


def _postgres_url() -> str | None:
    url = os.environ.get("LANTIAN_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        raise RuntimeError("CI must set LANTIAN_TEST_POSTGRES_URL (see .ci/run)")
    return url


@pytest.fixture(autouse=True)
def lantian_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test runs with its own empty LANTIAN_HOME and default settings."""
    home = tmp_path / "lantian-home"
    for key in list(os.environ):
        if key.startswith("LANTIAN_") and key != "LANTIAN_TEST_POSTGRES_URL":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LANTIAN_HOME", str(home))
    # no background outbox delivery in tests (it would race the outbox under test)
    monkeypatch.setenv("LANTIAN_NOTIFY_INTERVAL_S", "0")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    dispose_engines()


@pytest.fixture(params=["sqlite", "postgres"])
def db_settings(
    request: pytest.FixtureRequest, lantian_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings whose database is SQLite (in LANTIAN_HOME) or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        get_settings.cache_clear()
        yield get_settings()
        return
    base = _postgres_url()
    if not base:
        pytest.skip("LANTIAN_TEST_POSTGRES_URL is not set (PostgreSQL tests run in CI)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    monkeypatch.setenv("LANTIAN_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def dev_city() -> Path:
    """The shared dev-city bundle (tests that need it skip where shared/ is absent)."""
    if not DEV_CITY.exists():
        pytest.skip("../shared/datasets/dev-city is not present")
    return DEV_CITY
