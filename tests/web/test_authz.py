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
from tests.web.conftest import Seeded, bearer, login, module_home

from lantian.assist.selfchecks import queries as sq
from lantian.auth.models import User
from lantian.auth.service import create_api_token
from lantian.db.session import session_scope
from lantian.enforcement import services as es
from lantian.supervision.campaigns import services as cs
from lantian.supervision.complaints.services import ComplaintIn, record_complaint
from lantian.supervision.config import load_config
from lantian.supervision.hazards import services as hs
from lantian.supervision.hazards.models import HazardReplyFile
from lantian.supervision.plans.models import PlanDraw
from lantian.supervision.visits import services as vs
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import now_cst
from lantian.web.app import create_app, route_table
from lantian.workflow import service as ws
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import ChecklistTemplate, SpotCheck, SpotCheckDraw

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
    ("GET", "/public"),
    ("GET", "/api/public/online"),
    ("GET", "/api/public/cases"),
}
"""Routes anyone may call (``/`` only redirects to the login page)."""

APOLOGY = "我公司郑重道歉并承诺严格守法经营，接受监督。"
"""A 道歉承诺 letter (issue #14 routes)."""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PNG_IMAGE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
"""A real 1×1 PNG (self-check photos are decoded and re-encoded)."""
HZ_ITEM = {"problem": "料场未苫盖", "basis": "大气污染防治法第七十二条", "measure": "苫盖"}
HZ_FORM = {f"{k}_1": v for k, v in HZ_ITEM.items()}
MEETING: dict[str, Any] = {
    "held_at": "2026-11-20T10:00:00+08:00",
    "place": "会议室",
    "people": ["张三（法定代表人）"],
    "content": "约谈企业负责人",
}
"""A 约谈 record (issue #16 item 3 routes)."""


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
    ("GET", "/enterprises/{enterprise_id}/qc"): lambda o: Spec("/enterprises/E1/qc"),
    ("POST", "/outlets/{outlet_id}/qc"): lambda o: Spec("/outlets/E1-O1/qc", data={"cn": "1011"}),
    ("GET", "/qc"): lambda o: Spec("/qc", officer_only=True),
    ("POST", "/qc/bulk"): lambda o: Spec("/qc/bulk", data={"cn": "1011"}, officer_only=True),
    ("POST", "/api/outlets/{outlet_id}/qc"): lambda o: Spec(
        "/api/outlets/E1-O1/qc", json={"cn": "1011"}
    ),
    ("GET", "/api/qc"): lambda o: Spec("/api/qc", officer_only=True),
    ("GET", "/api/reports"): lambda o: Spec("/api/reports", officer_only=True),
    ("POST", "/api/reports"): lambda o: Spec(
        "/api/reports", json={"kind": "weekly", "period": "2026-W01"}, officer_only=True
    ),
    ("GET", "/api/reports/{report_id}"): lambda o: Spec(f"/api/reports/{o['report']}"),
    ("GET", "/reports"): lambda o: Spec("/reports", officer_only=True),
    ("POST", "/reports"): lambda o: Spec(
        "/reports", data={"kind": "weekly", "period": "2026-W01"}, officer_only=True
    ),
    ("GET", "/reports/{report_id}.{fmt}"): lambda o: Spec(f"/reports/{o['report']}.pdf"),
    ("GET", "/api/tasks"): lambda o: Spec("/api/tasks", officer_only=True),
    ("POST", "/api/tasks/{task_id}/done"): lambda o: Spec(
        f"/api/tasks/{o['task']}/done", json={"result": "已督促"}
    ),
    ("GET", "/tasks"): lambda o: Spec("/tasks", officer_only=True),
    ("POST", "/tasks/{task_id}/done"): lambda o: Spec(
        f"/tasks/{o['task']}/done", data={"result": "已督促"}
    ),
    ("POST", "/api/cases/{case_id}/interviews"): lambda o: Spec(
        f"/api/cases/{o['case']}/interviews", json=MEETING
    ),
    ("POST", "/api/cases/{case_id}/circulars"): lambda o: Spec(
        f"/api/cases/{o['case']}/circulars", json=MEETING
    ),
    ("GET", "/api/cases/{case_id}/meetings"): lambda o: Spec(f"/api/cases/{o['case']}/meetings"),
    ("GET", "/api/meetings/{meeting_id}.pdf"): lambda o: Spec(f"/api/meetings/{o['meeting']}.pdf"),
    ("POST", "/cases/{case_id}/meetings"): lambda o: Spec(
        f"/cases/{o['case']}/meetings",
        data={**MEETING, "kind": "interview", "people": "张三"},
    ),
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
            "reason": "纸质考试代录",
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
    ("GET", "/training"): lambda o: Spec("/training", officer_only=True),
    ("POST", "/training/sessions"): lambda o: Spec(
        "/training/sessions",
        data={
            "title": "培训",
            "starts_at": "2026-12-30T09:00",
            "ends_at": "2026-12-30T11:00",
            "capacity": "5",
            "hours": "2",
            "place": "会议室",
        },
        officer_only=True,
    ),
    ("GET", "/training/sessions/{session_id}"): lambda o: Spec(
        f"/training/sessions/{o['training_session']}", officer_only=True
    ),
    ("POST", "/training/registrations/{registration_id}/attend"): lambda o: Spec(
        f"/training/registrations/{o['registration']}/attend", data={}
    ),
    ("POST", "/training/topics"): lambda o: Spec("/training/topics", data={"title": "主题"}),
    ("GET", "/portal/training"): lambda o: Spec(
        "/portal/training", list_must_not_contain=["冀东钢铁", "LE1-"]
    ),
    ("POST", "/portal/training/topics/{topic_id}/vote"): lambda o: Spec(
        f"/portal/training/topics/{o['topic']}/vote", data={}
    ),
    ("POST", "/portal/training/sessions/{session_id}/register"): lambda o: Spec(
        f"/portal/training/sessions/{o['training_session']}/register", data={}
    ),
    ("POST", "/portal/training/sessions/{session_id}/check-in"): lambda o: Spec(
        f"/portal/training/sessions/{o['training_session']}/check-in", data={"code": "0"}
    ),
    ("GET", "/portal/training/courses/{course_id}"): lambda o: Spec(
        f"/portal/training/courses/{o['course']}", list_must_not_contain=["冀东钢铁"]
    ),
    ("POST", "/portal/training/courses/{course_id}/exam"): lambda o: Spec(
        f"/portal/training/courses/{o['course']}/exam", data={}
    ),
    ("GET", "/portal/training/exams/{attempt_id}"): lambda o: Spec(
        f"/portal/training/exams/{o['attempt']}"
    ),
    ("POST", "/portal/training/exams/{attempt_id}"): lambda o: Spec(
        f"/portal/training/exams/{o['attempt']}", data={}
    ),
    ("GET", "/training/certificates/{certificate_id}.pdf"): lambda o: Spec(
        f"/training/certificates/{o['certificate']}.pdf"
    ),
    ("POST", "/training/courses/{course_id}/materials"): lambda o: Spec(
        f"/training/courses/{o['course']}/materials",
        data={"title": "资料"},
        files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        officer_only=True,
    ),
    ("GET", "/training/materials/{material_id}.pdf"): lambda o: Spec(
        f"/training/materials/{o['material']}.pdf", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/library"): lambda o: Spec("/library", list_must_not_contain=["冀东钢铁"]),
    ("GET", "/api/training/courses"): lambda o: Spec(
        "/api/training/courses", list_must_not_contain=["冀东钢铁"]
    ),
    ("POST", "/api/training/courses/{course_id}/attempts"): lambda o: Spec(
        f"/api/training/courses/{o['course']}/attempts", json={}
    ),
    ("POST", "/api/training/attempts/{attempt_id}/answers"): lambda o: Spec(
        f"/api/training/attempts/{o['attempt']}/answers", json={"answers": {}}
    ),
    ("GET", "/api/library/cases"): lambda o: Spec(
        "/api/library/cases", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/api/library/policies"): lambda o: Spec(
        "/api/library/policies", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/library/cases/{entry_id}"): lambda o: Spec(
        f"/library/cases/{o['typical_case']}", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/library/policies/{policy_id}"): lambda o: Spec(
        f"/library/policies/{o['policy']}", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/library/new"): lambda o: Spec("/library/new", officer_only=True),
    ("POST", "/library/cases"): lambda o: Spec(
        "/library/cases",
        data={"title": "案例", "facts": "某企业颗粒物超标两倍以上"},
        officer_only=True,
    ),
    ("POST", "/library/policies"): lambda o: Spec(
        "/library/policies",
        data={"title": "政策", "issuer": "生态环境部", "body": "本政策正文内容超过十个字符。"},
        officer_only=True,
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
    ("POST", "/leads/{lead_id}/candidates/dispatch"): lambda o: Spec(
        "/leads/LE1-1/candidates/dispatch", data={"enterprise_id": "E1"}
    ),
    ("GET", "/api/layers/grid"): lambda o: Spec("/api/layers/grid", officer_only=True),
    ("GET", "/api/layers/tracks"): lambda o: Spec(
        "/api/layers/tracks?date=2024-01-15", officer_only=True
    ),
    ("GET", "/api/layers/alarms"): lambda o: Spec(
        "/api/layers/alarms?from=2024-01-15T00:00:00&to=2024-01-16T00:00:00", officer_only=True
    ),
    ("GET", "/api/layers/gates"): lambda o: Spec(
        "/api/layers/gates?from=2024-01-15T00:00:00&to=2024-01-16T00:00:00", officer_only=True
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
    # self-checks and rectification plans (issue #15): E1's submitted self-check
    ("GET", "/api/self-checks/template"): lambda o: Spec(
        "/api/self-checks/template?enterprise_id=E1"
    ),
    ("POST", "/api/self-checks"): lambda o: Spec(
        "/api/self-checks",
        json={"template_id": "selfcheck-steel-v1", "answers": [], "self_check_id": o["self_check"]},
    ),
    ("GET", "/api/self-checks"): lambda o: Spec(
        "/api/self-checks", list_must_not_contain=["冀东钢铁", '"E1"']
    ),
    ("GET", "/api/self-checks/{self_check_id}"): lambda o: Spec(
        f"/api/self-checks/{o['self_check']}"
    ),
    ("POST", "/api/self-checks/{self_check_id}/photos"): lambda o: Spec(
        f"/api/self-checks/{o['self_check']}/photos",
        data={"item_id": "ST-1"},
        files={"file": ("p.png", PNG, "image/png")},
    ),
    ("POST", "/api/self-checks/{self_check_id}/review"): lambda o: Spec(
        f"/api/self-checks/{o['self_check']}/review", json={"note": "x"}
    ),
    ("GET", "/api/self-check-files/{file_id}"): lambda o: Spec(
        f"/api/self-check-files/{o['sc_file']}"
    ),
    ("POST", "/api/rectification-plans"): lambda o: Spec(
        "/api/rectification-plans",
        json={"finding_id": o["sc_finding"], "measures": "x", "milestones": []},
    ),
    ("GET", "/api/rectification-plans"): lambda o: Spec(
        f"/api/rectification-plans?finding_id={o['sc_finding']}",
        list_must_not_contain=['"E1"', "封闭料棚"],
    ),
    ("POST", "/api/rectification-milestones/{milestone_id}/complete"): lambda o: Spec(
        f"/api/rectification-milestones/{o['milestone']}/complete", data={"note": "done"}
    ),
    ("GET", "/portal/self-checks"): lambda o: Spec(
        "/portal/self-checks", list_must_not_contain=["冀东钢铁", "料棚东侧"]
    ),
    ("POST", "/portal/self-checks/start"): lambda o: Spec(
        "/portal/self-checks/start", data={"notice_id": str(o["notice"])}
    ),
    ("GET", "/portal/self-checks/{self_check_id}"): lambda o: Spec(
        f"/portal/self-checks/{o['self_check']}"
    ),
    ("POST", "/portal/self-checks/{self_check_id}"): lambda o: Spec(
        f"/portal/self-checks/{o['self_check']}", data={"action": "save"}
    ),
    ("POST", "/portal/self-check-findings/{finding_id}/fixed"): lambda o: Spec(
        f"/portal/self-check-findings/{o['sc_finding']}/fixed", data={"note": "x"}
    ),
    ("GET", "/self-checks"): lambda o: Spec("/self-checks", officer_only=True),
    ("GET", "/self-checks/templates"): lambda o: Spec("/self-checks/templates", officer_only=True),
    ("GET", "/self-checks/templates/{industry}"): lambda o: Spec(
        "/self-checks/templates/steel", officer_only=True
    ),
    ("POST", "/self-checks/templates/{industry}"): lambda o: Spec(
        "/self-checks/templates/steel",
        data={"title": "x", "rows": "1", "id_0": "A", "text_0": "t", "basis_0": "b"},
    ),
    ("GET", "/self-checks/{self_check_id}"): lambda o: Spec(f"/self-checks/{o['self_check']}"),
    ("POST", "/self-checks/{self_check_id}/review"): lambda o: Spec(
        f"/self-checks/{o['self_check']}/review", data={"note": "x"}
    ),
    ("GET", "/cases/{case_id}/rectification"): lambda o: Spec(f"/cases/{o['case']}/rectification"),
    ("GET", "/self-check-findings/{finding_id}/rectification"): lambda o: Spec(
        f"/self-check-findings/{o['sc_finding']}/rectification"
    ),
    ("POST", "/rectification-plans"): lambda o: Spec(
        "/rectification-plans", data={"finding_id": str(o["sc_finding"]), "measures": "x"}
    ),
    ("POST", "/rectification-milestones/{milestone_id}/complete"): lambda o: Spec(
        f"/rectification-milestones/{o['milestone']}/complete", data={"note": "x"}
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
    # notifications (the dispatch of E1's case notified lb_district about 冀东钢铁)
    ("GET", "/notifications"): lambda o: Spec("/notifications", list_must_not_contain=["冀东钢铁"]),
    ("POST", "/notifications/read"): lambda o: Spec(
        "/notifications/read", list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/account/notifications"): lambda o: Spec(
        "/account/notifications", list_must_not_contain=["冀东钢铁"]
    ),
    ("POST", "/account/notifications"): lambda o: Spec(
        "/account/notifications", data={"digest_hour": "8"}, list_must_not_contain=["冀东钢铁"]
    ),
    ("GET", "/digest"): lambda o: Spec("/digest", list_must_not_contain=["冀东钢铁", "LE1-"]),
    ("GET", "/digest.pdf"): lambda o: Spec("/digest.pdf", list_must_not_contain=["LE1-"]),
    ("GET", "/admin/outbox"): lambda o: Spec("/admin/outbox"),
    ("POST", "/admin/outbox/{notification_id}/retry"): lambda o: Spec("/admin/outbox/1/retry"),
    # consultation, surveys, scores (issue #15 items 6-8)
    ("POST", "/api/questions"): lambda o: Spec("/api/questions", json={"text": "x"}),
    ("GET", "/api/questions"): lambda o: Spec("/api/questions", list_must_not_contain=["QTEXT-E1"]),
    ("GET", "/api/questions/{question_id}"): lambda o: Spec(f"/api/questions/{o['question']}"),
    ("POST", "/api/questions/{question_id}/claim"): lambda o: Spec(
        f"/api/questions/{o['question']}/claim"
    ),
    ("POST", "/api/questions/{question_id}/transfer"): lambda o: Spec(
        f"/api/questions/{o['question']}/transfer",
        json={"to_officer_id": o["officer"], "reason": "x"},
    ),
    ("POST", "/api/questions/{question_id}/answer"): lambda o: Spec(
        f"/api/questions/{o['question']}/answer", json={"text": "x"}
    ),
    ("POST", "/api/questions/{question_id}/rating"): lambda o: Spec(
        f"/api/questions/{o['question']}/rating", json={"rating": 1}
    ),
    ("POST", "/api/questions/{question_id}/faq"): lambda o: Spec(
        f"/api/questions/{o['question']}/faq", json={"title": "x", "answer": "y"}
    ),
    ("GET", "/api/faq"): lambda o: Spec("/api/faq", list_must_not_contain=["QTEXT-E1"]),
    ("GET", "/api/surveys/form"): lambda o: Spec("/api/surveys/form", list_must_not_contain=["E1"]),
    ("GET", "/api/surveys/invitations"): lambda o: Spec(
        "/api/surveys/invitations", list_must_not_contain=["INV-E1-OBJ"]
    ),
    ("POST", "/api/surveys/invitations/{invitation_id}/response"): lambda o: Spec(
        f"/api/surveys/invitations/{o['invitation']}/response", json={"answers": {"overall": 1}}
    ),
    ("GET", "/api/surveys/results"): lambda o: Spec(
        "/api/surveys/results?period=2026-12", officer_only=True
    ),
    ("GET", "/api/scores"): lambda o: Spec("/api/scores?period=2026-12", officer_only=True),
    ("GET", "/questions"): lambda o: Spec("/questions", list_must_not_contain=["QTEXT-E1"]),
    ("POST", "/questions"): lambda o: Spec("/questions", data={"text": "x"}),
    ("GET", "/questions/{question_id}"): lambda o: Spec(f"/questions/{o['question']}"),
    ("POST", "/questions/{question_id}/claim"): lambda o: Spec(f"/questions/{o['question']}/claim"),
    ("POST", "/questions/{question_id}/answer"): lambda o: Spec(
        f"/questions/{o['question']}/answer", data={"text": "x"}
    ),
    ("POST", "/questions/{question_id}/transfer"): lambda o: Spec(
        f"/questions/{o['question']}/transfer",
        data={"to_officer_id": str(o["officer"]), "reason": "x"},
    ),
    ("POST", "/questions/{question_id}/rate"): lambda o: Spec(
        f"/questions/{o['question']}/rate", data={"rating": "1"}
    ),
    ("POST", "/questions/{question_id}/faq"): lambda o: Spec(
        f"/questions/{o['question']}/faq", data={"title": "x", "answer": "y"}
    ),
    ("GET", "/questions/{question_id}/photos/{photo_id}"): lambda o: Spec(
        f"/questions/{o['question']}/photos/1"
    ),
    ("GET", "/faq"): lambda o: Spec("/faq", list_must_not_contain=["QTEXT-E1"]),
    ("GET", "/surveys"): lambda o: Spec("/surveys", list_must_not_contain=["INV-E1-OBJ"]),
    ("GET", "/surveys/{invitation_id}"): lambda o: Spec(f"/surveys/{o['invitation']}"),
    ("POST", "/surveys/{invitation_id}"): lambda o: Spec(
        f"/surveys/{o['invitation']}", data={"overall": "1"}
    ),
    ("GET", "/surveys/results.xlsx"): lambda o: Spec(
        "/surveys/results.xlsx?period=2026-12", officer_only=True
    ),
    ("GET", "/scores"): lambda o: Spec("/scores?period=2026-12", officer_only=True),
    ("GET", "/scores.xlsx"): lambda o: Spec("/scores.xlsx?period=2026-12", officer_only=True),
    # visit register, campaigns, 扫码入企 (issue #13 items 7-8, #15 item 2)
    ("GET", "/visits"): lambda o: Spec("/visits", officer_only=True),
    ("GET", "/visits/new"): lambda o: Spec("/visits/new", officer_only=True),
    ("POST", "/visits"): lambda o: Spec(
        "/visits",
        data={
            "enterprise_id": "E1",
            "kind": "plan",
            "purpose": "x",
            "basis": "y",
            "planned_date": o["deadline"],
            "inspector_ids": [o["officer"]],
        },
    ),
    ("GET", "/visits/{visit_id}"): lambda o: Spec(f"/visits/{o['visit']}"),
    ("POST", "/visits/{visit_id}/decide"): lambda o: Spec(
        f"/visits/{o['visit']}/decide", data={"decision": "cancel", "note": "x"}
    ),
    ("POST", "/visits/{visit_id}/service"): lambda o: Spec(
        f"/visits/{o['visit']}/service", data={"problems": "x", "advice": "y"}
    ),
    ("POST", "/visits/{visit_id}/followups"): lambda o: Spec(
        f"/visits/{o['visit']}/followups", data={"due": o["deadline"], "note": "x"}
    ),
    ("GET", "/visits/{visit_id}/approval.pdf"): lambda o: Spec(
        f"/visits/{o['visit']}/approval.pdf"
    ),
    ("GET", "/campaigns"): lambda o: Spec("/campaigns", officer_only=True),
    ("POST", "/campaigns"): lambda o: Spec(
        "/campaigns",
        data={
            "name": "x",
            "start_date": "2026-12-01",
            "end_date": "2026-12-31",
            "jurisdiction": "唐山市",
        },
    ),
    ("GET", "/campaigns/{campaign_id}"): lambda o: Spec(f"/campaigns/{o['campaign']}"),
    ("POST", "/campaigns/{campaign_id}/link"): lambda o: Spec(
        f"/campaigns/{o['campaign']}/link", data={"what": "case", "key": str(o["case"])}
    ),
    ("GET", "/portal/visits"): lambda o: Spec("/portal/visits", list_must_not_contain=["E1 检查"]),
    ("GET", "/portal/checkin/{token}"): lambda o: Spec(f"/portal/checkin/{o['checkin']}"),
    ("POST", "/portal/checkin/{token}"): lambda o: Spec(
        f"/portal/checkin/{o['checkin']}", data={"what": "arrival"}
    ),
}
ROUTES.update(
    {  # ambient ranking (issue #16 item 6): a city officer ranks only its own stations
        ("GET", "/ambient"): lambda o: Spec("/ambient?level=district", officer_only=True),
        ("GET", "/ambient/index.xlsx"): lambda o: Spec(
            "/ambient/index.xlsx?level=station", officer_only=True
        ),
        ("GET", "/api/ambient/index"): lambda o: Spec(
            "/api/ambient/index?level=station", officer_only=True
        ),
        # 正面清单 and 绩效分级 (issue #13 items 1, 2)
        ("GET", "/positive-list"): lambda o: Spec("/positive-list", officer_only=True),
        ("GET", "/positive-list/export.xlsx"): lambda o: Spec(
            "/positive-list/export.xlsx", officer_only=True
        ),
        ("POST", "/positive-list/decisions"): lambda o: Spec(
            "/positive-list/decisions",
            data={"enterprise_id": "E1", "action": "add", "reason": "x"},
        ),
        ("POST", "/positive-list/proposals/{proposal_id}"): lambda o: Spec(
            f"/positive-list/proposals/{o['proposal']}", data={"decision": "accept"}
        ),
        ("POST", "/positive-list/review"): lambda o: Spec(
            "/positive-list/review", officer_only=True
        ),
        ("GET", "/enterprises/{enterprise_id}/grades"): lambda o: Spec("/enterprises/E1/grades"),
        ("POST", "/enterprises/{enterprise_id}/grades"): lambda o: Spec(
            "/enterprises/E1/grades",
            data={
                "grade": "A",
                "effective_from": "2026-01-01",
                "evidence_kind": "document",
                "evidence_ref": "x",
            },
        ),
        ("GET", "/grade-applications"): lambda o: Spec("/grade-applications", officer_only=True),
        ("GET", "/grade-applications/{application_id}"): lambda o: Spec(
            f"/grade-applications/{o['grade_application']}"
        ),
        ("POST", "/grade-applications/{application_id}/steps"): lambda o: Spec(
            f"/grade-applications/{o['grade_application']}/steps",
            data={"step": "accept", "result": "passed", "note": "x"},
        ),
        ("GET", "/portal/grades"): lambda o: Spec("/portal/grades", list_must_not_contain=["冀东"]),
        ("POST", "/portal/grades"): lambda o: Spec(
            "/portal/grades", data={"target_grade": "A", "statement": "x"}
        ),
        # 隐患提示函 (issue #13 item 6)
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
ROUTES.update(
    {  # 信访投诉 (issue #13 items 1, 4): officers only, enterprises see none
        ("GET", "/api/complaints"): lambda o: Spec("/api/complaints", officer_only=True),
        ("POST", "/api/complaints"): lambda o: Spec(
            "/api/complaints",
            json={
                "enterprise_id": "E1",
                "received_at": "2026-11-21",
                "channel": "online",
                "summary": "x",
            },
        ),
        ("POST", "/api/complaints/{complaint_id}/judge"): lambda o: Spec(
            f"/api/complaints/{o['complaint']}/judge", json={"outcome": "unfounded", "note": "x"}
        ),
        ("GET", "/complaints"): lambda o: Spec("/complaints", officer_only=True),
        ("POST", "/complaints"): lambda o: Spec(
            "/complaints",
            data={
                "enterprise_id": "E1",
                "received_at": "2026-11-21",
                "channel": "online",
                "summary": "x",
            },
        ),
        ("POST", "/complaints/{complaint_id}/judge"): lambda o: Spec(
            f"/complaints/{o['complaint']}/judge", data={"outcome": "unfounded", "note": "x"}
        ),
    }
)
SELF_SERVICE = (
    "/api/me/password",
    "/account/password",
    "/training/topics",
    "/portal/training/topics/{topic_id}/vote",
    "/portal/training/sessions/{session_id}/register",
    "/portal/training/sessions/{session_id}/check-in",
    "/portal/training/courses/{course_id}/exam",
    "/api/training/courses/{course_id}/attempts",
    "/api/reports",
)
"""Routes that act on the caller only (a wrong current password is the caller's 422)."""
OWN_CREATES = {("POST", "/api/questions"), ("POST", "/questions"), ("POST", "/portal/grades")}
"""Routes where another enterprise creates its own object (its question), not E1's."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One seeded app for the module: a dispatched case of E1 with an attachment."""

    from tests.web.conftest import seed

    with module_home(tmp_path_factory.mktemp("authz-home")) as settings:
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
            repair = es.request_credit_repair(
                db, ent1_user, decision.decision_id, {"training": True}
            )
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
            # E1's self-check with a photo, a 不符合 finding and a plan on it (issue #15)
            from lantian.assist.rectification import services as rs
            from lantian.assist.selfchecks import services as ss

            ss.ensure_selfcheck_templates(db)
            draft = ss.start_draft(db, ent1)
            sc_file = ss.add_photo(db, ent1, draft.self_check_id, "ST-1",
                                   UploadedFile("p.png", PNG_IMAGE, "image/png"),
                                   uploads_dir=settings.uploads_dir)  # fmt: skip
            tpl = db.get(ChecklistTemplate, draft.template_id)
            assert tpl is not None
            facts = sq.registry_facts(db, ["E1"])["E1"]
            answers = [{"item_id": it["code"], "answer": "no" if it["code"] == "ST-2" else "yes",
                        "note": "料棚东侧"} for it in ss.applicable_items(tpl, facts)]  # fmt: skip
            sc = ss.save_self_check(
                db, ent1, tpl.template_id, answers, self_check_id=draft.self_check_id
            )
            finding = sq.findings_of(db, sc.self_check_id)[0]
            rplan = rs.create_plan(db, ent1, measures="封闭料棚", finding_id=finding.finding_id,
                                   milestones=[{"title": "封闭", "responsible": "张三",
                                                "due_date": deadline}])  # fmt: skip
            milestone = rs.plans_of(db, ent1, plan_id=rplan.plan_id)[0].milestones[0][0]
            from lantian.assist.questions import services as qsvc
            from lantian.assist.surveys import services as ssvc

            question = qsvc.ask(db, ent1, "QTEXT-E1 咨询")
            invitation = ssvc.invite(db, "E1", "visit", "INV-E1-OBJ", [seeded.user_ids["ts_city"]])
            assert invitation is not None
            # an approved visit of E1 (applied by the district, approved by the city) in a
            # campaign of 唐山市
            camp = cs.create_campaign(
                db,
                admin,
                name="唐山市专项",
                start_date=now_cst().date(),
                end_date=now_cst().date() + timedelta(days=30),
                jurisdiction="唐山市",
            )
            lb = db.get(User, seeded.user_ids["lb_district"])
            ts = db.get(User, seeded.user_ids["ts_city"])
            assert lb is not None and ts is not None
            visit = vs.apply_visit(
                db,
                lb,
                enterprise_id="E1",
                kind="assistance",
                service_kind="diagnosis",
                purpose="E1 检查",
                basis="大气污染防治法",
                planned_date=now_cst().date() + timedelta(days=2),
                inspector_ids=[lb.user_id, ts.user_id],
                campaign_id=camp.campaign_id,
            )
            vs.approve_visit(db, ts, visit.visit_id, load_config(), acknowledge_warnings=True)
            visit_key = (visit.visit_id, visit.checkin_nonce)
            hazard = hs.issue_hazard_notice(db, admin, "E1", title="E1 隐患", items=[HZ_ITEM])
            hs.reply(
                db, ent1, hazard.notice_id, "已整改", [UploadedFile("h.png", PNG)],
                uploads_dir=settings.uploads_dir,
            )  # fmt: skip
            hazard_file = db.scalar(
                select(HazardReplyFile.file_id).where(HazardReplyFile.notice_id == hazard.notice_id)
            )
            # 正面清单 proposal and 创A升B application of E1 (issue #13)
            from lantian.supervision.grades import services as gs
            from lantian.supervision.listing.models import PositiveListProposal

            proposal = PositiveListProposal(
                enterprise_id="E1",
                change="add",
                reasons=["x"],
                as_of=now_cst().date(),
                proposed_at=now_cst(),
                status="pending",
                criteria={},
            )
            db.add(proposal)
            db.flush()
            grade_app = gs.apply(db, ent1, load_config().grades, target_grade="A", statement="申请")
            complaint = record_complaint(
                db,
                admin,
                ComplaintIn("E1", "2026-11-20", "hotline_12369", "冀东钢铁 夜间异味投诉"),
            )
            # 督办任务 and 约谈 of E1's case (issue #16 item 3)
            from lantian.workflow.dispatch_models import SupervisionTask
            from lantian.workflow.meetings import parse_meeting, record_meeting

            task = SupervisionTask(
                case_id=case.case_id, level=1, assignee_id=seeded.user_ids["ts_city"],
                status="open", reason="E1 逾期督办", created_at=now_cst(),
                due_at=now_cst() + timedelta(days=3),
            )  # fmt: skip
            db.add(task)
            db.flush()
            meeting = record_meeting(
                db, admin, case.case_id,
                parse_meeting("interview", **MEETING),
            )  # fmt: skip
            from lantian.reports.archive import generate as generate_report
            from lantian.reports.periodic import city_viewer, parse_period

            report = generate_report(
                db, city_viewer("唐山市"), "weekly", parse_period("weekly", "2026-W01"),
                actor=admin, settings=settings,
            ).row  # fmt: skip
            objs = {
                "report": report.report_id,
                "task": task.task_id,
                "meeting": meeting.meeting_id,
                "proposal": proposal.proposal_id,
                "grade_application": grade_app.application_id,
                "visit": visit.visit_id,
                "campaign": camp.campaign_id,
                "self_check": sc.self_check_id,
                "sc_file": sc_file.file_id,
                "sc_finding": finding.finding_id,
                "milestone": milestone.milestone_id,
                "question": question.question_id,
                "invitation": invitation.invitation_id,
                **_training_objects(db, admin, ent1, seeded.user_ids["lb_district"]),
                "hazard": hazard.notice_id,
                "hazard_file": hazard_file,
                "complaint": complaint.complaint_id,
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
        with session_scope(settings) as db:
            v = db.get(InspectionVisit, visit_key[0])
            assert v is not None
            objs["checkin"] = vs.checkin_token(v, app.state.secret)
        yield {"app": app, "objs": objs, "settings": settings}


def _training_objects(db: Any, admin: User, ent1: User, officer_id: int) -> dict[str, int]:
    """E1's session registration, passed exam and certificate; a topic; library entries."""
    from lantian.assist.library import services as ls
    from lantian.assist.training import services as ts
    from lantian.assist.training.models import Certificate
    from lantian.settings import get_settings

    officer = db.get(User, officer_id)
    start = now_cst() + timedelta(hours=1)
    session = ts.create_session(
        db, officer, title="培训", starts_at=start, ends_at=start + timedelta(hours=2),
        capacity=10, hours=2, place="分局",
    )  # fmt: skip
    reg = ts.register(db, ent1, session.session_id)
    course = ts.law_study_course(db)
    attempt = ts.start_attempt(db, ent1, course.course_id)
    bank = ts.bank_of(db, course.course_id)
    answers = {
        int(it["question_id"]): [it["order"].index(i) for i in bank[it["question_id"]].answer]
        for it in attempt.paper
    }
    ts.submit_attempt(db, ent1, attempt.attempt_id, answers)
    cert = db.scalar(select(Certificate).where(Certificate.attempt_id == attempt.attempt_id))
    topic = ts.propose_topic(db, ent1, "排污许可")
    pdf = UploadedFile("资料.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    material = ts.add_pdf_material(
        db, admin, course.course_id, "资料", pdf, get_settings().uploads_dir
    )
    case = ls.save_case(db, admin, title="钢铁企业超标", facts="某企业排口颗粒物超标两倍")
    body = "本政策正文内容超过十个字符。"
    policy = ls.save_policy(db, admin, title="政策", issuer="生态环境部", body=body)
    return {
        "training_session": session.session_id,
        "registration": reg.registration_id,
        "course": course.course_id,
        "attempt": attempt.attempt_id,
        "certificate": cert.certificate_id,
        "topic": topic.topic_id,
        "material": material.material_id,
        "typical_case": case.entry_id,
        "policy": policy.policy_id,
    }


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
    if (method, route) in OWN_CREATES:
        pytest.skip("creates the caller's own object")
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
