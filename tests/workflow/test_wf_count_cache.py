"""The inbox count is reused for the same scope and filters until a write or commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from lantian.db import resultcache
from lantian.workflow import queries as wq


@pytest.fixture
def counted(world: Any) -> Iterator[tuple[Any, list[str]]]:
    """The world with 6 committed FLATLINE leads, and a log of the count statements."""
    s = world.session
    for i in range(6):
        s.add(
            W.make_lead(
                f"LC{i}", "EA", subject_id=f"PC{i}", family="FLATLINE", start=W.T0 + timedelta(i)
            )
        )
    s.commit()
    resultcache.forget_all()
    log: list[str] = []
    engine = s.get_bind()

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT("):
            log.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield world, log
    event.remove(engine, "before_cursor_execute", note)


def _total(world: Any, **kw: Any) -> int:
    """The inbox total of admin in a fresh session (its own transaction)."""
    with Session(bind=world.session.get_bind()) as s:
        return wq.list_leads(s, world.admin, wq.LeadFilters(family="FLATLINE", limit=2, **kw)).total


def test_count_reused_across_pages_and_sorts(counted: tuple[Any, list[str]]) -> None:
    world, log = counted
    assert _total(world) == 6
    assert _total(world, offset=2, sort="start") == 6
    assert _total(world, offset=4, sort="-severity") == 6
    assert len(log) == 1
    assert _total(world, severity=2) == 6  # other filters: counted again
    assert len(log) == 2


def test_a_commit_forgets_the_counts(counted: tuple[Any, list[str]]) -> None:
    world, log = counted
    assert _total(world) == 6
    world.session.add(W.make_lead("LC9", "EA", subject_id="PC9", family="FLATLINE"))
    world.session.commit()
    assert _total(world) == 7
    assert len(log) == 2


def test_own_uncommitted_writes_are_counted(counted: tuple[Any, list[str]]) -> None:
    world, _log = counted
    assert _total(world) == 6
    with Session(bind=world.session.get_bind()) as s:
        s.add(W.make_lead("LC8", "EA", subject_id="PC8", family="FLATLINE"))
        s.flush()
        page = wq.list_leads(s, world.admin, wq.LeadFilters(family="FLATLINE", limit=2))
        assert page.total == 7
        s.rollback()
    assert _total(world) == 6


def test_counts_expire(counted: tuple[Any, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    world, log = counted
    monkeypatch.setattr(wq._COUNTS, "ttl_s", 0.0)
    assert _total(world) == 6
    assert _total(world) == 6
    assert len(log) == 2


def _ids_seen(world: Any, user: Any) -> set[str]:
    with Session(bind=world.session.get_bind()) as s:
        return {r.lead_id for r in wq.list_leads(s, user, wq.LeadFilters(limit=500)).rows}


def test_scope_id_lists_reused_until_a_commit(world: Any) -> None:
    from lantian.registry.models import Enterprise

    s = world.session
    s.commit()
    resultcache.forget_all()
    lookups: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM enterprises" in statement and "leads" not in statement:
            lookups.append(statement)

    engine = s.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        before = _ids_seen(world, world.city_a)
        assert _ids_seen(world, world.city_a) == before
        assert len(lookups) == 1  # the city's enterprise ids, looked up once
        s.add(
            Enterprise(
                enterprise_id="EZ",
                name="甲市新企业",
                credit_code="91110000000000009Z",
                industry="steel",
                city="甲市",
            )
        )
        s.add(W.make_lead("LZ", "EZ", subject_id="PZ"))
        s.commit()  # forgets the id lists: the new enterprise's lead is in scope at once
        assert _ids_seen(world, world.city_a) == before | {"LZ"}
        assert "LZ" not in _ids_seen(world, world.city_b)
    finally:
        event.remove(engine, "before_cursor_execute", note)
