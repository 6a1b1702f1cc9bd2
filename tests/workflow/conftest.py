"""Fixtures of the workflow tests: ``world`` (see world.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lantian.db.session import session_factory
from lantian.settings import Settings


def _load_world() -> Any:
    name = "lantian_test_world"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "world.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


W = _load_world()


_HASHES: dict[str, str] = {}


def _cached_hash(password: str) -> str:
    """argon2 is deliberately slow: hash each test password once per test run."""
    from lantian.auth.passwords import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@pytest.fixture
def world(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr("lantian.auth.service.hash_password", _cached_hash)
    session = session_factory(db_settings)()
    try:
        yield W.build_world(session)
    finally:
        session.rollback()
        session.close()
