"""Drive a case of the seeded web database to any state through the workflow service."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from tests.web.conftest import Seeded

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.timeutil import now_cst
from lantian.workflow import service as ws

_LEADS = itertools.count(1)

PATHS: dict[str, tuple[str, ...]] = {
    "new": (),
    "dispatched": ("dispatch",),
    "checking": ("dispatch", "start_check"),
    "checked": ("dispatch", "start_check", "+remote"),
    "false_positive": ("dispatch", "start_check", "+remote", "judge_false_positive"),
    "confirmed": ("dispatch", "start_check", "+remote", "judge_confirmed"),
    "immediate_fix": (
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "choose_immediate_fix",
    ),
    "supervision_order": (
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
    ),
    "rectification": (
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
    ),
    "review": (
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
        "submit_rectification",
    ),
    "closed": (
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
        "submit_rectification",
        "review_accept",
    ),
}
"""How the admin drives a new case to each state ("checked": checking with a check record)."""

STATE_OF: dict[str, str] = {"checked": "checking"}
"""The case status of a driver state whose name is not a status."""


def fresh_lead(db: Any, template: str = "LE1-0") -> str:
    """A copy of lead ``template`` under a new id (a case takes each lead once)."""
    src = db.get(Lead, template)
    lead_id = f"{template}-x{next(_LEADS)}"
    cols = {c.key: getattr(src, c.key) for c in Lead.__table__.columns}
    db.add(Lead(**(cols | {"lead_id": lead_id})))
    db.flush()
    return lead_id


def drive_case(seeded: Seeded, state: str) -> int:
    """A new case of E1 (路北区, assignee lb_district) driven by the admin to ``state``."""
    deadline = now_cst() + timedelta(days=5)
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        cid = ws.open_case(db, admin, [fresh_lead(db)]).case_id
        for step in PATHS[state]:
            if step == "dispatch":
                assignee = seeded.user_ids["lb_district"]
                ws.dispatch(db, admin, case_ids=[cid], assignee_id=assignee, deadline=deadline)
            elif step == "start_check":
                ws.start_check(db, admin, cid, mode="remote")
            elif step == "+remote":
                ws.record_remote_check(db, admin, cid, notes="调阅在线监测数据")
            elif step == "judge_confirmed":
                ws.judge(db, admin, cid, confirmed=True, finding="脱硫设施停运")
            elif step == "judge_false_positive":
                ws.judge(db, admin, cid, confirmed=False, reason="仪表故障")
            elif step == "choose_immediate_fix":
                ws.choose_fix_path(db, admin, cid, "immediate_fix")
            elif step == "issue_supervision_order":
                ws.choose_fix_path(
                    db, admin, cid, "supervision_order", rectify_deadline=deadline + timedelta(9)
                )
            elif step == "start_rectification":
                ws.start_rectification(db, admin, cid)
            elif step == "submit_rectification":
                ws.submit_rectification(db, admin, cid, text="已更换滤袋")
            elif step == "review_accept":
                ws.review(db, admin, cid, accept=True, comment="复核通过")
    return cid
