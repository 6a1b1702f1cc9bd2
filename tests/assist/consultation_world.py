"""One seeded app per test module for the consultation, survey and scoring tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, bearer, seed

from lantian.auth.models import User
from lantian.db.session import dispose_engines, session_scope
from lantian.settings import get_settings
from lantian.web.app import create_app


@contextmanager
def world(home: Path) -> Iterator[dict[str, Any]]:
    """A seeded SQLite database under ``home`` and its app (tests/web/conftest.py seed)."""
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    settings = get_settings()
    seeded: Seeded = seed(settings)
    app = create_app(settings)
    clients: dict[str, tuple[TestClient, dict[str, str]]] = {}

    def api(username: str) -> tuple[TestClient, dict[str, str]]:
        if username not in clients:
            c = TestClient(app)
            c.__enter__()
            clients[username] = (c, bearer(c, username))
        return clients[username]

    def user(db: Any, username: str) -> User:
        u = db.get(User, seeded.user_ids[username])
        assert u is not None
        return u

    try:
        yield {
            "app": app,
            "settings": settings,
            "seeded": seeded,
            "api": api,
            "user": user,
            "session": lambda: session_scope(settings),
        }
    finally:
        for c, _h in clients.values():
            c.__exit__(None, None, None)
        dispose_engines()
        get_settings.cache_clear()
        if old is None:
            os.environ.pop("LANTIAN_HOME", None)
        else:
            os.environ["LANTIAN_HOME"] = old
