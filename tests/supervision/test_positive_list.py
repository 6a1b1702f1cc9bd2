"""正面清单 review: additions and removals follow the entry criteria, with reasons."""

from __future__ import annotations

import datetime as dt

from lantian.supervision.config import load_config
from lantian.supervision.facts import EnterpriseFacts, LeadFact
from lantian.supervision.positive_list import review_json, review_positive_list

AS_OF = dt.date(2026, 12, 2)


def _ent(eid: str, **kw: object) -> EnterpriseFacts:
    base: dict[str, object] = {
        "enterprise_id": eid,
        "industry": "cement",
        "city": "C",
        "district": "D",
        "grade": "A",
        "positive_list": False,
        "outlets": 2,
    }
    base.update(kw)
    return EnterpriseFacts(**base)  # type: ignore[arg-type]


def test_review_proposes_additions_and_removals_with_reasons() -> None:
    crit = load_config().positive_list
    recent = LeadFact("EXCEEDANCE", AS_OF - dt.timedelta(days=30), False, "confirmed")
    old = LeadFact("EXCEEDANCE", AS_OF - dt.timedelta(days=500), False, "confirmed")
    fp = LeadFact("EXCEEDANCE", AS_OF - dt.timedelta(days=5), False, "false_positive")
    ents = [
        _ent("E1"),  # meets all: add
        _ent("E2", leads=(old, fp)),  # old confirmed and a false positive: still add
        _ent("E3", grade="C"),  # grade fails: nothing (not listed)
        _ent("E4", positive_list=True),  # listed and fine: nothing
        _ent("E5", positive_list=True, leads=(recent,)),  # remove: recent confirmed lead
        _ent("E6", positive_list=True, open_cases=1, grade=None),  # remove: two reasons
    ]
    props = review_positive_list(ents, crit, AS_OF)
    got = {p.enterprise_id: p for p in props}
    assert set(got) == {"E1", "E2", "E5", "E6"}
    assert got["E1"].change == "add" and len(got["E1"].reasons) == 3
    assert got["E5"].change == "remove"
    assert got["E5"].reasons == (
        f"近12个月有1条认定属实的线索（最近一条结束于{recent.end.isoformat()}）",
    )
    assert got["E6"].change == "remove"
    assert got["E6"].reasons == (
        "绩效分级为未分级，不属于纳入等级（A级、引领性、B级）",
        "有1件未办结案件",
    )
    out = review_json(props, crit, AS_OF)
    assert out["as_of"] == "2026-12-02"
    assert [p["change"] for p in out["proposals"]] == ["add", "add", "remove", "remove"]
