"""信用修复 conditions judged from Lantian's data (table-driven, pure) and the credit page:
the enterprise requests a repair with the conditions shown, the officer refuses or grants
it with reasons (one seeded SQLite app)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import bearer, keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.enforcement import services as es
from lantian.enforcement.config import load_sets
from lantian.enforcement.credit import repair_conditions
from lantian.enforcement.models import CreditRepair, PenaltyDecision
from lantian.timeutil import CST, now_cst
from lantian.web.app import create_app
from lantian.workflow import service as ws

SET = load_sets()[0]
T0 = dt.datetime(2026, 1, 5, 10, tzinfo=CST)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("days", "closed", "study", "apology", "later", "met"),
    [
        # the window's last day: exactly repair_min_days elapsed counts
        (SET.credit.repair_min_days, True, True, True, [], {"days_elapsed", "correction_done",
         "training", "commitment", "no_new_violation"}),
        (SET.credit.repair_min_days - 1, True, True, True, [], {"correction_done", "training",
         "commitment", "no_new_violation"}),
        (200, False, False, False, [], {"days_elapsed", "no_new_violation"}),
        (200, True, False, True, [dt.date(2026, 3, 1)], {"days_elapsed", "correction_done",
         "commitment"}),
    ],
)  # fmt: skip
def test_repair_conditions_from_the_data(
    days: int, closed: bool, study: bool, apology: bool, later: list[dt.date], met: set[str]
) -> None:
    checks = repair_conditions(
        SET,
        decided_at=T0,
        at=T0 + days * DAY,
        case_closed_at=T0 + DAY if closed else None,
        law_study_passed_at=T0 + 2 * DAY if study else None,
        apology_approved_at=T0 + 3 * DAY if apology else None,
        later_violations=later,
    )
    assert {c.code for c in checks if c.met} == met
    required = {c.code for c in checks if c.required}
    assert required == {"days_elapsed", *SET.credit.repair_requires}
    assert all(c.fact for c in checks)
    if later:
        assert "2026-03-01" in next(c.fact for c in checks if c.code == "no_new_violation")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("credit-home")) as settings:
        seeded = seed(settings)
        with session_scope(settings) as db:
            admin = db.get(User, seeded.user_ids["admin"])
            ent1 = db.get(User, seeded.user_ids["ent1"])
            assert admin is not None and ent1 is not None
            cases = ws.dispatch(
                db,
                admin,
                seeded.leads["E1"][:2],
                assignee_id=seeded.user_ids["lb_district"],
                deadline=now_cst() + timedelta(days=5),
            )
            facts = {"violation": "AIR-EXCEED", "harm": "serious", "corrected_in_time": False}
            for case in cases:
                ws.share_case(db, admin, case.case_id)
                ws.start_check(db, admin, case.case_id, mode="remote")
                ws.record_remote_check(db, admin, case.case_id, notes="调阅在线数据")
                ws.judge(db, admin, case.case_id, confirmed=True, finding="超标排放")
                letter = "我公司郑重道歉并承诺严格守法经营，接受监督。"
                rec = es.submit_apology(db, ent1, case.case_id, letter)
                es.approve_apology(db, admin, rec.record_id)
                a = es.assess_case(db, admin, case.case_id, {**facts, "first_offence": False})
                es.decide(db, admin, a.assessment_id, accept=True)
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def test_request_refuse_and_grant_a_repair(app: Any) -> None:
    with session_scope(app.state.settings) as db:
        ids = sorted(d.decision_id for d in db.query(PenaltyDecision))
    with TestClient(app) as ent:
        csrf = login(ent, "ent1")
        r = ent.get("/portal/credit")
        assert r.status_code == 200 and "环境信用" in r.text
        assert f'id="repair-request-{ids[0]}"' in r.text
        text = html_text(r.text)
        assert "公示期已满" in text and "须满 90 日" in text and "蓝天中无通过的学法记录" in text
        assert_clean_zh(text, allow=ALLOW, where="/portal/credit")
        ok = ent.post(
            "/enterprises/E1/credit/repairs",
            data={
                "decision_id": str(ids[0]),
                "conditions": ["correction_done"],
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text[:300]
        again = ent.post(
            "/enterprises/E1/credit/repairs",
            data={"decision_id": str(ids[0]), "csrf_token": csrf},
        )
        assert again.status_code == 409 and "已有待审核" in again.text
    with TestClient(app) as officer:
        csrf = login(officer, "lb_district")
        page = officer.get("/enterprises/E1/credit")
        assert page.status_code == 200
        text = html_text(page.text)
        assert "待审核" in text and "道歉承诺书于" in text and "准予修复" in text
        assert_clean_zh(text, allow=ALLOW, where="/enterprises/E1/credit")
        with session_scope(app.state.settings) as db:
            repair_id = db.query(CreditRepair).one().repair_id
        early = officer.post(
            f"/credit-repairs/{repair_id}/decision",
            data={"grant": "yes", "reason": "条件已满足", "csrf_token": csrf},
        )
        assert early.status_code == 422 and "条件已满足" in early.text  # too early; kept
        refused = officer.post(
            f"/credit-repairs/{repair_id}/decision",
            data={"grant": "no", "reason": "公示期未满", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert refused.status_code == 303
        assert "不予修复" in officer.get("/enterprises/E1/credit").text
        # the second decision, 100 days old, all required conditions claimed: granted
        h = bearer(officer, "lb_district")
        with session_scope(app.state.settings) as db:
            d = db.get(PenaltyDecision, ids[1])
            assert d is not None
            d.decided_at = d.decided_at - timedelta(days=100)
        before = officer.get("/api/enterprises/E1/credit", headers=h).json()["points"]
        claim = {"correction_done": True, "training": True, "commitment": True}
        req = officer.post(
            f"/api/penalty-decisions/{ids[1]}/credit-repair", headers=h, json={"conditions": claim}
        )
        assert req.status_code == 200, req.text
        ev = {c["code"]: c["met"] for c in req.json()["evidence"]}
        assert ev["days_elapsed"] and ev["commitment"] and not ev["training"]
        granted = officer.post(
            f"/api/credit-repairs/{req.json()['repair_id']}/decision",
            headers=h,
            json={"grant": True, "reason": "整改到位，承诺已公开"},
        )
        assert granted.status_code == 200 and granted.json()["status"] == "granted"
        credit = officer.get("/api/enterprises/E1/credit", headers=h).json()
        assert credit["points"] > before and len(credit["repairs"]) == 2
