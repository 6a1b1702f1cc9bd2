"""Authorization of every route: anonymous callers, another enterprise, another city.

``ROUTES`` lists every (method, path) of the app with the requests that must be refused;
:func:`test_every_route_has_an_authorization_test` fails when a route is added without an
entry here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import Seeded, bearer, login

from lantian.auth.models import User
from lantian.auth.service import create_api_token
from lantian.db.session import session_scope
from lantian.enforcement import services as es
from lantian.supervision.hazards import services as hs
from lantian.supervision.hazards.models import HazardReplyFile
from lantian.supervision.plans.models import PlanDraw
from lantian.timeutil import now_cst
from lantian.web.app import create_app, route_table
from lantian.workflow import service as ws
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import SpotCheck, SpotCheckDraw

PUBLIC: set[tuple[str, str]] = {
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/auth/token"),
    ("GET", "/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/"),
    ("GET", "/public/apologies"),
    ("GET", "/api/public/apologies"),
}
"""Routes anyone may call (``/`` only redirects to the login page)."""

APOLOGY = "我公司郑重道歉并承诺严格守法经营，接受监督。"
"""A 道歉承诺 letter (issue #14 routes)."""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HZ_ITEM = {"problem": "料场未苫盖", "basis": "大气污染防治法第七十二条", "measure": "苫盖"}
HZ_FORM = {f"{k}_1": v for k, v in HZ_ITEM.items()}


@dataclass
class Spec:
    """How to call a route with E1's objects (E1 belongs to ent1, city 唐山市)."""

    path: str
    json: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    officer_only: bool = False
    """Enterprise accounts get 403 even for their own data."""
    list_must_not_contain: list[str] = field(default_factory=list)
    """For list routes (no object id): strings the foreign response must not contain."""


def _case_body(action: str) -> dict[str, Any]:
    return {"action": action, "fields": {"reason": "x"}}


ROUTES: dict[tuple[str, str], Callable[[dict[str, Any]], Spec]] = {
    ("GET", "/api/me"): lambda o: Spec("/api/me"),
    ("GET", "/api/vocab"): lambda o: Spec("/api/vocab", list_must_not_contain=["冀东钢铁"]),
    ("GET", "/api/leads"): lambda o: Spec("/api/leads", list_must_not_contain=["LE1-", "LE3-"]),
    ("GET", "/api/leads/{lead_id}"): lambda o: Spec("/api/leads/LE1-1"),
    ("GET", "/api/leads/{lead_id}/series"): lambda o: Spec("/api/leads/LE1-1/series"),
    ("GET", "/api/leads/{lead_id}/assignees"): lambda o: Spec("/api/leads/LE1-1/assignees"),
    ("POST", "/api/leads/dispatch"): lambda o: Spec(
        "/api/leads/dispatch",
        json={"lead_ids": ["LE1-1"], "assignee_id": o["officer"], "deadline": o["deadline"]},
    ),
    ("GET", "/api/cases"): lambda o: Spec("/api/cases", list_must_not_contain=["冀东钢铁"]),
    ("GET", "/api/cases/{case_id}"): lambda o: Spec(f"/api/cases/{o['case']}"),
    ("POST", "/api/cases/{case_id}/transitions"): lambda o: Spec(
        f"/api/cases/{o['case']}/transitions", json=_case_body("start_check")
    ),
    ("POST", "/api/cases/{case_id}/checks"): lambda o: Spec(
        f"/api/cases/{o['case']}/checks", json={"kind": "remote", "notes": "x"}
    ),
    ("POST", "/api/cases/{case_id}/attachments"): lambda o: Spec(
        f"/api/cases/{o['case']}/attachments", files={"files": ("a.png", PNG, "image/png")}
    ),
    ("POST", "/api/cases/{case_id}/share"): lambda o: Spec(
        f"/api/cases/{o['case']}/share", json={"note": "x"}
    ),
    ("POST", "/api/checks/{check_id}/share"): lambda o: Spec(
        f"/api/checks/{o['check']}/share", json={"note": "x"}
    ),
    ("POST", "/api/cases/{case_id}/penalty-assessment"): lambda o: Spec(
        f"/api/cases/{o['confirmed_case']}/penalty-assessment",
        json={"violation": "AIR-EXCEED", "harm": "slight", "corrected_in_time": True},
    ),
    ("GET", "/api/cases/{case_id}/penalty-assessment"): lambda o: Spec(
        f"/api/cases/{o['confirmed_case']}/penalty-assessment"
    ),
    ("POST", "/api/penalty-assessments/{assessment_id}/decision"): lambda o: Spec(
        f"/api/penalty-assessments/{o['assessment']}/decision", json={"accept": True}
    ),
    ("POST", "/api/penalty-decisions/{decision_id}/acknowledge"): lambda o: Spec(
        f"/api/penalty-decisions/{o['decision']}/acknowledge"
    ),
    ("GET", "/api/cases/{case_id}/penalty-decision.pdf"): lambda o: Spec(
        f"/api/cases/{o['confirmed_case']}/penalty-decision.pdf"
    ),
    ("GET", "/api/enterprises/{enterprise_id}/credit"): lambda o: Spec(
        "/api/enterprises/E1/credit"
    ),
    ("GET", "/cases/{case_id}/penalty"): lambda o: Spec(f"/cases/{o['confirmed_case']}/penalty"),
    ("POST", "/cases/{case_id}/penalty"): lambda o: Spec(
        f"/cases/{o['confirmed_case']}/penalty",
        data={"violation": "AIR-EXCEED", "harm": "slight", "corrected_in_time": "yes"},
    ),
    ("POST", "/cases/{case_id}/penalty/decision"): lambda o: Spec(
        f"/cases/{o['confirmed_case']}/penalty/decision", data={"accept": "yes"}
    ),
    ("POST", "/api/cases/{case_id}/law-study"): lambda o: Spec(
        f"/api/cases/{o['confirmed_case']}/law-study",
        json={
            "course": "法规",
            "hours": 2,
            "exam_score": 90,
            "passed": True,
            "completed_at": "2026-01-01T10:00:00+08:00",
        },
    ),
    ("POST", "/api/cases/{case_id}/apology"): lambda o: Spec(
        f"/api/cases/{o['confirmed_case']}/apology", json={"text": APOLOGY}
    ),
    ("POST", "/api/apologies/{record_id}/approve"): lambda o: Spec(
        f"/api/apologies/{o['apology']}/approve"
    ),
    ("GET", "/api/penalty-statistics"): lambda o: Spec(
        "/api/penalty-statistics", officer_only=True
    ),
    ("GET", "/portal/penalties"): lambda o: Spec(
        "/portal/penalties", list_must_not_contain=["冀东钢铁", "LE1-"]
    ),
    ("POST", "/portal/penalties/{decision_id}/acknowledge"): lambda o: Spec(
        f"/portal/penalties/{o['decision']}/acknowledge", data={}
    ),
    ("POST", "/cases/{case_id}/apology"): lambda o: Spec(
        f"/cases/{o['confirmed_case']}/apology", data={"text": APOLOGY}
    ),
    ("POST", "/apologies/{record_id}/approve"): lambda o: Spec(
        f"/apologies/{o['apology']}/approve", data={}
    ),
    ("GET", "/api/attachments/{attachment_id}"): lambda o: Spec(
        f"/api/attachments/{o['attachment']}"
    ),
    ("GET", "/api/ledger"): lambda o: Spec("/api/ledger", officer_only=True),
    ("GET", "/api/enterprises"): lambda o: Spec(
        "/api/enterprises", list_must_not_contain=["冀东钢铁", "E3"]
    ),
    ("GET", "/api/enterprises/{enterprise_id}"): lambda o: Spec("/api/enterprises/E1"),
    ("GET", "/api/outlets/{outlet_id}/series"): lambda o: Spec("/api/outlets/E1-O1/series"),
    ("GET", "/api/stations"): lambda o: Spec("/api/stations", list_must_not_contain=["S1"]),
    ("GET", "/api/stations/{station_id}"): lambda o: Spec("/api/stations/S1"),
    ("GET", "/api/map/districts"): lambda o: Spec(
        "/api/map/districts", list_must_not_contain=["路北区"]
    ),
    ("GET", "/api/map/features"): lambda o: Spec(
        "/api/map/features", list_must_not_contain=["冀东钢铁", "路北站"]
    ),
    ("GET", "/api/dashboard"): lambda o: Spec("/api/dashboard", officer_only=True),
    ("GET", "/api/exports/leads.xlsx"): lambda o: Spec(
        "/api/exports/leads.xlsx", list_must_not_contain=["LE1-"]
    ),
    ("GET", "/api/exports/enterprises.xlsx"): lambda o: Spec(
        "/api/exports/enterprises.xlsx", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/api/exports/cases.xlsx"): lambda o: Spec(
        "/api/exports/cases.xlsx", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/api/exports/ledger.xlsx"): lambda o: Spec(
        "/api/exports/ledger.xlsx", officer_only=True
    ),
    ("GET", "/api/cases/{case_id}/documents/{kind}.pdf"): lambda o: Spec(
        f"/api/cases/{o['case']}/documents/dispatch_notice.pdf"
    ),
    # pages
    ("GET", "/leads"): lambda o: Spec("/leads", list_must_not_contain=["LE1-", "冀东钢铁"]),
    ("GET", "/leads/{lead_id}"): lambda o: Spec("/leads/LE1-1"),
    ("POST", "/leads/dispatch"): lambda o: Spec(
        "/leads/dispatch",
        data={"lead_ids": "LE1-1", "assignee_id": o["officer"], "deadline": o["deadline"]},
    ),
    ("GET", "/cases"): lambda o: Spec("/cases", list_must_not_contain=["冀东钢铁"]),
    ("GET", "/cases/{case_id}"): lambda o: Spec(f"/cases/{o['case']}"),
    ("GET", "/cases/{case_id}/step/{action}"): lambda o: Spec(
        f"/cases/{o['case']}/step/start_check"
    ),
    ("POST", "/cases/{case_id}/actions/{action}"): lambda o: Spec(
        f"/cases/{o['case']}/actions/start_check", data={"mode": "remote"}
    ),
    ("POST", "/cases/{case_id}/checks"): lambda o: Spec(
        f"/cases/{o['case']}/checks", data={"kind": "remote", "notes": "x"}
    ),
    ("POST", "/cases/{case_id}/attachments"): lambda o: Spec(
        f"/cases/{o['case']}/attachments", files={"files": ("a.png", PNG, "image/png")}
    ),
    ("POST", "/cases/{case_id}/share"): lambda o: Spec(
        f"/cases/{o['case']}/share", data={"confirm": "yes", "note": "x"}
    ),
    ("POST", "/checks/{check_id}/share"): lambda o: Spec(
        f"/checks/{o['check']}/share", data={"confirm": "yes"}
    ),
    ("GET", "/attachments/{attachment_id}"): lambda o: Spec(f"/attachments/{o['attachment']}"),
    ("GET", "/ledger"): lambda o: Spec("/ledger", officer_only=True),
    ("GET", "/map"): lambda o: Spec("/map", officer_only=True),
    ("GET", "/dashboard"): lambda o: Spec("/dashboard", officer_only=True),
    ("GET", "/enterprises"): lambda o: Spec("/enterprises", officer_only=True),
    ("GET", "/enterprises/{enterprise_id}"): lambda o: Spec("/enterprises/E1"),
    ("GET", "/portal"): lambda o: Spec("/portal", list_must_not_contain=["冀东钢铁"]),
    ("POST", "/logout"): lambda o: Spec("/logout"),
    ("GET", "/api/notices"): lambda o: Spec("/api/notices", list_must_not_contain=["E1 提示"]),
    ("POST", "/api/enterprises/{enterprise_id}/notices"): lambda o: Spec(
        "/api/enterprises/E1/notices", json={"kind": "hazard", "title": "x", "body": "y"}
    ),
    ("GET", "/api/notices/{notice_id}.pdf"): lambda o: Spec(f"/api/notices/{o['notice']}.pdf"),
    ("POST", "/api/cases/{case_id}/reassign"): lambda o: Spec(
        f"/api/cases/{o['case']}/reassign", json={"assignee_id": o["officer"]}
    ),
    ("GET", "/api/spot-checks"): lambda o: Spec("/api/spot-checks", officer_only=True),
    ("POST", "/api/spot-checks/draw"): lambda o: Spec(
        "/api/spot-checks/draw", json={"share": 1.0}, officer_only=True
    ),
    ("POST", "/api/spot-checks/{spot_check_id}/result"): lambda o: Spec(
        f"/api/spot-checks/{o['spot_check']}/result", json={"passed": False, "note": "x"}
    ),
    ("GET", "/api/users"): lambda o: Spec("/api/users"),
    ("POST", "/api/users"): lambda o: Spec(
        "/api/users",
        json={"username": "mallory", "password": "Mallory-Pass-2024!", "role": "admin"},
    ),
    ("POST", "/api/users/{user_id}/active"): lambda o: Spec(
        f"/api/users/{o['officer']}/active", json={"active": False}
    ),
    ("POST", "/cases/{case_id}/reassign"): lambda o: Spec(
        f"/cases/{o['case']}/reassign", data={"assignee_id": o["officer"]}
    ),
    ("GET", "/spot-checks"): lambda o: Spec("/spot-checks", officer_only=True),
    ("POST", "/spot-checks/draw"): lambda o: Spec(
        "/spot-checks/draw", data={"share_percent": "100"}, officer_only=True
    ),
    ("POST", "/spot-checks/{spot_check_id}/result"): lambda o: Spec(
        f"/spot-checks/{o['spot_check']}/result",
        data={"result": "failed", "note": "x", "confirm": "yes"},
    ),
    ("POST", "/api/cases/{case_id}/findings"): lambda o: Spec(
        f"/api/cases/{o['case']}/findings",
        json={
            "family": "EXCEEDANCE",
            "summary": "x",
            "severity": 1,
            "start": "2026-12-01T09:00:00+08:00",
            "end": "2026-12-01T10:00:00+08:00",
        },
    ),
    ("POST", "/api/plans"): lambda o: Spec(
        "/api/plans", json={"period": "2026-12", "jurisdiction": "唐山市", "seed": 1}
    ),
    ("GET", "/plans"): lambda o: Spec("/plans", officer_only=True),
    ("POST", "/plans"): lambda o: Spec(
        "/plans", data={"period": "2026-12", "jurisdiction": "唐山市", "seed": "1"}
    ),
    ("GET", "/plans/{draw_id}"): lambda o: Spec(f"/plans/{o['plan']}"),
    ("POST", "/plans/{draw_id}/accept"): lambda o: Spec(f"/plans/{o['plan']}/accept"),
    ("POST", "/plans/{draw_id}/pre-notify"): lambda o: Spec(
        f"/plans/{o['plan']}/pre-notify", data={"inspection_date": "2026-12-20"}
    ),
    ("GET", "/plans/{draw_id}/export.xlsx"): lambda o: Spec(f"/plans/{o['plan']}/export.xlsx"),
    ("GET", "/enterprises/{enterprise_id}/risk"): lambda o: Spec("/enterprises/E1/risk"),
    ("GET", "/admin/users"): lambda o: Spec("/admin/users"),
    ("POST", "/admin/users"): lambda o: Spec(
        "/admin/users",
        data={"username": "mallory", "password": "Mallory-Pass-2024!", "role": "admin"},
    ),
    ("POST", "/admin/users/{user_id}/active"): lambda o: Spec(
        f"/admin/users/{o['officer']}/active", data={"active": "false"}
    ),
    ("POST", "/api/notices/{notice_id}/acknowledge"): lambda o: Spec(
        f"/api/notices/{o['notice']}/acknowledge"
    ),
    ("POST", "/enterprises/{enterprise_id}/notices"): lambda o: Spec(
        "/enterprises/E1/notices", data={"kind": "hazard", "title": "x", "body": "y"}
    ),
    ("POST", "/notices/{notice_id}/acknowledge"): lambda o: Spec(
        f"/notices/{o['notice']}/acknowledge"
    ),
    # self-service (acts on the caller; ent1's token must stay out of reach)
    ("POST", "/api/me/password"): lambda o: Spec(
        "/api/me/password", json={"old_password": "wrong-Pass-1", "new_password": "x"}
    ),
    ("GET", "/api/me/tokens"): lambda o: Spec("/api/me/tokens", list_must_not_contain=["ent1-k"]),
    ("DELETE", "/api/me/tokens/{token_id}"): lambda o: Spec(f"/api/me/tokens/{o['token']}"),
    ("GET", "/account"): lambda o: Spec("/account", list_must_not_contain=["ent1-k"]),
    ("POST", "/account/password"): lambda o: Spec(
        "/account/password", data={"old_password": "w", "new_password": "x", "new_password2": "x"}
    ),
    ("POST", "/account/tokens/{token_id}/revoke"): lambda o: Spec(
        f"/account/tokens/{o['token']}/revoke"
    ),
}
ROUTES.update(
    {  # 隐患提示函 (issue #13 item 6)
        ("GET", "/api/hazard-notices"): lambda o: Spec(
            "/api/hazard-notices", list_must_not_contain=["E1 隐患"]
        ),
        ("POST", "/api/hazard-notices"): lambda o: Spec(
            "/api/hazard-notices", json={"enterprise_id": "E1", "title": "x", "items": [HZ_ITEM]}
        ),
        ("GET", "/api/hazard-notices/{notice_id}"): lambda o: Spec(
            f"/api/hazard-notices/{o['hazard']}"
        ),
        ("POST", "/api/hazard-notices/{notice_id}/reply"): lambda o: Spec(
            f"/api/hazard-notices/{o['hazard']}/reply", data={"text": "已整改完毕"}
        ),
        ("POST", "/api/hazard-notices/{notice_id}/close"): lambda o: Spec(
            f"/api/hazard-notices/{o['hazard']}/close", json={"note": "x"}
        ),
        ("POST", "/api/hazard-notices/{notice_id}/escalate"): lambda o: Spec(
            f"/api/hazard-notices/{o['hazard']}/escalate", json={"note": "x"}
        ),
        ("GET", "/api/hazard-notices/files/{file_id}"): lambda o: Spec(
            f"/api/hazard-notices/files/{o['hazard_file']}"
        ),
        ("GET", "/hazard-notices"): lambda o: Spec(
            "/hazard-notices", list_must_not_contain=["E1 隐患"]
        ),
        ("GET", "/portal/hazard-notices"): lambda o: Spec(
            "/portal/hazard-notices", list_must_not_contain=["E1 隐患"]
        ),
        ("GET", "/hazard-notices/new"): lambda o: Spec("/hazard-notices/new", officer_only=True),
        ("POST", "/hazard-notices"): lambda o: Spec(
            "/hazard-notices", data={"enterprise_id": "E1", "title": "x", **HZ_FORM}
        ),
        ("GET", "/hazard-notices/{notice_id}"): lambda o: Spec(f"/hazard-notices/{o['hazard']}"),
        ("POST", "/hazard-notices/{notice_id}/reply"): lambda o: Spec(
            f"/hazard-notices/{o['hazard']}/reply", data={"reply_text": "已整改完毕"}
        ),
        ("POST", "/hazard-notices/{notice_id}/close"): lambda o: Spec(
            f"/hazard-notices/{o['hazard']}/close", data={"note": "x"}
        ),
        ("POST", "/hazard-notices/{notice_id}/escalate"): lambda o: Spec(
            f"/hazard-notices/{o['hazard']}/escalate", data={"note": "x"}
        ),
        ("GET", "/hazard-notices/files/{file_id}"): lambda o: Spec(
            f"/hazard-notices/files/{o['hazard_file']}"
        ),
        ("GET", "/penalty-statistics"): lambda o: Spec("/penalty-statistics", officer_only=True),
        ("GET", "/enterprises/{enterprise_id}/credit"): lambda o: Spec("/enterprises/E1/credit"),
        ("GET", "/portal/credit"): lambda o: Spec("/portal/credit", list_must_not_contain=["E1"]),
        ("POST", "/enterprises/{enterprise_id}/credit/repairs"): lambda o: Spec(
            "/enterprises/E1/credit/repairs", data={"decision_id": str(o["decision"])}
        ),
        ("POST", "/credit-repairs/{repair_id}/decision"): lambda o: Spec(
            f"/credit-repairs/{o['repair']}/decision", data={"grant": "no", "reason": "x"}
        ),
        ("POST", "/api/penalty-decisions/{decision_id}/credit-repair"): lambda o: Spec(
            f"/api/penalty-decisions/{o['decision']}/credit-repair", json={"conditions": {}}
        ),
        ("POST", "/api/credit-repairs/{repair_id}/decision"): lambda o: Spec(
            f"/api/credit-repairs/{o['repair']}/decision", json={"grant": False, "reason": "x"}
        ),
        ("GET", "/penalty-statistics.xlsx"): lambda o: Spec(
            "/penalty-statistics.xlsx", officer_only=True
        ),
    }
)
SELF_SERVICE = ("/api/me/password", "/account/password")
"""Routes that act on the caller only (a wrong current password is the caller's 422)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One seeded app for the module: a dispatched case of E1 with an attachment."""
    import os

    from tests.web.conftest import seed

    from lantian.db.session import dispose_engines
    from lantian.settings import get_settings

    home = tmp_path_factory.mktemp("authz-home")
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    settings = get_settings()
    seeded: Seeded = seed(settings)
    deadline = (now_cst() + timedelta(days=5)).date().isoformat()
    with session_scope(settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        case = ws.dispatch(
            db,
            admin,
            ["LE1-0"],
            assignee_id=seeded.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=5),
        )[0]
        att = ws.add_attachments(
            db,
            admin,
            case.case_id,
            [UploadedFile("photo.png", PNG, "image/png")],
            kind="photo",
            uploads_dir=settings.uploads_dir,
        )[0]
        notice = ws.issue_notice(db, admin, "hazard", "E1", title="E1 提示", body="料场未苫盖")
        ws.start_check(db, admin, case.case_id, mode="remote")
        check = ws.record_remote_check(db, admin, case.case_id, notes="调阅在线数据")
        ws.share_case(db, admin, case.case_id)  # E1 sees its case: ent2 must still not
        # a confirmed case of E1 with a decided penalty assessment (issue #14 routes)
        confirmed = ws.dispatch(
            db,
            admin,
            ["LE1-2"],
            assignee_id=seeded.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=5),
        )[0]
        ws.share_case(db, admin, confirmed.case_id)
        ws.start_check(db, admin, confirmed.case_id, mode="remote")
        ws.record_remote_check(db, admin, confirmed.case_id, notes="调阅在线数据")
        ws.judge(db, admin, confirmed.case_id, confirmed=True, finding="超标排放")
        ent1_user = db.get(User, seeded.user_ids["ent1"])
        assert ent1_user is not None
        apology = es.submit_apology(db, ent1_user, confirmed.case_id, APOLOGY)
        assessment = es.assess_case(
            db,
            admin,
            confirmed.case_id,
            {"violation": "AIR-EXCEED", "harm": "serious", "corrected_in_time": False},
        )
        decision = es.decide(db, admin, assessment.assessment_id, accept=True)
        repair = es.request_credit_repair(db, ent1_user, decision.decision_id, {"training": True})
        # a spot check of E1's case (drawn directly: the case is not closed in this world)
        draw = SpotCheckDraw(
            drawn_at=now_cst(), seed=1, share=1.0, population=1, case_ids=[case.case_id]
        )
        db.add(draw)
        db.flush()
        spot = SpotCheck(draw_id=draw.draw_id, case_id=case.case_id, result="pending")
        db.add(spot)
        db.flush()
        plan = PlanDraw(  # a stored 双随机 draw of 唐山市 (no visits)
            period="2026-12", jurisdiction="唐山市", seed=1, inputs_hash="0" * 64,
            drawn_at=now_cst(), inputs={}, result={"visits": []},
        )  # fmt: skip
        db.add(plan)
        db.flush()
        ent1 = db.get(User, seeded.user_ids["ent1"])
        assert ent1 is not None
        hazard = hs.issue_hazard_notice(db, admin, "E1", title="E1 隐患", items=[HZ_ITEM])
        hs.reply(
            db, ent1, hazard.notice_id, "已整改", [UploadedFile("h.png", PNG)],
            uploads_dir=settings.uploads_dir,
        )  # fmt: skip
        hazard_file = db.scalar(
            select(HazardReplyFile.file_id).where(HazardReplyFile.notice_id == hazard.notice_id)
        )
        objs = {
            "hazard": hazard.notice_id,
            "hazard_file": hazard_file,
            "plan": plan.draw_id,
            "token": create_api_token(db, ent1, label="ent1-k").token_id,
            "notice": notice.notice_id,
            "spot_check": spot.spot_check_id,
            "case": case.case_id,
            "check": check.check_id,
            "attachment": att.attachment_id,
            "officer": seeded.user_ids["lb_district"],
            "deadline": deadline,
            "confirmed_case": confirmed.case_id,
            "assessment": assessment.assessment_id,
            "decision": decision.decision_id,
            "repair": repair.repair_id,
            "apology": apology.record_id,
        }
    app = create_app(settings)
    yield {"app": app, "objs": objs, "settings": settings}
    dispose_engines()
    get_settings.cache_clear()
    if old is None:
        os.environ.pop("LANTIAN_HOME", None)
    else:
        os.environ["LANTIAN_HOME"] = old


@pytest.fixture(autouse=True)
def _keep_home(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the per-test LANTIAN_HOME of tests/conftest.py: the module shares one world."""
    from lantian.settings import get_settings

    monkeypatch.setenv("LANTIAN_HOME", str(world["settings"].home))
    get_settings.cache_clear()


def _call(client: TestClient, method: str, spec: Spec, headers: dict[str, str]) -> Any:
    return client.request(
        method,
        spec.path,
        json=spec.json,
        data=spec.data,
        files=spec.files,
        headers=headers,
        follow_redirects=False,
    )


def _routes() -> list[tuple[str, str]]:
    return sorted(ROUTES)


def test_every_route_has_an_authorization_test(world: dict[str, Any]) -> None:
    served = set(route_table(world["app"]))
    untested = served - set(ROUTES) - PUBLIC
    assert not untested, f"routes without an authorization test: {sorted(untested)}"
    stale = set(ROUTES) - served
    assert not stale, f"authorization tests of routes that do not exist: {sorted(stale)}"


@pytest.mark.parametrize(("method", "route"), _routes())
def test_anonymous_is_refused(world: dict[str, Any], method: str, route: str) -> None:
    spec = ROUTES[(method, route)](world["objs"])
    with TestClient(world["app"]) as anon:
        r = _call(anon, method, spec, {})
    if route.startswith("/api/"):
        assert r.status_code == 401, r.text
    elif method == "GET":
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    else:  # page posts: refused before anything happens (no session → CSRF or login)
        assert r.status_code in (303, 403), r.text


def _client_for(
    world: dict[str, Any], username: str, api: bool
) -> tuple[TestClient, dict[str, str]]:
    c = TestClient(world["app"])
    if api:
        return c, bearer(c, username)
    csrf = login(c, username)
    return c, {"X-CSRF-Token": csrf}


@pytest.mark.parametrize(("method", "route"), _routes())
def test_other_enterprise_is_refused(world: dict[str, Any], method: str, route: str) -> None:
    """ent2 (enterprise E2) must not see or change E1's objects."""
    spec = ROUTES[(method, route)](world["objs"])
    if route == "/logout" or route in SELF_SERVICE:
        pytest.skip("logout acts on the caller's own session only")
    c, headers = _client_for(world, "ent2", route.startswith("/api/"))
    with c:
        r = _call(c, method, spec, headers)
    body = r.content.decode("utf-8", "replace")
    if spec.officer_only:
        assert r.status_code == 403, body[:500]
    elif spec.list_must_not_contain:
        assert r.status_code in (200, 303), body[:500]
        if r.headers.get("content-type", "").startswith("application/vnd.openxml"):
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(r.content))
            body = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row)
        for needle in spec.list_must_not_contain:
            assert needle not in body, f"{needle} leaked to ent2"
    elif route == "/api/me":
        assert r.json()["enterprise_id"] == "E2"
    else:
        assert r.status_code in (403, 404), (r.status_code, body[:500])


@pytest.mark.parametrize(("method", "route"), _routes())
def test_officer_of_another_city_is_refused(world: dict[str, Any], method: str, route: str) -> None:
    """sjz_city (石家庄市) must not see or change objects of 唐山市."""
    spec = ROUTES[(method, route)](world["objs"])
    if route in ("/logout", "/api/me", *SELF_SERVICE):
        pytest.skip("acts on the caller itself")
    c, headers = _client_for(world, "sjz_city", route.startswith("/api/"))
    with c:
        r = _call(c, method, spec, headers)
    body = r.content.decode("utf-8", "replace")
    if spec.officer_only or spec.list_must_not_contain:
        assert r.status_code in (200, 303), body[:500]
        if r.headers.get("content-type", "").startswith("application/vnd.openxml"):
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(r.content))
            body = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row)
        for needle in ["冀东钢铁", "LE1-", "唐山印刷厂"]:
            assert needle not in body, f"{needle} leaked to another city"
    else:
        assert r.status_code in (403, 404), (r.status_code, body[:500])
