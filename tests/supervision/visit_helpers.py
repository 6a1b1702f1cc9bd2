"""Test helper: an approved visit (行政检查审批) of a case, so that an on-site record of it
is lawful (tests of other features that write on-site records start from one).

The approval is written directly (as if applied for and approved a year ago); the approval
flow itself is tested in tests/supervision/test_visits.py.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import now_cst
from lantian.workflow.models import Case


def approve_onsite(session: Session, case_id: int) -> int:
    """Record an approved on-site visit of ``case_id``; its id."""
    case = session.get(Case, case_id)
    assert case is not None and case.enterprise_id is not None
    officer = case.assignee_id or session.scalar(
        select(User.user_id).where(User.role != "enterprise").order_by(User.user_id)
    )
    assert officer is not None
    past = now_cst() - timedelta(days=365)
    row = InspectionVisit(
        enterprise_id=case.enterprise_id,
        kind="plan" if case.kind == "inspection" else "lead_check",
        status="approved",
        purpose="现场核查",
        basis="《中华人民共和国大气污染防治法》",
        planned_date=now_cst().date(),
        inspectors=[],
        city=case.city,
        district=case.district,
        applicant_id=officer,
        applied_at=past,
        approver_id=officer,
        decided_at=past,
        case_id=case_id,
        separate_tally=False,
        checkin_nonce="test",
    )
    session.add(row)
    session.flush()
    return row.visit_id


def approve_onsite_in(settings: object, case_id: int) -> int:
    """:func:`approve_onsite` in its own committed session (web tests)."""
    from lantian.db.session import session_scope

    with session_scope(settings) as s:  # type: ignore[arg-type]
        return approve_onsite(s, case_id)
