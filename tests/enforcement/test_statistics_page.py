"""处罚统计 page and its Excel workbook (one seeded SQLite app): counts and amounts by
outcome, 首违不罚 share, by district and industry; Chinese headers; date filter; zh scan."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.enforcement import services as es
from lantian.enforcement.queries import statistics, statistics_rows
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow import service as ws


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("stats-home")) as settings:
        seeded = seed(settings)
        with session_scope(settings) as db:
            admin = db.get(User, seeded.user_ids["admin"])
            assert admin is not None
            cases = ws.dispatch(
                db,
                admin,
                seeded.leads["E1"][:2],
                assignee_id=seeded.user_ids["lb_district"],
                deadline=now_cst() + timedelta(days=5),
            )
            for case in cases:
                ws.start_check(db, admin, case.case_id, mode="remote")
                ws.record_remote_check(db, admin, case.case_id, notes="调阅在线数据")
                ws.judge(db, admin, case.case_id, confirmed=True, finding="超标排放")
            facts = {"violation": "AIR-EXCEED", "harm": "slight", "corrected_in_time": True}
            a1 = es.assess_case(db, admin, cases[0].case_id, {**facts, "first_offence": True})
            es.decide(db, admin, a1.assessment_id, accept=True, education="讲解大气法")
            a2 = es.assess_case(
                db, admin, cases[1].case_id, {**facts, "first_offence": False, "harm": "serious"}
            )
            es.decide(db, admin, a2.assessment_id, accept=True)
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def test_rows_from_the_statistics() -> None:
    stats = {
        "decisions": 4,
        "by_outcome": {
            "no_penalty": {"count": 1, "amount": 0},
            "standard": {"count": 3, "amount": 900},
        },
        "first_offence_share": 0.25,
        "minor_exempt_share": 0.0,
        "reductions": {"apology": {"count": 1, "yuan": 100}, "law_study": {"count": 0, "yuan": 0}},
        "by_district": {"路北区": {"count": 3, "amount": 900}, "路南区": {"count": 1, "amount": 0}},
        "by_industry": {"steel": {"count": 4, "amount": 900}},
    }
    rows = statistics_rows(stats)
    assert ("处罚结果", "不予处罚", 1, 0, 0.25) in rows
    assert ("处罚结果", "一般处罚", 3, 900, 0.75) in rows
    assert ("从宽适用", "首违不罚", 1, None, 0.25) in rows
    assert ("减罚", "道歉承诺", 1, 100, 0.25) in rows
    assert [r[1] for r in rows if r[0] == "区县"] == ["路北区", "路南区"]
    assert ("行业", "钢铁", 4, 900, 1.0) in rows
    en = statistics_rows(stats, "en")
    assert ("Outcome", "No penalty", 1, 0, 0.25) in en
    empty = statistics_rows({**stats, "decisions": 0, "by_district": {}, "by_industry": {}})
    assert all(r[4] is None for r in empty)


def test_page_and_workbook(app: Any) -> None:
    with session_scope(app.state.settings) as db:
        st = statistics(db)
    assert st["decisions"] == 2
    with TestClient(app) as c:
        login(c, "lb_district")
        page = c.get("/penalty-statistics")
        assert page.status_code == 200, page.text[:300]
        text = html_text(page.text)
        assert "不予处罚" in text and "一般处罚" in text and "路北区" in text and "钢铁" in text
        assert "首违不罚 50.0%" in text
        assert_clean_zh(text, allow=ALLOW, where="/penalty-statistics")
        r = c.get("/penalty-statistics.xlsx")
        assert r.status_code == 200
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        ws = load_workbook(io.BytesIO(r.content)).active
        rows = [[cell.value for cell in row] for row in ws.iter_rows()]
        assert rows[0] == ["统计维度", "类别", "决定件数", "罚款金额（元）", "占比"]
        assert ["处罚结果", "不予处罚", 1, 0, "50.0%"] in rows
        flat = " ".join(str(v) for row in rows for v in row if v is not None)
        assert_clean_zh(flat, where="处罚统计.xlsx")
        future = (now_cst() + timedelta(days=30)).date().isoformat()
        later = c.get(f"/penalty-statistics?start={future}")
        assert "决定件数：0" in "".join(html_text(later.text).split())
        bad = c.get("/penalty-statistics?start=2026-13-01")
        assert bad.status_code == 422 and "请输入日期" in bad.text
        api = c.get("/api/penalty-statistics")  # session cookie works for the API too
        assert api.status_code in (200, 401)
