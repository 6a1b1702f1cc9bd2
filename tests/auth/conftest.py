"""Fixtures of the auth tests: a session on SQLite and PostgreSQL with two enterprises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from lantian.db.session import session_factory
from lantian.registry.models import Enterprise
from lantian.settings import Settings

PASSWORD = "Lantian-Test-2024!"


_HASHES: dict[str, str] = {}


def _cached_hash(password: str) -> str:
    """argon2 is deliberately slow: hash each test password once per test run."""
    from lantian.auth.passwords import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@pytest.fixture
def session(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setattr("lantian.auth.service.hash_password", _cached_hash)
    s = session_factory(db_settings)()
    s.add_all(
        [
            Enterprise(
                enterprise_id="EA",
                name="甲市钢铁有限公司",
                credit_code="91130100MA0000001A",
                industry="steel",
                city="甲市",
                district="一区",
                positive_list=False,
            ),
            Enterprise(
                enterprise_id="EB",
                name="乙市水泥有限公司",
                credit_code="91140100MA0000003C",
                industry="cement",
                city="乙市",
                district="三区",
                positive_list=False,
            ),
        ]
    )
    s.commit()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
