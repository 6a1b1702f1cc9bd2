"""The visit register: 行政检查审批 before every on-site visit, warnings to the approver,
扫码入企, 帮扶 records, caps counting every kind, campaigns (issue #13 items 7-8, #15 item 2).

Service tests share one seeded SQLite world per module (each test works on its own cases
and visits); one test runs on both databases through ``db_settings``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from tests.web.conftest import Seeded, seed

from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog, User
from lantian.db.session import session_factory, session_scope
from lantian.registry.models import Enterprise
from lantian.settings import Settings
from lantian.supervision.campaigns import services as cs
from lantian.supervision.config import load_config
from lantian.supervision.plan import draw_plan, parse_period
from lantian.supervision.queries import load_plan_inputs
from lantian.supervision.visits import service_visit_count
from lantian.supervision.visits import services as vs
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import CST, now_cst
from lantian.workflow import service as ws
from lantian.workflow.models import Case, CheckRecord

CFG = load_config()
TODAY = now_cst().date()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    import os

    from lantian.db.session import dispose_engines
    from lantian.settings import get_settings

    home = tmp_path_factory.mktemp("visits-home")
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    seeded = seed(get_settings())
    yield seeded
    dispose_engines()
    get_settings.cache_clear()
    if old is None:
        os.environ.pop("LANTIAN_HOME", None)
    else:
        os.environ["LANTIAN_HOME"] = old


@pytest.fixture
def s(world: Seeded) -> Iterator[Session]:
    """A session on the module's world, rolled back after the test."""
    session = session_factory(world.settings)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _u(s: Session, w: Seeded, name: str) -> User:
    u = s.get(User, w.user_ids[name])
    assert u is not None
    return u


def _apply(s: Session, w: Seeded, **kw: object) -> InspectionVisit:
    args: dict[str, object] = {
        "enterprise_id": "E1",
        "kind": "plan",
        "purpose": "大气污染防治专项检查",
        "basis": "《中华人民共和国大气污染防治法》第二十九条",
        "planned_date": TODAY + timedelta(days=3),
        "inspector_ids": [w.user_ids["lb_district"], w.user_ids["ts_city"]],
    }
    args.update(kw)
    return vs.apply_visit(s, _u(s, w, "lb_district"), **args)  # type: ignore[arg-type]


def _clear(s: Session) -> None:
    s.execute(delete(InspectionVisit))
    s.flush()


def test_apply_approve_refusals_and_audit(s: Session, world: Seeded) -> None:
    _clear(s)
    w = world
    # bad input is refused with a Chinese message naming the field
    with pytest.raises(ValidationError, match="至少两名") as e:
        _apply(s, w, inspector_ids=[w.user_ids["lb_district"]])
    assert e.value.field == "inspector_ids"
    with pytest.raises(ValidationError, match="执法证号"):  # admin has no certificate
        _apply(s, w, inspector_ids=[w.user_ids["lb_district"], w.user_ids["admin"]])
    with pytest.raises(ValidationError, match="实施前审批"):
        _apply(s, w, planned_date=TODAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="服务类型"):
        _apply(s, w, kind="assistance")
    with pytest.raises(ValidationError, match="检查依据"):
        _apply(s, w, basis="  ")
    with pytest.raises(NotFound):  # 石家庄 is outside 路北区
        _apply(s, w, enterprise_id="E3")
    with pytest.raises(PermissionDenied):
        vs.apply_visit(
            s,
            _u(s, w, "ent1"),
            enterprise_id="E1",
            kind="plan",
            purpose="x",
            basis="y",
            planned_date=TODAY,
            inspector_ids=[],
        )
    v = _apply(s, w)
    assert v.status == "pending" and [i["cert_no"] for i in v.inspectors] == [
        "130200190002",
        "130200190001",
    ]
    # the applicant cannot approve; another officer can; a decided visit is not decided again
    with pytest.raises(ValidationError, match="审批人不能是申请人"):
        vs.approve_visit(s, _u(s, w, "lb_district"), v.visit_id, CFG)
    vs.approve_visit(s, _u(s, w, "ts_city"), v.visit_id, CFG, note="同意")
    assert v.status == "approved" and v.approver_id == w.user_ids["ts_city"]
    with pytest.raises(InvalidTransition):
        vs.reject_visit(s, _u(s, w, "ts_city"), v.visit_id, note="x")
    # a rejection needs its reason
    v2 = _apply(s, w, planned_date=TODAY + timedelta(days=200))
    with pytest.raises(ValidationError, match="理由"):
        vs.reject_visit(s, _u(s, w, "ts_city"), v2.visit_id, note="")
    vs.reject_visit(s, _u(s, w, "ts_city"), v2.visit_id, note="重复检查")
    actions = set(
        s.scalars(
            select(AuditLog.action).where(
                AuditLog.object_type == "inspection_visit",
                AuditLog.object_id.in_([str(v.visit_id), str(v2.visit_id)]),
            )
        )
    )
    assert actions == {"visit_apply", "visit_approve", "visit_reject"}


def test_repeat_and_high_frequency_warnings_must_be_acknowledged(s: Session, world: Seeded) -> None:
    _clear(s)
    w = world
    ts = _u(s, w, "ts_city")
    cap = CFG.category_of("steel").max_onsite_per_year  # E1 is a steel plant
    first = _apply(s, w, planned_date=TODAY + timedelta(days=5))
    assert vs.visit_warnings(s, CFG, first) == []
    vs.approve_visit(s, ts, first.visit_id, CFG)
    # a second visit ten days later: a repeat visit
    second = _apply(s, w, planned_date=TODAY + timedelta(days=15))
    warnings = vs.visit_warnings(s, CFG, second)
    assert len(warnings) == 1 and warnings[0].startswith("重复检查") and "30日内" in warnings[0]
    with pytest.raises(ValidationError, match="重复检查") as e:
        vs.approve_visit(s, ts, second.visit_id, CFG)
    assert e.value.details["warnings"] == warnings
    vs.approve_visit(s, ts, second.visit_id, CFG, acknowledge_warnings=True)
    assert second.warnings == warnings  # kept with the decision
    # fill the year up to the cap with visits far apart: near the cap, then over it
    year_end = date(TODAY.year, 12, 31)
    days = [year_end - timedelta(days=40 * k) for k in range(cap)]
    days = [d for d in days if d > TODAY + timedelta(days=60)]
    messages = []
    for d in days:
        v = _apply(s, w, planned_date=d)
        messages.append(vs.visit_warnings(s, CFG, v))
        vs.approve_visit(s, ts, v.visit_id, CFG, acknowledge_warnings=True)
    counted = vs.count_onsite_visits(s, "E1", TODAY.year, CFG).capped
    assert counted == 2 + len(days)
    for k, msgs in enumerate(messages):
        after = 3 + k
        hi = [m for m in msgs if m.startswith(("高频检查", "超过年度检查上限"))]
        if after > cap:
            assert hi and hi[0].startswith("超过年度检查上限"), msgs
        elif after >= cap - CFG.visits.near_cap_margin:
            assert hi and hi[0].startswith("高频检查"), msgs
        else:
            assert not hi, msgs


def test_no_onsite_record_without_an_approved_visit_over_many_seeds(
    s: Session, world: Seeded
) -> None:
    """Random applications, decisions and record attempts: a record is written iff an
    approved visit of its case was decided before it; every record is linked to one."""
    _clear(s)
    w = world
    admin = _u(s, w, "admin")
    ts = _u(s, w, "ts_city")
    lb = _u(s, w, "lb_district")
    cases = []
    for lead in w.leads["E1"][:3]:
        (c,) = ws.dispatch(
            s, admin, [lead], assignee_id=lb.user_id, deadline=now_cst() + timedelta(days=9)
        )
        ws.start_check(s, lb, c.case_id, mode="onsite")
        cases.append(c.case_id)
    ok = refused = 0
    for seed_ in range(30):
        rng = random.Random(seed_)
        case_id = rng.choice(cases)
        step = rng.choice(("apply", "approve", "reject", "record", "record"))
        if step == "apply":
            _apply(
                s,
                w,
                case_id=case_id,
                kind="lead_check",
                planned_date=TODAY + timedelta(days=rng.randrange(0, 3)),
            )
        elif step in ("approve", "reject"):
            pending = s.scalars(
                select(InspectionVisit).where(InspectionVisit.status == "pending")
            ).all()
            if pending:
                v = rng.choice(pending)
                if step == "approve":
                    vs.approve_visit(s, ts, v.visit_id, CFG, acknowledge_warnings=True)
                else:
                    vs.reject_visit(s, ts, v.visit_id, note="不必要")
        else:
            at = now_cst()
            lawful = any(
                v.case_id == case_id
                and v.decided_at is not None
                and (
                    v.status == "approved"
                    or (v.status == "done" and v.visited_at and v.visited_at.date() == at.date())
                )
                for v in s.scalars(select(InspectionVisit)).all()
            )
            try:
                ws.record_check(s, lb, case_id, kind="onsite", notes=f"现场检查 {seed_}")
                assert lawful, "an on-site record was written without an approved visit"
                ok += 1
            except ValidationError as exc:
                assert not lawful and exc.field == "approval" and "行政检查审批" in exc.message
                refused += 1
    assert ok and refused
    records = s.scalars(select(CheckRecord).where(CheckRecord.case_id.in_(cases))).all()
    linked = {v.check_id for v in s.scalars(select(InspectionVisit)) if v.check_id}
    by_case = {v.case_id for v in s.scalars(select(InspectionVisit)) if v.status == "done"}
    for r in records:
        assert r.kind == "onsite" and r.case_id in by_case
    assert linked <= {r.check_id for r in records} and linked


def test_counts_every_kind_and_campaigns_from_above_apart(s: Session, world: Seeded) -> None:
    _clear(s)
    w = world
    ts = _u(s, w, "ts_city")
    above = cs.create_campaign(
        s,
        _u(s, w, "admin"),
        name="上级部署专项",
        start_date=TODAY,
        end_date=TODAY + timedelta(days=30),
        jurisdiction="唐山市",
        ordered_from_above=True,
    )
    for k, kind in enumerate(("plan", "lead_check", "assistance", "supervision")):
        v = _apply(
            s,
            w,
            kind=kind,
            service_kind="checkup" if kind == "assistance" else None,
            planned_date=TODAY + timedelta(days=1 + k),
        )
        vs.approve_visit(s, ts, v.visit_id, CFG, acknowledge_warnings=True)
    c = _apply(s, w, campaign_id=above.campaign_id, planned_date=TODAY + timedelta(days=6))
    assert c.separate_tally
    vs.approve_visit(s, ts, c.visit_id, CFG, acknowledge_warnings=True)
    pending = _apply(s, w, planned_date=TODAY + timedelta(days=7))  # not approved: not counted
    assert pending.status == "pending"
    count = vs.count_onsite_visits(s, "E1", (TODAY + timedelta(days=1)).year, CFG)
    year_span = {(TODAY + timedelta(days=d)).year for d in range(1, 7)}
    if len(year_span) == 1:
        assert (count.capped, count.separate, count.uncounted) == (4, 1, 0)
        assert count.by_kind == {
            "plan": 2,
            "lead_check": 1,
            "assistance": 1,
            "supervision": 1,
        }
        # a province that does not count 帮扶 visits (configuration)
        counts = {**CFG.visits.counts_toward_cap, "assistance": False}
        cfg2 = dataclasses.replace(
            CFG, visits=dataclasses.replace(CFG.visits, counts_toward_cap=counts)
        )
        c2 = vs.count_onsite_visits(s, "E1", (TODAY + timedelta(days=1)).year, cfg2)
        assert (c2.capped, c2.separate, c2.uncounted) == (3, 1, 1)
    # an on-site record written before the register existed counts too (as a lead check)
    case = s.scalars(select(Case).where(Case.enterprise_id == "E2")).first()
    if case is None:
        (case,) = ws.dispatch(
            s,
            _u(s, w, "admin"),
            [w.leads["E2"][0]],
            assignee_id=w.user_ids["ln_district"],
            deadline=now_cst() + timedelta(days=3),
        )
    s.add(
        CheckRecord(
            case_id=case.case_id,
            kind="onsite",
            checked_by=w.user_ids["ln_district"],
            checked_at=datetime(2025, 6, 1, 10, tzinfo=CST),
            recorded_at=datetime(2025, 6, 1, 10, tzinfo=CST),
        )
    )
    s.flush()
    assert vs.count_onsite_visits(s, "E2", 2025, CFG).by_kind == {"lead_check": 1}


def test_the_plan_cap_counts_service_and_supervision_visits_from_the_register(
    s: Session, world: Seeded
) -> None:
    """The draw reads the register: 帮扶 and 督导 visits fill E1's cap, so a plan that would
    draw every enterprise leaves E1 out and reports the shortfall."""
    _clear(s)
    w = world
    ts = _u(s, w, "ts_city")
    year = TODAY.year + 1
    cap = CFG.category_of("steel").max_onsite_per_year
    for k in range(cap):
        v = _apply(
            s,
            w,
            kind="assistance" if k % 2 else "supervision",
            service_kind="diagnosis" if k % 2 else None,
            planned_date=date(year, 1 + k, 10),
        )
        vs.approve_visit(s, ts, v.visit_id, CFG, acknowledge_warnings=True)
    full = tuple(dataclasses.replace(c, ratio_per_quarter=1.0) for c in CFG.categories)
    cfg = dataclasses.replace(CFG, categories=full)
    p = parse_period(f"{year}-12")
    inputs = load_plan_inputs(s, period=p.text, jurisdiction="唐山市", start=p.start, end=p.end)
    purposes = sorted(v.purpose for v in inputs.visits if v.enterprise_id == "E1")
    assert purposes.count("assistance") + purposes.count("supervision") == cap
    plan = draw_plan(inputs, cfg, 7)
    onsite = {v.enterprise_id for v in plan.visits if v.mode == "onsite"}
    assert "E1" not in onsite
    assert any(u.kind == "quota" and u.subject == "key" for u in plan.unsatisfied)
    # with 帮扶 not counted (configuration), E1 is under its cap again and drawn
    counts = {**cfg.visits.counts_toward_cap, "assistance": False}
    cfg2 = dataclasses.replace(
        cfg, visits=dataclasses.replace(cfg.visits, counts_toward_cap=counts)
    )
    assert "E1" in {v.enterprise_id for v in draw_plan(inputs, cfg2, 7).visits}


def test_checkin_token_and_presence_confirmation(s: Session, world: Seeded) -> None:
    _clear(s)
    w = world
    v = _apply(s, w)
    secret = "k" * 32
    token = vs.checkin_token(v, secret)
    ent1, ent2 = _u(s, w, "ent1"), _u(s, w, "ent2")
    assert vs.visit_of_token(s, ent1, token, secret).visit_id == v.visit_id
    for bad in (token[:-1] + ("0" if token[-1] != "0" else "1"), "x", f"{v.visit_id}.a.b"):
        with pytest.raises(NotFound):
            vs.visit_of_token(s, ent1, bad, secret)
    with pytest.raises(NotFound):  # another enterprise cannot read it
        vs.visit_of_token(s, ent2, token, secret)
    with pytest.raises(ValidationError, match="未经批准"):
        vs.confirm_presence(s, ent1, v, "arrival")
    vs.approve_visit(s, _u(s, w, "ts_city"), v.visit_id, CFG, acknowledge_warnings=True)
    with pytest.raises(ValidationError, match="先确认到达"):
        vs.confirm_presence(s, ent1, v, "departure")
    with pytest.raises(PermissionDenied):
        vs.confirm_presence(s, ent2, v, "arrival")
    vs.confirm_presence(s, ent1, v, "arrival")
    with pytest.raises(ValidationError, match="已确认到达"):
        vs.confirm_presence(s, ent1, v, "arrival")
    vs.confirm_presence(s, ent1, v, "departure")
    assert v.arrived_at is not None and v.departed_at is not None
    assert v.arrived_at <= v.departed_at and v.arrival_confirmed_by == ent1.user_id
    audits = s.scalars(
        select(AuditLog.action).where(
            AuditLog.object_type == "inspection_visit", AuditLog.object_id == str(v.visit_id)
        )
    ).all()
    assert {"visit_arrival", "visit_departure"} <= set(audits)


def test_service_record_followups_and_scoring_count(s: Session, world: Seeded) -> None:
    _clear(s)
    w = world
    lb, ts = _u(s, w, "lb_district"), _u(s, w, "ts_city")
    v = _apply(s, w, kind="assistance", service_kind="diagnosis", planned_date=TODAY)
    with pytest.raises(ValidationError, match="审批"):  # not approved yet
        vs.record_service(s, lb, v.visit_id, problems="x", advice="y")
    vs.approve_visit(s, ts, v.visit_id, CFG, acknowledge_warnings=True)
    with pytest.raises(ValidationError, match="复诊日期须晚于"):
        vs.record_service(
            s, lb, v.visit_id, problems="x", advice="y", followup_dates=[TODAY - timedelta(1)]
        )
    due = TODAY + timedelta(days=30)
    vs.record_service(
        s,
        lb,
        v.visit_id,
        problems="VOCs 收集效率低，活性炭更换台账缺失",
        advice="更换活性炭并建立更换台账；加装集气罩",
        followup_dates=[due],
    )
    assert v.status == "done" and v.followups == [
        {"due": due.isoformat(), "done_at": None, "note": None}
    ]
    # a satisfaction survey follows the service (issue #15 item 7)
    from lantian.assist.surveys.models import SurveyInvitation

    invitation = s.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.kind == "visit", SurveyInvitation.object_id == str(v.visit_id)
        )
    )
    assert invitation is not None and invitation.enterprise_id == v.enterprise_id
    assert vs.overdue_followups([v], due + timedelta(days=1)) == 1
    vs.complete_followup(s, lb, v.visit_id, due, note="已更换活性炭")
    assert vs.overdue_followups([v], due + timedelta(days=1)) == 0
    with pytest.raises(ValidationError):
        vs.complete_followup(s, lb, v.visit_id, due, note="again")
    # counted for the team that did it, in the window of its record, not for others
    start = datetime.combine(TODAY, datetime.min.time(), tzinfo=CST) - timedelta(days=1)
    end = start + timedelta(days=3)
    assert service_visit_count(s, frozenset({lb.user_id}), start, end) == 1.0
    assert service_visit_count(s, frozenset({w.user_ids["sjz_city"]}), start, end) == 0.0
    assert service_visit_count(s, frozenset({lb.user_id}), end, end + timedelta(1)) == 0.0
    # the enterprise sees its record, another does not
    assert [x.visit_id for x in vs.list_visits(s, _u(s, w, "ent1"))] == [v.visit_id]
    assert vs.list_visits(s, _u(s, w, "ent2")) == []


def test_campaign_scope_links_and_statistics(s: Session, world: Seeded) -> None:
    _clear(s)
    w = world
    admin = _u(s, w, "admin")
    with pytest.raises(PermissionDenied):  # 石家庄 officer, 唐山 scope
        cs.create_campaign(
            s,
            _u(s, w, "sjz_city"),
            name="x",
            start_date=TODAY,
            end_date=TODAY,
            jurisdiction="唐山市",
        )
    with pytest.raises(ValidationError, match="结束日期"):
        cs.create_campaign(
            s, admin, name="x", start_date=TODAY, end_date=TODAY - timedelta(1), jurisdiction=None
        )
    with pytest.raises(ValidationError, match="未知行业"):
        cs.create_campaign(
            s, admin, name="x", start_date=TODAY, end_date=TODAY, industries=["nope"]
        )
    camp = cs.create_campaign(
        s,
        admin,
        name="秋冬季攻坚",
        round_label="第一轮",
        start_date=TODAY,
        end_date=TODAY + timedelta(days=60),
        jurisdiction="唐山市",
        industries=["steel"],
        families=["EXCEEDANCE"],
    )
    assert camp.campaign_id in {c.campaign_id for c in cs.list_campaigns(s, _u(s, w, "ts_city"))}
    assert cs.list_campaigns(s, _u(s, w, "sjz_city")) == []
    assert cs.list_campaigns(s, _u(s, w, "ent1")) == []
    (case,) = ws.dispatch(
        s,
        admin,
        [w.leads["E1"][0]],
        assignee_id=w.user_ids["lb_district"],
        deadline=now_cst() + timedelta(days=3),
    )
    cs.link(s, admin, camp.campaign_id, what="case", key=case.case_id)
    v = _apply(s, w, campaign_id=camp.campaign_id)
    vs.approve_visit(s, _u(s, w, "ts_city"), v.visit_id, CFG, acknowledge_warnings=True)
    _apply(s, w, campaign_id=camp.campaign_id, planned_date=TODAY + timedelta(days=90))
    st = cs.campaign_stats(s, _u(s, w, "ts_city"), camp.campaign_id)
    assert (st.cases, st.findings, st.visits) == (1, 1, 1)
    assert st.visits_by_kind == {"plan": 1} and st.visits_by_status == {"approved": 1, "pending": 1}
    with pytest.raises(NotFound):
        cs.campaign_stats(s, _u(s, w, "sjz_city"), camp.campaign_id)


def test_visit_register_on_both_databases(db_settings: Settings) -> None:
    """PostgreSQL parity: apply, approve, count (dates and JSON columns round-trip)."""
    w = seed(db_settings)
    with session_scope(db_settings) as s:
        v = _apply(s, w)
        vs.approve_visit(s, _u(s, w, "ts_city"), v.visit_id, CFG)
        vid = v.visit_id
    with session_scope(db_settings) as s:
        row = s.get(InspectionVisit, vid)
        assert row is not None and row.status == "approved"
        assert row.inspectors[0]["cert_no"] == "130200190002"
        year = row.planned_date.year
        assert vs.count_onsite_visits(s, "E1", year, CFG).capped == 1
        assert s.get(Enterprise, "E1") is not None
