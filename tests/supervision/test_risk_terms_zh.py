"""Every risk term's label and explanation come from the vocabulary in zh and en: a table of
terms and variants, the zh scanner over each sentence, and over the plan detail page and
the enterprise risk fragment (Chinese pages showed English explanations, issue #13)."""

from __future__ import annotations

import datetime as dt
from datetime import date

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.supervision.test_web import _world
from tests.web.conftest import login
from tests.web.test_zh_pages import ALLOW

from lantian.supervision.config import load_config
from lantian.supervision.facts import EnterpriseFacts, LeadFact
from lantian.supervision.risk import risk_score
from lantian.timeutil import now_cst
from lantian.vocab.risk import EXPLANATIONS, RISK_TERMS, explain, plan_reason
from lantian.web.app import create_app

ARGS: list[tuple[str, dict[str, object]]] = [
    ("base", {}),
    ("industry", {"industry": "steel"}),
    ("size", {"outlets": 3, "per_outlet": 1.5, "cap": 10}),
    ("confirmed_leads", {"n": 2, "months": 24, "families": ("EXCEEDANCE", "FLATLINE"), "cap": 30}),
    ("confirmed_leads", {"n": 0, "months": 24, "families": (), "cap": 30}),
    ("open_leads", {"n": 1, "cap": 10}),
    ("open_cases", {"n": 0, "cap": 10}),
    ("grade", {"variant": "graded", "grade": "B-"}),
    ("grade", {"variant": "none"}),
    ("positive_list", {"variant": "on"}),
    ("positive_list", {"variant": "off"}),
    ("since_visit", {"variant": "never", "months": 24}),
    ("since_visit", {"variant": "visited", "date": "2026-03-01", "months": 9}),
    ("self_check", {"variant": "none"}),
    ("self_check", {"variant": "share", "share": 0.25}),
    ("credit", {"credit_grade": "yellow"}),
]


def test_every_term_and_variant_is_explained() -> None:
    covered = {(code, str(a.get("variant", ""))) for code, a in ARGS}
    declared = {(code, v) for code, vs in EXPLANATIONS.items() for v in vs}
    assert covered == declared
    assert set(EXPLANATIONS) == set(RISK_TERMS.codes())


@pytest.mark.parametrize(("code", "args"), ARGS)
def test_explanations_in_chinese_and_english(code: str, args: dict[str, object]) -> None:
    zh = explain(code, args, "zh_CN")
    assert_clean_zh(zh, where=f"{code} {args}")
    en = explain(code, args, "en")
    assert en and not any("\u4e00" <= ch <= "\u9fff" for ch in en), en
    if code == "industry":
        assert "钢铁" in zh and "steel" in en.lower()
    if code == "confirmed_leads" and args["n"]:
        assert "超标排放、数据恒值" in zh
    if code == "credit":
        assert "环保警示" in zh and "Warning" in en


def test_risk_score_terms_carry_their_facts() -> None:
    cfg = load_config(None)
    facts = EnterpriseFacts(
        enterprise_id="E1",
        industry="cement",
        city="甲市",
        district="一区",
        outlets=2,
        grade=None,
        positive_list=True,
        leads=(LeadFact("EXCEEDANCE", dt.date(2026, 5, 1), False, "confirmed"),),
        open_cases=1,
        self_check_fail_share=None,
        credit_grade="red",
    )
    rs = risk_score(facts, cfg.risk, as_of=dt.date(2026, 12, 1), last_visit=None)
    for t in rs.terms:
        assert t.label("zh_CN") == RISK_TERMS.name(t.code) and t.label("en") != t.code
        assert t.text("zh_CN") == t.detail
        assert_clean_zh(t.text("zh_CN"), where=t.code)
    assert "水泥" in rs.terms[1].text() and "环保不良" in rs.terms[-1].text()


def test_plan_detail_and_risk_fragment_are_chinese(lantian_home: object) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    _world(settings)
    today = now_cst().date()
    start = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    with TestClient(create_app(settings)) as c:
        csrf = login(c, "ts_city")
        r = c.post(
            "/plans",
            data={
                "period": f"{start.year:04d}-{start.month:02d}",
                "jurisdiction": "唐山市",
                "seed": "7",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        detail = c.get(r.headers["location"])
        assert 'data-term="industry"' in detail.text
        text = html_text(detail.text)
        assert "行业环境影响" in text
        assert_clean_zh(text, allow=(*ALLOW, "ts_city"), where="plan detail")
        frag = c.get("/enterprises/E1/risk", headers={"HX-Request": "true"})
        assert "钢铁行业的环境影响" in frag.text
        assert_clean_zh(html_text(frag.text), allow=ALLOW, where="risk fragment")
        en = c.get("/enterprises/E1/risk?lang=en", headers={"HX-Request": "true"})
        assert "environmental impact of the industry" in en.text


@pytest.mark.parametrize(
    ("reason", "zh"),
    [
        (
            "trigger: confirmed lead EXCEEDANCE ended 2026-11-03",
            "触发条件：超标排放线索问题属实（2026-11-03 结束）",
        ),
        (
            "trigger: complaint #2 received 2026-11-20 via online",
            "触发条件：信访投诉 #2（2026-11-20 经网络举报受理）",
        ),
        ("trigger: heavy-pollution alert in the period", "触发条件：计划期内发布重污染天气预警"),
        (
            "trigger: complaint #1 received 2026-11-20 via letter_visit"
            " (lifts the positive-list exclusion)",
            "触发条件：信访投诉 #1（2026-11-20 经来信来访受理）（解除正面清单豁免）",
        ),
        (
            "positive list without a trigger: remote check (无事不扰)",
            "正面清单企业且无触发条件：非现场检查（无事不扰）",
        ),
        (
            "minimum: high-risk (risk 61.5 >= 60.0), 0 of 1 on-site visit(s) in 2026",
            "最低频次：高风险企业（风险分 61.5 ≥ 60.0），2026 年已现场检查 0 次，每年至少 1 次",
        ),
    ],
)  # fmt: skip
def test_plan_reasons_on_a_chinese_page(reason: str, zh: str) -> None:
    assert plan_reason(reason, "zh_CN") == zh
    assert_clean_zh(zh)
    en = plan_reason(reason, "en")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.replace("无事不扰", ""))
    assert plan_reason("a new wording", "zh_CN") == "a new wording"
