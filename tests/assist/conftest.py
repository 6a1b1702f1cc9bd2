"""Fixtures of the assistance tests: the workflow tests' ``world`` on SQLite only
(``sworld``; database behaviour is covered by one PostgreSQL parity test per service)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.workflow.conftest import W, _cached_hash, world

from lantian.db.session import session_factory
from lantian.settings import get_settings


@pytest.fixture
def sworld(lantian_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr("lantian.auth.service.hash_password", _cached_hash)
    get_settings.cache_clear()
    session = session_factory(get_settings())()
    try:
        yield W.build_world(session)
    finally:
        session.rollback()
        session.close()


def right_answers(session: Any, attempt: Any) -> dict[int, list[int]]:
    """The correct shown positions of every question of an attempt's paper."""
    from lantian.assist.training.services import bank_of

    bank = bank_of(session, attempt.course_id)
    out: dict[int, list[int]] = {}
    for item in attempt.paper:
        qid = int(item["question_id"])
        out[qid] = [list(item["order"]).index(i) for i in sorted(bank[qid].answer)]
    return out


def wrong_answers(session: Any, attempt: Any) -> dict[int, list[int]]:
    """Every question answered wrongly (a wrong option, or an incomplete multiple choice)."""
    right = right_answers(session, attempt)
    out: dict[int, list[int]] = {}
    for item in attempt.paper:
        qid = int(item["question_id"])
        others = [p for p in range(len(item["order"])) if p not in right[qid]]
        out[qid] = others[:1] or right[qid][:1]
    return out


__all__ = ["W", "right_answers", "sworld", "world", "wrong_answers"]
