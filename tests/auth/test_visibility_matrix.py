"""The role × object test: for every role × object kind × sample object, on SQLite and
PostgreSQL, "appears in the list query" ⇔ "readable by id" — and the declaration of
:mod:`lantian.auth.visibility` leaves no role × kind undecided.

The world: two provinces (13: 甲市 with districts 一区/二区; 14: 乙市 with 三区), a city
with stations and no enterprises (丙市, so no known province), enterprises with outlets,
meters and lines, stations, leads of every subject type (incl. station and grid leads),
cases in several states (new, dispatched, shared, noticed, 督办, closed, a station case),
check records shared and not, attachments (check photos, the enterprise's own upload, an
officer's file), notices and a spot check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.errors import NotFound
from lantian.auth.models import ROLES, User
from lantian.auth.service import create_user
from lantian.auth.visibility import (
    KINDS,
    VISIBILITY,
    Undeclared,
    can_see,
    load_visible,
    spec_of,
    undeclared,
    visible,
)
from lantian.db.session import session_factory
from lantian.leads.models import Lead
from lantian.notify.models import Notification
from lantian.registry.models import Enterprise, Grid, Line, Meter, Outlet, Station
from lantian.settings import Settings
from lantian.supervision.campaigns.models import Campaign
from lantian.supervision.complaints.models import Complaint
from lantian.supervision.hazards.models import HazardNotice
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import CST, now_cst
from lantian.workflow import api as wf
from lantian.workflow.dispatch_models import CaseMeeting, SupervisionTask
from lantian.workflow.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLead,
    CheckRecord,
    Notice,
    SpotCheck,
    SpotCheckDraw,
)

PASSWORD = "Lantian-Test-2024!"
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=CST)
_HASHES: dict[str, str] = {}


def _cached_hash(password: str) -> str:
    from lantian.auth.passwords import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


# --------------------------------------------------------------------------- declaration


def test_every_role_and_kind_is_declared() -> None:
    assert set(KINDS) == set(VISIBILITY), "every kind has a declaration, and no other"
    assert undeclared() == [], "role × kind pairs without a rule"
    for kind in KINDS:
        assert set(spec_of(kind).rules) == set(ROLES), kind


def test_an_undeclared_pair_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = VISIBILITY["notice"]
    rules = dict(spec.rules)
    del rules["district_officer"]
    monkeypatch.setitem(VISIBILITY, "notice", type(spec)(spec.kind, spec.entity, spec.key, rules))
    assert undeclared() == [("district_officer", "notice")]
    user = User(role="district_officer", city="甲市", district="一区")
    with pytest.raises(Undeclared, match="district_officer"):
        visible(user, "notice")
    with pytest.raises(Undeclared, match="camera"):
        visible(user, "camera")
    assert ("admin", "camera") in undeclared(kinds=(*KINDS, "camera"))


# --------------------------------------------------------------------------- the world


@dataclass
class Matrix:
    session: Session
    users: dict[str, User]
    ids: dict[str, dict[str, Any]]  # kind -> name -> key


def _ent(eid: str, code: str, city: str, district: str) -> Enterprise:
    return Enterprise(
        enterprise_id=eid,
        name=f"{city}{district}{eid}公司",
        credit_code=code,
        industry="steel",
        city=city,
        district=district,
        positive_list=False,
        grade="B",
    )


def _lead(lid: str, eid: str | None, subject_type: str, subject_id: str) -> Lead:
    return Lead(
        lead_id=lid,
        rule="CEMS-EXCEED",
        family="EXCEEDANCE",
        enterprise_id=eid,
        subject_type=subject_type,
        subject_id=subject_id,
        pollutant="a21026",
        start=T0,
        end=T0 + timedelta(hours=4),
        severity=2,
        score=0.9,
        summary=f"{lid} 超标",
        evidence={},
        open=False,
        detected_at=T0 + timedelta(hours=5),
        updated_at=T0 + timedelta(hours=5),
    )


def _case(
    s: Session,
    name: str,
    lead_id: str,
    eid: str | None,
    province: str | None,
    city: str,
    district: str,
    status: str,
    **kw: Any,
) -> Case:
    c = Case(
        status=status,
        title=name,
        enterprise_id=eid,
        province=province,
        city=city,
        district=district,
        rule="CEMS-EXCEED",
        family="EXCEEDANCE",
        subject_type="outlet",
        subject_id=lead_id,
        severity=2,
        created_at=T0,
        updated_at=T0,
        escalation_level=0,
        reopen_count=0,
        **kw,
    )
    s.add(c)
    s.flush()
    s.add(CaseLead(lead_id=lead_id, case_id=c.case_id, linked_at=T0))
    return c


def build_matrix(s: Session) -> Matrix:
    s.add_all(
        [
            _ent("E1", "91130100MA0000001A", "甲市", "一区"),
            _ent("E2", "91130100MA0000002B", "甲市", "二区"),
            _ent("E3", "91140100MA0000003C", "乙市", "三区"),
        ]
    )
    s.add_all(
        [
            Station(station_id="S1", name="甲一站", kind="national", city="甲市", district="一区"),
            Station(station_id="S2", name="乙三站", kind="micro", city="乙市", district="三区"),
            Station(station_id="S3", name="丙站", kind="micro", city="丙市", district="四区"),
            Grid(grid_id="G-0001", lon=116.0, lat=39.0, cell_km=3, city="丙市", district="四区"),
            Grid(grid_id="G-0002", lon=116.1, lat=39.1, cell_km=3, city="甲市", district="二区"),
        ]
    )
    s.flush()
    for eid in ("E1", "E2", "E3"):
        s.add(Line(line_id=f"LN{eid}", enterprise_id=eid, name="1#线"))
        s.flush()
        s.add(Outlet(outlet_id=f"P{eid}", enterprise_id=eid, name="1#排口", mn=f"MN{eid}"))
        s.add(
            Meter(
                meter_id=f"M{eid}",
                enterprise_id=eid,
                line_id=f"LN{eid}",
                role="production",
                name="1#表",
            )
        )
    s.flush()

    def mk(username: str, role: str, **kw: str) -> User:
        return create_user(s, None, username, PASSWORD, role, **kw)  # type: ignore[arg-type]

    users = {
        "admin": mk("m_admin", "admin"),
        "wg": mk("m_wg", "work_group"),
        "wg13": mk("m_wg13", "work_group", province="13"),
        "wg13_jia": mk("m_wg13a", "work_group", province="13", city="甲市"),
        "wg14_jia": mk("m_wg14a", "work_group", province="14", city="甲市"),
        "wg_yi": mk("m_wgyi", "work_group", city="乙市"),
        "city_jia": mk("m_cityjia", "city_officer", city="甲市"),
        "city_yi": mk("m_cityyi", "city_officer", city="乙市"),
        "city_bing": mk("m_citybing", "city_officer", city="丙市"),
        "dist_jia1": mk("m_dj1", "district_officer", city="甲市", district="一区"),
        "dist_jia2": mk("m_dj2", "district_officer", city="甲市", district="二区"),
        "ent1": mk("m_ent1", "enterprise", enterprise_id="E1"),
        "ent2": mk("m_ent2", "enterprise", enterprise_id="E2"),
        "ent3": mk("m_ent3", "enterprise", enterprise_id="E3"),
    }
    officer = users["city_jia"]
    leads = {
        "outlet_new": _lead("LO1", "E1", "outlet", "PE1"),
        "meter_dispatched": _lead("LM1", "E1", "meter", "ME1"),
        "line_shared": _lead("LL1", "E1", "line", "LNE1"),
        "outlet_noticed": _lead("LO1b", "E1", "outlet", "PE1"),
        "outlet_order": _lead("LO2", "E2", "outlet", "PE2"),
        "enterprise_closed": _lead("LE3", "E3", "enterprise", "E3"),
        "outlet_e3_uncased": _lead("LO3", "E3", "outlet", "PE3"),
        "station_jia": _lead("LS1", None, "station", "S1"),
        "station_yi": _lead("LS2", None, "station", "S2"),
        "station_bing": _lead("LS3", None, "station", "S3"),
        "grid": _lead("LG1", None, "grid", "G-0001"),
    }
    s.add_all(leads.values())
    s.flush()
    cases = {
        "new": _case(s, "new", "LO1", "E1", "13", "甲市", "一区", "new"),
        "dispatched": _case(
            s,
            "dispatched",
            "LM1",
            "E1",
            "13",
            "甲市",
            "一区",
            "dispatched",
            assignee_id=officer.user_id,
        ),
        "shared": _case(
            s,
            "shared",
            "LL1",
            "E1",
            "13",
            "甲市",
            "一区",
            "checking",
            shared_with_enterprise_at=T0,
            shared_with_enterprise_by=officer.user_id,
        ),
        "noticed": _case(s, "noticed", "LO1b", "E1", "13", "甲市", "一区", "dispatched"),
        "order": _case(
            s,
            "order",
            "LO2",
            "E2",
            "13",
            "甲市",
            "二区",
            "rectification",
            fix_path="supervision_order",
        ),
        "closed": _case(
            s,
            "closed",
            "LE3",
            "E3",
            "14",
            "乙市",
            "三区",
            "closed",
            fix_path="immediate_fix",
            closed_at=T0,
        ),
        "station": _case(s, "station", "LS1", None, None, "甲市", "一区", "dispatched"),
    }
    checks = {}
    for name, case, shared in (
        ("shared_rec", cases["shared"], True),
        ("internal_rec", cases["shared"], False),
        ("order_internal", cases["order"], False),
    ):
        rec = CheckRecord(
            case_id=case.case_id,
            kind="onsite",
            checked_by=officer.user_id,
            checked_at=T0,
            recorded_at=T0,
            notes=f"{name} 记录",
            shared_with_enterprise_at=T0 if shared else None,
        )
        s.add(rec)
        s.flush()
        checks[name] = rec
    atts = {}
    for name, case, check, uploader in (
        ("photo_shared", cases["shared"], checks["shared_rec"], officer),
        ("photo_internal", cases["shared"], checks["internal_rec"], officer),
        ("ent_upload", cases["order"], None, users["ent2"]),
        ("officer_file", cases["order"], None, officer),
        ("closed_photo", cases["closed"], None, users["city_yi"]),
    ):
        att = Attachment(
            case_id=case.case_id,
            check_id=check.check_id if check is not None else None,
            kind="photo" if check is not None else "evidence",
            filename=f"{name}.jpg",
            stored_path=f"x/{name}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            sha256="0" * 64,
            uploaded_by=uploader.user_id,
            uploaded_at=T0,
        )
        s.add(att)
        s.flush()
        atts[name] = att
    events = {}
    for name, case, action, actor in (
        ("check_note", cases["shared"], "record_check", officer),
        ("share", cases["shared"], "share_case", officer),
        ("dispatch_note", cases["dispatched"], "dispatch", officer),
        ("ent_submission", cases["order"], "submit_rectification", users["ent2"]),
        ("ent_upload_event", cases["order"], "upload", users["ent2"]),
        ("officer_upload_event", cases["order"], "upload", officer),
    ):
        ev = CaseEvent(
            case_id=case.case_id, at=T0, actor_id=actor.user_id, action=action, note=name
        )
        s.add(ev)
        s.flush()
        events[name] = ev
    notices = {}
    for name, eid, case in (("to_e1_case", "E1", cases["noticed"]), ("to_e3", "E3", None)):
        n = Notice(
            kind="hazard",
            enterprise_id=eid,
            case_id=case.case_id if case is not None else None,
            title=name,
            body="请自查",
            issued_by=officer.user_id,
            issued_at=T0,
        )
        s.add(n)
        s.flush()
        notices[name] = n
        s.add(HazardNotice(notice_id=n.notice_id, enterprise_id=eid, reply_due=T0, status="issued"))
        s.flush()
    draw = SpotCheckDraw(
        drawn_at=T0,
        drawn_by=users["admin"].user_id,
        seed=1,
        share=1.0,
        population=1,
        case_ids=[cases["closed"].case_id],
    )
    s.add(draw)
    s.flush()
    spot = SpotCheck(draw_id=draw.draw_id, case_id=cases["closed"].case_id, result="pending")
    s.add(spot)
    from lantian.assist.rectification.models import RectificationPlan
    from lantian.assist.selfchecks.models import SelfCheck, SelfCheckFinding
    from lantian.workflow.models import ChecklistTemplate

    s.add(
        ChecklistTemplate(
            template_id="sc-tpl",
            industry="other",
            kind="self_inspection",
            title="自查表",
            items=[],
            version=1,
            active=True,
        )
    )
    s.flush()
    self_checks, sc_findings, rect_plans = {}, {}, {}
    for eid in ("E1", "E3"):
        sc = SelfCheck(
            enterprise_id=eid,
            template_id="sc-tpl",
            version=1,
            origin="spontaneous",
            status="submitted",
            answers={},
            created_by=officer.user_id,
            created_at=T0,
            updated_at=T0,
        )
        s.add(sc)
        s.flush()
        fnd = SelfCheckFinding(
            self_check_id=sc.self_check_id,
            enterprise_id=eid,
            item_id="X",
            text="t",
            basis="b",
            fix_by=T0.date(),
            status="open",
            created_at=T0,
        )
        s.add(fnd)
        s.flush()
        plan = RectificationPlan(
            enterprise_id=eid,
            finding_id=fnd.finding_id,
            measures="m",
            created_by=officer.user_id,
            created_at=T0,
            updated_at=T0,
        )
        s.add(plan)
        s.flush()
        self_checks[eid], sc_findings[eid], rect_plans[eid] = sc, fnd, plan
    s.flush()
    # consultation and surveys (issue #15 items 6, 7)
    from lantian.assist.questions.models import FaqEntry, Question
    from lantian.assist.surveys.models import SurveyInvitation, SurveyResponse

    questions = {}
    for eid, province, city, district in (
        ("E1", "13", "甲市", "一区"),
        ("E2", "13", "甲市", "二区"),
        ("E3", "14", "乙市", "三区"),
    ):
        ent_user = users[f"ent{eid[1]}"]
        q = Question(
            enterprise_id=eid, asked_by=ent_user.user_id, text=f"{eid} 咨询", province=province,
            city=city, district=district, asked_at=T0, target_hours=24, due_at=T0,
            transfer_count=0, escalation_level=0,
        )  # fmt: skip
        s.add(q)
        s.flush()
        questions[f"q_{eid}"] = q
    faq = FaqEntry(
        question_id=questions["q_E1"].question_id, title="常见问题", answer="答复",
        published_at=T0, published_by=officer.user_id,
    )  # fmt: skip
    s.add(faq)
    invitations = {}
    for eid, province, city, district in (
        ("E1", "13", "甲市", "一区"),
        ("E3", "14", "乙市", "三区"),
    ):
        inv = SurveyInvitation(
            enterprise_id=eid, kind="case", object_id="1", officer_ids=[officer.user_id],
            province=province, city=city, district=district, created_at=T0,
        )  # fmt: skip
        s.add(inv)
        s.flush()
        invitations[f"inv_{eid}"] = inv
    responses = {
        "named_E1": SurveyResponse(
            response_id="r" * 32, form_version="1", kind="case", period="2026-01",
            province="13", city="甲市", district="一区", officer_ids=[], answers={},
            overall=4.0, anonymous=False, enterprise_id="E1",
            invitation_id=invitations["inv_E1"].invitation_id, responded_at=T0,
        ),
        "anon_yi": SurveyResponse(
            response_id="a" * 32, form_version="1", kind="case", period="2026-01",
            province="14", city="乙市", district="三区", officer_ids=[], answers={},
            overall=5.0, anonymous=True,
        ),
    }  # fmt: skip
    s.add_all(responses.values())
    # 正面清单 and 绩效分级 (issue #13): one of each for E1 (甲市) and E3 (乙市)
    from lantian.supervision.grades.models import GradeApplication, GradeRecord
    from lantian.supervision.listing.models import PositiveListDecision, PositiveListProposal

    supervision: dict[str, dict[str, Any]] = {
        "positive_list_decision": {},
        "positive_list_proposal": {},
        "grade_record": {},
        "grade_application": {},
    }
    for eid in ("E1", "E3"):
        objs = {
            "positive_list_decision": PositiveListDecision(
                enterprise_id=eid,
                action="add",
                on_list=True,
                reasons=["r"],
                source="manual",
                decided_by_name="x",
                decided_at=T0,
                effective_from=T0.date(),
            ),
            "positive_list_proposal": PositiveListProposal(
                enterprise_id=eid,
                change="remove",
                reasons=["r"],
                as_of=T0.date(),
                proposed_at=T0,
                status="pending",
                criteria={},
            ),
            "grade_record": GradeRecord(
                enterprise_id=eid,
                grade="A",
                effective_from=T0.date(),
                evidence_kind="assessment",
                recorded_by_name="x",
                recorded_at=T0,
            ),
            "grade_application": GradeApplication(
                enterprise_id=eid,
                target_grade="A",
                statement="s",
                status="submitted",
                submitted_at=T0,
            ),
        }
        for kind, obj in objs.items():
            s.add(obj)
            s.flush()
            key = getattr(obj, obj.__mapper__.primary_key[0].key)
            supervision[kind][f"{kind}_{eid}"] = key
    visits = {}
    for name, eid, city, district in (
        ("v_e1", "E1", "甲市", "一区"),
        ("v_e3", "E3", "乙市", "三区"),
    ):
        v = InspectionVisit(
            enterprise_id=eid, kind="plan", status="approved", purpose="检查", basis="依据",
            planned_date=T0.date(), inspectors=[], city=city, district=district,
            applicant_id=officer.user_id, applied_at=T0, separate_tally=False,
            checkin_nonce="n",
        )  # fmt: skip
        s.add(v)
        s.flush()
        visits[name] = v
    campaigns = {}
    for name, jur in (("c_all", None), ("c_jia", "甲市"), ("c_san", "三区")):
        c = Campaign(
            name=name, start_date=T0.date(), end_date=T0.date(), jurisdiction=jur,
            industries=[], families=[], ordered_from_above=False, created_at=T0,
        )  # fmt: skip
        s.add(c)
        s.flush()
        campaigns[name] = c
    training = _training_samples(s)
    complaints = {
        f"c_{eid}": Complaint(
            enterprise_id=eid,
            received_at=T0,
            channel="hotline_12369",
            summary="夜间异味",
            status="received",
            recorded_by=officer.user_id,
            recorded_at=T0,
        )
        for eid in ("E1", "E3")
    }
    s.add_all(complaints.values())
    s.flush()
    tasks = {
        f"t_{name}": SupervisionTask(
            case_id=cases[name].case_id, level=1, assignee_id=users["city_jia"].user_id,
            status="open", reason="逾期", created_at=T0, due_at=T0,
        )
        for name in ("order", "closed")
    }  # fmt: skip
    meetings = {
        f"m_{name}": CaseMeeting(
            case_id=cases[name].case_id, kind="interview", held_at=T0, place="会议室",
            people=["法定代表人"], content="约谈", recorded_by=officer.user_id, recorded_at=T0,
        )
        for name in ("order", "new", "closed")
    }  # fmt: skip
    s.add_all([*tasks.values(), *meetings.values()])
    s.flush()
    s.commit()
    notes = {
        name: Notification(
            recipient_id=users[who].user_id,
            channel="in_app",
            address="",
            event="dispatched",
            subject=name,
            body=name,
            status="sent",
            attempts=0,
            created_at=now_cst(),
        )
        for name, who in (("to_wg", "wg"), ("to_city_jia", "city_jia"), ("to_ent1", "ent1"))
    }
    s.add_all(notes.values())
    s.flush()
    ids: dict[str, dict[str, Any]] = {
        "enterprise": {e: e for e in ("E1", "E2", "E3")},
        "outlet": {f"P{e}": f"P{e}" for e in ("E1", "E2", "E3")},
        "meter": {f"M{e}": f"M{e}" for e in ("E1", "E2", "E3")},
        "station": {x: x for x in ("S1", "S2", "S3")},
        "grid": {x: x for x in ("G-0001", "G-0002")},
        "lead": {k: v.lead_id for k, v in leads.items()},
        "case": {k: v.case_id for k, v in cases.items()},
        "case_event": {k: v.event_id for k, v in events.items()},
        "check_record": {k: v.check_id for k, v in checks.items()},
        "attachment": {k: v.attachment_id for k, v in atts.items()},
        "notice": {k: v.notice_id for k, v in notices.items()},
        "spot_check": {"closed": spot.spot_check_id},
        "self_check": {k: v.self_check_id for k, v in self_checks.items()},
        "self_check_finding": {k: v.finding_id for k, v in sc_findings.items()},
        "rectification_plan": {k: v.plan_id for k, v in rect_plans.items()},
        "notification": {k: v.notification_id for k, v in notes.items()},
        "question": {k: v.question_id for k, v in questions.items()},
        "faq_entry": {"faq": faq.faq_id},
        "survey_invitation": {k: v.invitation_id for k, v in invitations.items()},
        "survey_response": {k: v.response_id for k, v in responses.items()},
        **supervision,
        "visit": {k: v.visit_id for k, v in visits.items()},
        "campaign": {k: v.campaign_id for k, v in campaigns.items()},
        **training,
        "hazard_notice": {k: v.notice_id for k, v in notices.items()},
        "complaint": {k: v.complaint_id for k, v in complaints.items()},
        "supervision_task": {k: v.task_id for k, v in tasks.items()},
        "case_meeting": {k: v.meeting_id for k, v in meetings.items()},
    }
    return Matrix(s, users, ids)


def _training_samples(s: Session) -> dict[str, dict[str, Any]]:
    """An exam attempt, a session registration and a certificate of E1 and of E3."""
    from lantian.assist.training.models import (
        Certificate,
        Course,
        ExamAttempt,
        SessionRegistration,
        TrainingSession,
    )

    course = Course(
        code="c",
        title="课程",
        hours=1,
        pass_mark=60,
        paper_size=1,
        max_attempts=0,
        wait_hours=0,
        law_study=False,
        created_at=T0,
    )
    s.add(course)
    s.flush()
    ts = TrainingSession(
        title="培训",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=2),
        place="会议室",
        capacity=10,
        hours=2,
        checkin_code="123456",
        created_at=T0,
    )
    s.add(ts)
    s.flush()
    out: dict[str, dict[str, Any]] = {
        "exam_attempt": {},
        "training_registration": {},
        "certificate": {},
    }
    for eid in ("E1", "E3"):
        att = ExamAttempt(
            course_id=course.course_id,
            enterprise_id=eid,
            seed=1,
            paper=[],
            total=0,
            started_at=T0,
            submitted_at=T0,
            passed=True,
        )
        reg = SessionRegistration(session_id=ts.session_id, enterprise_id=eid, registered_at=T0)
        s.add_all([att, reg])
        s.flush()
        cert = Certificate(
            attempt_id=att.attempt_id,
            enterprise_id=eid,
            course_id=course.course_id,
            number=f"培训〔2024〕第{eid}号",
            hours=1,
            issued_at=T0,
        )
        s.add(cert)
        s.flush()
        out["exam_attempt"][eid] = att.attempt_id
        out["training_registration"][eid] = reg.registration_id
        out["certificate"][eid] = cert.certificate_id
    return out


@pytest.fixture
def matrix(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Matrix]:
    monkeypatch.setattr("lantian.auth.service.hash_password", _cached_hash)
    s = session_factory(db_settings)()
    try:
        yield build_matrix(s)
    finally:
        s.rollback()
        s.close()


# --------------------------------------------------------------------------- list ⇔ by id


def _listed(s: Session, user: User, kind: str) -> set[Any]:
    """The keys of ``kind`` in the list query the product uses for it."""
    if kind == "lead":
        return {r.lead_id for r in wf.list_leads(s, user, wf.LeadFilters(limit=1000)).rows}
    if kind == "case":
        return {r.case_id for r in wf.list_cases(s, user, wf.CaseFilters(limit=1000)).rows}
    if kind == "enterprise":
        return {e.enterprise_id for e in wf.list_enterprises(s, user).rows}
    if kind == "notice":
        return {n.notice_id for n in wf.list_notices(s, user)}
    if kind in ("positive_list_decision", "positive_list_proposal"):
        from lantian.supervision.listing import services as ls

        if kind == "positive_list_proposal":
            return {p.proposal_id for p, _e in ls.pending_proposals(s, user)}
        return {d.decision_id for d, _e in ls.history(s, user, ls.ListFilter())}
    if kind in ("grade_record", "grade_application"):
        from lantian.supervision.grades import services as gs

        if kind == "grade_record":
            return {r.record_id for r in gs.records(s, user)}
        return {a.application_id for a, _e in gs.applications(s, user)}
    if kind == "spot_check":
        from lantian.workflow.queries import list_spot_checks

        return {r.spot_check.spot_check_id for r in list_spot_checks(s, user)}
    if kind == "question":
        from lantian.assist.questions.queries import list_questions

        return {r.question.question_id for r in list_questions(s, user)}
    if kind in ("check_record", "attachment", "case_event"):
        out: set[Any] = set()
        for case_id in _listed(s, user, "case"):
            d = wf.get_case(s, user, case_id)
            if kind == "check_record":
                out |= {r.check_id for r in d.checks}
            elif kind == "attachment":
                out |= {r.attachment_id for r in d.attachments}
            else:
                out |= {ev.event_id for ev, _name in d.events}
        return out
    spec = spec_of(kind)
    return set(s.scalars(select(spec.key()).where(visible(user, kind, session=s))))


def _readable(s: Session, user: User, kind: str, key: Any) -> bool:
    """Whether the product's by-id read of ``kind`` returns the object."""
    try:
        if kind == "lead":
            wf.get_lead(s, user, key)
        elif kind == "case":
            wf.get_case(s, user, key)
        elif kind == "enterprise":
            wf.enterprise_profile(s, user, key)
        else:
            load_visible(s, user, kind, key)
    except NotFound:
        return False
    assert can_see(s, user, kind, key)
    return True


EXPECTED: dict[tuple[str, str], set[str]] = {
    # (user, kind) -> names of the sample objects it sees (others: see the loop below)
    ("wg13", "station"): {"S1"},
    ("wg13", "lead"): {
        "outlet_new",
        "meter_dispatched",
        "line_shared",
        "outlet_noticed",
        "outlet_order",
        "station_jia",
    },
    ("wg13", "case"): {"new", "dispatched", "shared", "noticed", "order", "station"},
    ("wg13_jia", "station"): {"S1"},
    ("wg14_jia", "station"): set(),
    ("wg14_jia", "lead"): set(),
    ("wg14_jia", "enterprise"): set(),
    ("wg_yi", "lead"): {"enterprise_closed", "outlet_e3_uncased", "station_yi"},
    ("city_bing", "station"): {"S3"},
    ("city_bing", "lead"): {"station_bing", "grid"},  # LG1 is about G-0001 in 丙市
    ("city_bing", "grid"): {"G-0001"},
    ("city_jia", "grid"): {"G-0002"},
    ("dist_jia1", "grid"): set(),
    ("dist_jia2", "grid"): {"G-0002"},
    ("ent1", "grid"): set(),
    ("dist_jia2", "lead"): {"outlet_order"},
    ("dist_jia1", "station"): {"S1"},
    ("dist_jia1", "attachment"): {"photo_shared", "photo_internal"},
    ("wg", "lead"): {
        "outlet_new",
        "meter_dispatched",
        "line_shared",
        "outlet_noticed",
        "outlet_order",
        "enterprise_closed",
        "outlet_e3_uncased",
        "station_jia",
        "station_yi",
        "station_bing",
        "grid",
    },
    ("ent1", "enterprise"): {"E1"},
    ("ent1", "outlet"): {"PE1"},
    ("ent1", "meter"): {"ME1"},
    ("ent1", "station"): set(),
    ("ent1", "lead"): {"line_shared", "outlet_noticed"},
    ("ent1", "case"): {"shared", "noticed"},
    ("ent1", "check_record"): {"shared_rec"},
    ("ent1", "attachment"): {"photo_shared"},
    ("ent1", "notice"): {"to_e1_case"},
    ("ent1", "spot_check"): set(),
    ("ent2", "lead"): {"outlet_order"},
    ("ent2", "case"): {"order"},
    ("ent2", "check_record"): set(),
    ("ent2", "attachment"): {"ent_upload"},
    ("ent2", "case_event"): {"ent_submission", "ent_upload_event"},
    ("ent1", "case_event"): {"share"},
    ("dist_jia2", "case_event"): {"ent_submission", "ent_upload_event", "officer_upload_event"},
    ("ent3", "lead"): {"enterprise_closed"},
    ("ent3", "notice"): {"to_e3"},
    ("ent1", "hazard_notice"): {"to_e1_case"},
    ("ent3", "hazard_notice"): {"to_e3"},
    ("ent3", "attachment"): set(),
    ("ent1", "self_check"): {"E1"},
    ("ent3", "self_check"): {"E3"},
    ("ent2", "self_check"): set(),
    ("ent1", "self_check_finding"): {"E1"},
    ("ent3", "rectification_plan"): {"E3"},
    ("wg14_jia", "self_check"): set(),
    ("dist_jia1", "rectification_plan"): {"E1"},
    ("city_bing", "self_check_finding"): set(),
    ("wg", "notification"): {"to_wg"},
    ("city_jia", "notification"): {"to_city_jia"},
    ("dist_jia1", "notification"): set(),
    ("ent1", "notification"): {"to_ent1"},
    ("ent2", "notification"): set(),
    ("ent1", "question"): {"q_E1"},
    ("ent2", "question"): {"q_E2"},
    ("dist_jia1", "question"): {"q_E1"},
    ("wg13", "question"): {"q_E1", "q_E2"},
    ("ent2", "faq_entry"): {"faq"},
    ("ent1", "survey_invitation"): {"inv_E1"},
    ("ent2", "survey_invitation"): set(),
    ("ent1", "survey_response"): {"named_E1"},
    ("ent3", "survey_response"): set(),
    ("wg_yi", "survey_response"): {"anon_yi"},
    ("dist_jia1", "survey_response"): {"named_E1"},
    ("ent1", "visit"): {"v_e1"},
    ("ent3", "visit"): {"v_e3"},
    ("ent1", "campaign"): set(),
    ("city_yi", "visit"): {"v_e3"},
    ("city_yi", "campaign"): {"c_all", "c_san"},
    ("dist_jia2", "visit"): set(),
    ("dist_jia2", "campaign"): {"c_all", "c_jia"},
    ("city_bing", "campaign"): {"c_all"},
    ("ent1", "exam_attempt"): {"E1"},
    ("ent1", "training_registration"): {"E1"},
    ("ent1", "certificate"): {"E1"},
    ("ent2", "certificate"): set(),
    ("ent3", "exam_attempt"): {"E3"},
    ("ent3", "certificate"): {"E3"},
    ("wg14_jia", "certificate"): set(),
    ("ent1", "complaint"): set(),
    ("ent3", "complaint"): set(),
    ("dist_jia1", "complaint"): {"c_E1"},
    ("city_yi", "complaint"): {"c_E3"},
    ("wg14_jia", "complaint"): set(),
    ("ent2", "supervision_task"): set(),
    ("ent3", "supervision_task"): set(),
    ("city_jia", "supervision_task"): {"t_order"},
    ("city_yi", "supervision_task"): {"t_closed"},
    ("ent2", "case_meeting"): {"m_order"},
    ("ent1", "case_meeting"): set(),
    ("ent3", "case_meeting"): {"m_closed"},
    ("dist_jia1", "case_meeting"): {"m_new"},
    ("city_jia", "case_meeting"): {"m_order", "m_new"},
}


def test_list_iff_readable_by_id(matrix: Matrix) -> None:
    s = matrix.session
    checked = 0
    for uname, user in matrix.users.items():
        for kind in KINDS:
            listed = _listed(s, user, kind)
            every = matrix.ids[kind]
            seen_names = set()
            for name, key in every.items():
                readable = _readable(s, user, kind, key)
                assert (key in listed) == readable, (uname, kind, name, key in listed, readable)
                if readable:
                    seen_names.add(name)
                checked += 1
            assert listed <= set(every.values())  # the world holds only the samples
            if uname == "admin" or (uname == "wg" and kind != "notification"):
                assert seen_names == set(every), (uname, kind)
            if (uname, kind) in EXPECTED:
                assert seen_names == EXPECTED[uname, kind], (uname, kind, seen_names)
    assert checked == len(matrix.users) * sum(len(v) for v in matrix.ids.values())
