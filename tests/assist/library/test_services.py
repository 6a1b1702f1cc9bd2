"""Typical cases from closed cases (anonymised draft, refusal of identifying text) and the
policy handbook search (SQLite; one PostgreSQL parity test at the end)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.assist.conftest import W

from lantian.assist.library import queries as lq
from lantian.assist.library import services as ls
from lantian.assist.library.models import TypicalCase
from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError


def test_a_closed_case_becomes_an_anonymised_typical_case(sworld: Any) -> None:
    s, w = sworld.session, sworld
    case = W.drive(s, w, "closed")
    case.finding = (
        f"甲市钢铁有限公司烧结机头颗粒物超标，{w.admin.display_name}现场检查，"
        "联系人电话 13912345678，信用代码 91130100MA0000001A"
    )
    s.flush()
    draft = ls.draft_from_case(s, w.city_a, case.case_id)
    assert "甲市钢铁" not in draft.facts and "某企业" in draft.facts
    assert w.admin.display_name not in draft.facts and "某某" in draft.facts
    assert "13912345678" not in draft.facts and "91130100MA0000001A" not in draft.facts
    assert draft.industry == "steel" and draft.family == case.family
    with pytest.raises(ValidationError, match="可识别信息"):
        ls.save_case(
            s, w.city_a, title=draft.title, facts=case.finding, source_case_id=case.case_id
        )
    row = ls.save_case(
        s,
        w.city_a,
        title=draft.title,
        facts=draft.facts,
        industry=draft.industry,
        family=draft.family,
        handling=draft.handling,
        source_case_id=case.case_id,
    )
    assert row.source_case_id == case.case_id
    assert [c.entry_id for c in lq.search_cases(s, industry="steel")] == [row.entry_id]
    assert lq.search_cases(s, industry="cement") == []
    assert [c.entry_id for c in lq.search_cases(s, q="烧结机头")] == [row.entry_id]


def test_only_officers_and_only_closed_cases(sworld: Any) -> None:
    s, w = sworld.session, sworld
    open_case = W.drive(s, w, "confirmed")
    with pytest.raises(InvalidTransition):
        ls.draft_from_case(s, w.admin, open_case.case_id)
    with pytest.raises(PermissionDenied):
        ls.save_case(s, w.ent_a, title="案例标题", facts="某企业颗粒物超标两倍以上")
    with pytest.raises(ValidationError, match="industry"):
        ls.save_case(s, w.admin, title="案例标题", facts="某企业颗粒物超标两倍以上", industry="x")
    assert s.scalar(select(func.count()).select_from(TypicalCase)) == 0


def _policies(s: Any, user: Any) -> None:
    ls.save_policy(
        s, user, title="学法减罚实施意见", issuer="甲市生态环境局", doc_number="甲环〔2026〕3号",
        tags=["学法减罚", "行政处罚"], effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 12, 31), body="组织学习法律法规并考试，合格的依规减轻罚款。",
    )  # fmt: skip
    ls.save_policy(
        s, user, title="百分号 100% 的说明", issuer="生态环境部", tags=["学法"],
        body="本文件用于检验搜索时百分号与下划线_的转义。",
    )  # fmt: skip


def test_policy_search_by_words_and_exact_tag(sworld: Any) -> None:
    s, w = sworld.session, sworld
    _policies(s, w.admin)
    assert [p.title for p in lq.search_policies(s, tag="学法减罚")] == ["学法减罚实施意见"]
    assert [p.title for p in lq.search_policies(s, tag="学法")] == ["百分号 100% 的说明"]
    assert [p.title for p in lq.search_policies(s, q="100%")] == ["百分号 100% 的说明"]
    assert [p.title for p in lq.search_policies(s, q="甲环〔2026〕3号")] == ["学法减罚实施意见"]
    assert lq.search_policies(s, q="_的转") and not lq.search_policies(s, q="%无此%")
    doc = lq.search_policies(s, tag="学法减罚")[0]
    assert lq.in_force(doc, dt.date(2026, 12, 31)) and not lq.in_force(doc, dt.date(2027, 1, 1))
    with pytest.raises(ValidationError, match="effective_to"):
        ls.save_policy(
            s, w.admin, title="标题", issuer="局", body="正文正文正文正文正文",
            effective_from=dt.date(2026, 2, 1), effective_to=dt.date(2026, 1, 1),
        )  # fmt: skip


def test_policy_search_on_postgresql_too(world: Any) -> None:
    """Parity: LIKE with escapes and the tag match behave the same on PostgreSQL."""
    s, w = world.session, world
    _policies(s, w.admin)
    assert [p.title for p in lq.search_policies(s, tag="学法")] == ["百分号 100% 的说明"]
    assert [p.title for p in lq.search_policies(s, q="100%")] == ["百分号 100% 的说明"]
