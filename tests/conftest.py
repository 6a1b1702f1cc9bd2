"""Shared fixtures: an isolated LANTIAN_HOME per test and databases on SQLite and PostgreSQL.

Database tests take the ``db_settings`` fixture, which runs them twice: on a SQLite file
and on PostgreSQL (``LANTIAN_TEST_POSTGRES_URL``; each test gets its own database). Outside
CI the PostgreSQL variant is skipped with a reason when the URL is unset; in CI
(``CI=true``) a missing URL is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._fastdb import clone_postgres, empty_postgres_schema, fast_migrate

import lantian.db.session
from lantian.db.session import dispose_engines
from lantian.db.session import migrate as _real_migrate
from lantian.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
DEV_CITY = SHARED_DIR / "datasets" / "dev-city"
TESTS_DATA_DIR = Path(__file__).parent / "data"
os.environ.setdefault("LANTIAN_NOTIFY_INTERVAL_S", "0")  # module-scoped apps too (see below)


def pytest_configure(config: pytest.Config) -> None:
    """Hash test passwords with cheap argon2id parameters.

    Production keeps the library defaults (64 MiB, 3 passes: about 0.1 s per login by
    design); the suite logs in thousands of times. Hashes still are argon2id, verified by
    the same code. Subprocesses (CLI tests) use the production parameters.
    """
    from argon2 import PasswordHasher

    import lantian.auth.passwords as passwords
    import lantian.auth.service as service

    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords.DUMMY_HASH = passwords._HASHER.hash("lantian-dummy-password-for-timing")
    service.DUMMY_HASH = passwords.DUMMY_HASH


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
def lantian_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """Every test runs with its own empty LANTIAN_HOME and default settings.

    Fresh databases are migrated by copying a template (``tests/_fastdb.py``) unless the
    test is marked ``real_migrations``.
    """
    home = tmp_path / "lantian-home"
    if request.node.get_closest_marker("real_migrations") is None:
        monkeypatch.setattr(lantian.db.session, "migrate", fast_migrate(_real_migrate))
    if request.node.get_closest_marker("real_gc_freeze") is None:
        # Each TestClient start would freeze the whole heap (lantian.web.app.freeze_heap):
        # thousands of apps per process would never be freed, and every start would pay a
        # full collection.
        import lantian.web.app as web_app

        monkeypatch.setattr(web_app, "freeze_heap", lambda: None)
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
    """Settings whose database is SQLite (in LANTIAN_HOME) or a fresh PostgreSQL database.

    On PostgreSQL each test gets a database cloned from a migrated template
    (``tests/_fastdb.py``); tests marked ``real_migrations`` get an empty schema instead.
    """
    if request.param == "sqlite":
        get_settings.cache_clear()
        yield get_settings()
        return
    base = _postgres_url()
    if not base:
        pytest.skip("LANTIAN_TEST_POSTGRES_URL is not set (PostgreSQL tests run in CI)")
    if request.node.get_closest_marker("real_migrations") is None:
        url, drop = clone_postgres(base, _real_migrate)
    else:
        url, drop = empty_postgres_schema(base)
    monkeypatch.setenv("LANTIAN_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        dispose_engines()
        drop()


@pytest.fixture
def dev_city() -> Path:
    """The shared dev-city bundle (tests that need it skip where shared/ is absent)."""
    if not DEV_CITY.exists():
        pytest.skip("../shared/datasets/dev-city is not present")
    return DEV_CITY
