"""Test world: a small region (two cities, three districts, four enterprises), leads, users.

Shared by tests/workflow and tests/documents (loaded by path from their conftest files).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.service import create_user
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Station
from lantian.timeutil import CST
from lantian.workflow.checklists import ensure_checklist_templates
from lantian.workflow.models import Case

PASSWORD = "Lantian-Test-2024!"
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=CST)


def make_lead(
    lead_id: str,
    enterprise_id: str | None,
    *,
    rule: str = "CEMS-EXCEED",
    family: str = "EXCEEDANCE",
    subject_type: str = "outlet",
    subject_id: str = "P1",
    start: datetime = T0,
    hours: int = 5,
    severity: int = 2,
) -> Lead:
    return Lead(
        lead_id=lead_id,
        rule=rule,
        family=family,
        enterprise_id=enterprise_id,
        subject_type=subject_type,
        subject_id=subject_id,
        pollutant="a21026",
        start=start,
        end=start + timedelta(hours=hours),
        severity=severity,
        score=0.9,
        summary=f"{lead_id}: 二氧化硫折算浓度超标",
        evidence={"observed": 120.0, "threshold": 100.0},
        open=False,
        detected_at=start + timedelta(hours=hours + 1),
        updated_at=start + timedelta(hours=hours + 1),
    )


@dataclass
class World:
    session: Session
    admin: User
    wg: User
    wg_city_b: User
    city_a: User
    city_b: User
    district_a1: User
    district_a2: User
    ent_a: User
    ent_b: User


ENTERPRISES = [
    # id, name, credit code (province 13), city, district, positive_list, industry
    ("EA", "甲市钢铁有限公司", "91130100MA0000001A", "甲市", "一区", False, "steel"),
    ("EB", "甲市印务有限公司", "91130100MA0000002B", "甲市", "二区", True, "printing"),
    ("EC", "乙市水泥有限公司", "91140100MA0000003C", "乙市", "三区", False, "cement"),
    ("ED", "甲市供热有限公司", "91130100MA0000004D", "甲市", "一区", False, "industrial_boiler"),
]


def build_world(session: Session) -> World:
    """Fill an empty database with the test region and return its accounts."""
    for eid, name, code, city, district, pos, industry in ENTERPRISES:
        session.add(
            Enterprise(
                enterprise_id=eid,
                name=name,
                credit_code=code,
                industry=industry,
                city=city,
                district=district,
                positive_list=pos,
                grade="B",
            )
        )
    session.add(
        Station(station_id="S1", name="甲市一区站", kind="national", city="甲市", district="一区")
    )
    session.flush()
    ensure_checklist_templates(session)

    def mk(username: str, role: str, **kw: str) -> User:
        return create_user(session, None, username, PASSWORD, role, **kw)  # type: ignore[arg-type]

    w = World(
        session=session,
        admin=mk("admin", "admin"),
        wg=mk("wg", "work_group"),
        wg_city_b=mk("wgb", "work_group", city="乙市"),
        city_a=mk("citya", "city_officer", city="甲市"),
        city_b=mk("cityb", "city_officer", city="乙市"),
        district_a1=mk("dista1", "district_officer", city="甲市", district="一区"),
        district_a2=mk("dista2", "district_officer", city="甲市", district="二区"),
        ent_a=mk("enta", "enterprise", enterprise_id="EA"),
        ent_b=mk("entb", "enterprise", enterprise_id="EB"),
    )
    for i, eid in enumerate(["EA", "EA", "EB", "EC", "ED"], start=1):
        session.add(make_lead(f"L{i}", eid, subject_id=f"P{i}"))
    session.add(
        make_lead(
            "LS",
            None,
            subject_type="station",
            subject_id="S1",
            rule="AMB-HOT",
            family="AMBIENT_HOTSPOT",
        )
    )
    session.commit()
    return w


_counter = {"n": 0}


def new_lead(session: Session, enterprise_id: str = "EA", **kw: object) -> Lead:
    """A fresh lead of ``enterprise_id`` with a unique id and subject."""
    _counter["n"] += 1
    n = _counter["n"]
    kw.setdefault("subject_id", f"PX{n}")
    lead = make_lead(f"LX{n:05d}", enterprise_id, **kw)  # type: ignore[arg-type]
    session.add(lead)
    session.flush()
    return lead


def _city(session: Session, case_id: int) -> str | None:
    return session.get(Case, case_id).city  # type: ignore[union-attr]


def fire(session: Session, w: World, user: User | None, case_id: int, action: str) -> None:
    """Fire ``action`` on a case with valid arguments (the check under test is role/status)."""
    from lantian.workflow import service as s

    now = datetime.now(CST)
    u: Any = user
    if action == "dispatch":
        s.dispatch(
            session,
            u,
            case_ids=[case_id],
            assignee_id=(w.city_a if _city(session, case_id) == "甲市" else w.city_b).user_id,
            deadline=now + timedelta(days=5),
        )
    elif action == "start_check":
        s.start_check(session, u, case_id, mode="remote")
    elif action == "judge_false_positive":
        s.judge(session, u, case_id, confirmed=False, reason="数据传输故障，非排放问题")
    elif action == "judge_confirmed":
        s.judge(session, u, case_id, confirmed=True, finding="脱硫设施停运")
    elif action == "choose_immediate_fix":
        s.choose_fix_path(session, u, case_id, "immediate_fix")
    elif action == "issue_supervision_order":
        s.choose_fix_path(
            session, u, case_id, "supervision_order", rectify_deadline=now + timedelta(days=20)
        )
    elif action == "start_rectification":
        s.start_rectification(session, u, case_id)
    elif action == "submit_rectification":
        s.submit_rectification(session, u, case_id, text="已更换滤袋并恢复运行")
    elif action == "close_immediate_fix":
        s.close(session, u, case_id, comment="现场确认已整改")
    elif action == "review_accept":
        s.review(session, u, case_id, accept=True, comment="复核通过")
    elif action == "review_reject":
        s.review(session, u, case_id, accept=False, comment="佐证材料不足")
    elif action == "reopen":
        s.reopen(session, u, case_id, reason="问题复发")
    elif action == "convert_to_supervision":
        s.convert_to_supervision(session, u, case_id, reason="立行立改逾期")
    else:  # pragma: no cover - a new action needs a branch here
        raise AssertionError(f"no test driver for {action}")


PATHS: dict[str, list[str]] = {
    "new": [],
    "dispatched": ["dispatch"],
    "checking": ["dispatch", "start_check", "+remote"],
    "false_positive": ["dispatch", "start_check", "+remote", "judge_false_positive"],
    "confirmed": ["dispatch", "start_check", "+remote", "judge_confirmed"],
    "immediate_fix": [
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "choose_immediate_fix",
    ],
    "supervision_order": [
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
    ],
    "rectification": [
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
    ],
    "review": [
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
        "submit_rectification",
    ],
    "closed": [
        "dispatch",
        "start_check",
        "+remote",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
        "submit_rectification",
        "review_accept",
    ],
}
"""How the admin drives a new case to each state."""


def drive(session: Session, w: World, state: str, enterprise_id: str = "EA") -> Case:
    """A new case of a fresh lead of ``enterprise_id``, driven by the admin to ``state``."""
    from lantian.workflow import service as s

    lead = new_lead(session, enterprise_id)
    case = s.open_case(session, w.admin, [lead.lead_id])
    for step in PATHS[state]:
        if step == "+remote":
            s.record_remote_check(session, w.admin, case.case_id, notes="调阅在线监测数据")
        else:
            fire(session, w, w.admin, case.case_id, step)
    assert case.status == state
    return case
