"""正面清单 lifecycle and 绩效分级 history: the pure rules (table-driven), decisions with
history and audit, automatic suspension on a confirmed case, review proposals, imports
recorded as decisions, grade records driving the current grade, 创A升B steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.web.case_driver import drive_case
from tests.web.conftest import Seeded, seed

from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog, User
from lantian.db.session import session_scope
from lantian.io.importer import CliActor, import_bundle
from lantian.registry.models import Enterprise, Line
from lantian.settings import Settings
from lantian.supervision.config import SupervisionConfigError, load_config
from lantian.supervision.grades import services as gs
from lantian.supervision.listing import services as ls
from lantian.supervision.listing.models import PositiveListDecision, PositiveListProposal
from lantian.supervision.positive_list import (
    ListTransitionError,
    next_state,
    push_allowed,
    push_rule,
    state_after,
    suspension_due,
)
from lantian.supervision.queries import load_enterprise_facts
from lantian.timeutil import now_cst

# --------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        ("off", "add", "listed"),
        ("off", "remove", None),
        ("off", "suspend", None),
        ("off", "reinstate", None),
        ("listed", "add", None),
        ("listed", "suspend", "suspended"),
        ("listed", "remove", "off"),
        ("listed", "reinstate", None),
        ("suspended", "add", None),
        ("suspended", "suspend", None),
        ("suspended", "reinstate", "listed"),
        ("suspended", "remove", "off"),
    ],
)
def test_list_transitions(state: str, action: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ListTransitionError, match=action):
            next_state(state, action)
    else:
        assert next_state(state, action) == expected
        assert state_after(action) == expected


@pytest.mark.parametrize(
    ("state", "on", "due"),
    [
        ("listed", True, True),
        ("listed", False, False),
        ("suspended", True, False),
        ("off", True, False),
    ],
)
def test_suspension_only_of_a_listed_enterprise_when_configured(
    state: str, on: bool, due: bool
) -> None:
    assert suspension_due(state, on) is due


@pytest.mark.parametrize(
    ("listed", "event", "allowed"),
    [
        (False, "dispatched", True),
        (False, "lead_high", True),
        (True, "lead_high", True),
        (True, "dispatched", False),
        (True, "deadline_soon", False),
    ],
)
def test_push_rule(listed: bool, event: str, allowed: bool) -> None:
    assert push_rule(listed, event, ("lead_high",)) is allowed


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[grades]\nsteps = ["accept", "visit"]\n', "[grades] steps"),
        ('[grades]\nsteps = ["accept", "accept"]\n', "[grades] steps"),
        ("[grades]\nsteps = []\n", "[grades] steps"),
        ('[grades]\napplicable_grades = ["Z"]\n', "[grades] applicable_grades"),
        ("[positive_list]\nlisted_push_events = [1]\n", "[positive_list] listed_push_events"),
        ("[positive_list]\nreview_interval_days = -1\n", "[positive_list] review_interval_days"),
        ('[positive_list]\nsuspend_on_confirmed = "yes"\n', "suspend_on_confirmed"),
        ("[plan]\nvisit_start_hour = 24\n", "[plan] visit_start_hour"),
        ('[plan]\ninspector_roles = ["enterprise"]\n', "[plan] inspector_roles"),
        ("[plan]\ninspector_roles = []\n", "[plan] inspector_roles"),
        ("[plan]\nhistory_years = 1\n", "[risk] since_visit_cap_months"),
        ("[plan]\ntrigger_lookback_days = 4000\n", "[plan] trigger_lookback_days"),
    ],
)
def test_bad_configuration_is_refused_naming_the_entry(
    tmp_path: Path, toml: str, named: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SupervisionConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


# --------------------------------------------------------------------------- database


def _user(db: object, seeded: Seeded, name: str) -> User:
    u = db.get(User, seeded.user_ids[name])  # type: ignore[attr-defined]
    assert u is not None
    return u


def _audits(settings: Settings, action: str) -> int:
    with session_scope(settings) as db:
        return db.scalar(select(func.count()).where(AuditLog.action == action)) or 0


def test_decisions_history_suspension_and_pushes(db_settings: Settings) -> None:
    seeded = seed(db_settings)
    with session_scope(db_settings) as db:
        city = _user(db, seeded, "ts_city")
        # E2 is listed by its column (stored before any decision): the state says so
        assert ls.current_state(db, "E2") == "listed"
        ls.decide(db, city, "E1", "add", ["绩效分级B级，近12个月无违法"])
        with pytest.raises(InvalidTransition):
            ls.decide(db, city, "E1", "add", ["twice"])
        with pytest.raises(ValidationError):
            ls.decide(db, city, "E1", "remove", ["  "])
        assert db.get(Enterprise, "E1").positive_list is True  # type: ignore[union-attr]
        assert push_allowed(db, "E1", "lead_high") and not push_allowed(db, "E1", "dispatched")
        assert push_allowed(db, "E3", "dispatched")
    # 认定属实 of a case on E1 suspends it (the workflow's one call), audited as system
    case_id = drive_case(seeded, "confirmed")
    with session_scope(db_settings) as db:
        assert ls.current_state(db, "E1") == "suspended"
        assert db.get(Enterprise, "E1").positive_list is False  # type: ignore[union-attr]
        last = ls.latest_decision(db, "E1")
        assert last is not None and last.source == "case_confirmed" and last.case_id == case_id
        assert last.decided_by_name == "system" and "属实" in last.reasons[0]
        assert push_allowed(db, "E1", "dispatched")  # suspended: pushes as usual
        ls.decide(db, _user(db, seeded, "ts_city"), "E1", "reinstate", ["复核后恢复"])
        hist = ls.history(db, _user(db, seeded, "ts_city"), ls.ListFilter(), enterprise_id="E1")
        assert [d.action for d, _e in hist] == ["reinstate", "suspend", "add"]
        assert [d.effective_to is None for d, _e in hist] == [True, False, False]
        # an officer of another city sees none of it
        other = _user(db, seeded, "sjz_city")
        assert ls.history(db, other, ls.ListFilter(), enterprise_id="E1") == []
    assert _audits(db_settings, "positive_list_decide") == 3


def test_review_proposals_are_stored_once_and_decided(lantian_home: Path) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    seeded = seed(settings)
    config = load_config()
    today = now_cst().date()
    with session_scope(settings) as db:
        db.get(Enterprise, "E3").grade = "A"  # type: ignore[union-attr]
        props = ls.run_review(db, None, config, today)
        again = ls.run_review(db, None, config, today)
    assert again == []
    by = {p.enterprise_id: p for p in props}
    # E2 is listed but not graded: its removal is proposed
    assert by["E2"].change == "remove"
    with session_scope(settings) as db:
        city = _user(db, seeded, "ts_city")
        with pytest.raises(ValidationError):
            ls.decide_proposal(db, city, by["E2"].proposal_id, accept=False)
        ls.decide_proposal(db, city, by["E2"].proposal_id, accept=True)
        with pytest.raises(InvalidTransition):
            ls.decide_proposal(db, city, by["E2"].proposal_id, accept=True)
        assert ls.current_state(db, "E2") == "off"
        d = ls.latest_decision(db, "E2")
        assert d is not None and d.source == "review" and d.proposal_id == by["E2"].proposal_id
        statuses = dict(
            db.execute(
                select(PositiveListProposal.enterprise_id, PositiveListProposal.status)
            ).all()
        )
    assert statuses["E2"] == "accepted"
    assert _audits(settings, "positive_list_proposal_decide") == 1


def test_import_of_the_columns_is_recorded_as_history(lantian_home: Path, tmp_path: Path) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    reg = tmp_path / "b" / "registry"
    reg.mkdir(parents=True)
    head = (
        "enterprise_id,name,credit_code,industry,city,district,township,lon,lat,"
        "grade,positive_list\n"
    )
    row = "E9,某企业,91130100MA00000091,steel,甲市,一区,,,,{g},{p}\n"
    (reg / "outlets.csv").write_text(
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id\n",
        encoding="utf-8",
    )
    (reg / "meters.csv").write_text(
        "meter_id,enterprise_id,line_id,role,name,rated_kw\n", encoding="utf-8"
    )
    actor = CliActor("cli:test")
    for g, p in (("B", "true"), ("B", "true"), ("A", "false")):
        (reg / "enterprises.csv").write_text(head + row.format(g=g, p=p), encoding="utf-8")
        import_bundle(tmp_path / "b", settings, actor=actor)
    with session_scope(settings) as db:
        decisions = db.scalars(
            select(PositiveListDecision).order_by(PositiveListDecision.decision_id)
        ).all()
        assert [(d.action, d.source) for d in decisions] == [
            ("add", "import"),
            ("remove", "import"),
        ]
        records = db.scalars(select(gs.GradeRecord).order_by(gs.GradeRecord.record_id)).all()
        assert [(r.grade, r.evidence_kind) for r in records] == [("B", "import"), ("A", "import")]
        assert db.get(Enterprise, "E9").grade == "A"  # type: ignore[union-attr]


def test_grades_history_and_an_application_through_its_steps(lantian_home: Path) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    seeded = seed(settings)
    cfg = load_config().grades
    today = now_cst().date()
    with session_scope(settings) as db:
        db.add(Line(line_id="E1-L1", enterprise_id="E1", name="1号烧结机"))
        db.flush()
        city = _user(db, seeded, "ts_city")
        ent1 = _user(db, seeded, "ent1")
        with pytest.raises(ValidationError):
            gs.record_grade(db, city, "E1", "C", effective_from=today, evidence_kind="document")
        with pytest.raises(ValidationError):
            gs.record_grade(
                db,
                city,
                "E1",
                "C",
                effective_from=today + dt.timedelta(days=1),
                evidence_kind="assessment",
            )
        with pytest.raises(PermissionDenied):
            gs.record_grade(db, ent1, "E1", "A", effective_from=today, evidence_kind="assessment")
        gs.record_grade(
            db,
            city,
            "E1",
            "C",
            effective_from=today - dt.timedelta(days=30),
            evidence_kind="document",
            evidence_ref="唐环气〔2026〕12号",
        )
        gs.record_grade(
            db,
            city,
            "E1",
            "A",
            effective_from=today,
            evidence_kind="document",
            evidence_ref="唐环气〔2026〕30号",
            line_id="E1-L1",
        )
        # the line's grade does not change the enterprise's; the plan and risk read it
        assert db.get(Enterprise, "E1").grade == "C"  # type: ignore[union-attr]
        facts = load_enterprise_facts(db, jurisdiction=None, start=today, end=today, only="E1")
        assert facts[0].grade == "C"
        # 创A升B: the enterprise applies, officers record the configured steps in order
        app = gs.apply(db, ent1, cfg, target_grade="A", statement="已完成超低排放改造")
        with pytest.raises(ValidationError):
            gs.apply(db, ent1, cfg, target_grade="A", statement="again")
        with pytest.raises(PermissionDenied):
            gs.apply(db, city, cfg, target_grade="A", statement="x")
        with pytest.raises(InvalidTransition):
            gs.record_step(db, city, cfg, app.application_id, step="site", result="passed")
        for step in cfg.steps:
            gs.record_step(db, city, cfg, app.application_id, step=step, result="passed")
        assert app.status == "approved"
        assert db.get(Enterprise, "E1").grade == "A"  # type: ignore[union-attr]
        hist = gs.history(db, city, "E1")
        assert [(r.grade, r.line_id) for r in hist][:1] == [("A", None)]
        assert hist[0].application_id == app.application_id
        # a failed step rejects (with a reason)
        app2 = gs.apply(db, ent1, cfg, target_grade="L", statement="申请引领性")
        with pytest.raises(ValidationError):
            gs.record_step(db, city, cfg, app2.application_id, step="accept", result="failed")
        gs.record_step(
            db, city, cfg, app2.application_id, step="accept", result="failed", note="材料不全"
        )
        assert app2.status == "rejected"
    assert _audits(settings, "grade_step") == len(cfg.steps) + 1


def test_the_scheduled_review_runs_when_due(lantian_home: Path) -> None:
    from lantian.settings import get_settings
    from lantian.workflow.jobs import run_jobs_once

    settings = get_settings()
    seed(settings)
    today = now_cst().date()
    run_jobs_once(settings)  # the scheduled jobs run the first review
    with session_scope(settings) as db:
        first = db.scalar(select(func.count()).select_from(PositiveListProposal)) or 0
    assert first > 0
    assert ls.review_if_due(settings, today + dt.timedelta(days=89)) is None
    assert ls.review_if_due(settings, today + dt.timedelta(days=90)) == 0  # nothing new
