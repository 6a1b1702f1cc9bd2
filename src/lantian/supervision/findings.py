"""Findings of an inspection visit: problems an officer records on an inspection case.

A finding is stored as a lead (rule :data:`FINDING_RULE`) with the same fields as a
detected one (family, pollutant, subject, start/end, severity, evidence), linked to the
case and judged ``confirmed`` (an officer saw it on site), so it counts in every lead
statistic, list and export like a confirmed detected lead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.leads.models import Lead
from lantian.registry.vocab import STORED_LEAD_FAMILIES, STORED_SUBJECT_TYPES
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import load_case
from lantian.workflow.models import CaseLead

FINDING_RULE = "FINDING"
"""``leads.rule`` of a finding recorded by an officer (not a detection rule)."""


def record_finding(
    session: Session,
    user: User,
    case_id: int,
    *,
    family: str,
    summary: str,
    start: dt.datetime,
    end: dt.datetime,
    severity: int,
    pollutant: str | None = None,
    subject_type: str = "enterprise",
    subject_id: str | None = None,
    evidence: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Lead:
    """Record a finding on an inspection case (a confirmed lead linked to it; audited).

    Raises
    ------
    ValidationError
        Not an inspection case, or a field outside its vocabulary or range (named).
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record findings")
    case = load_case(session, user, case_id, lock=True)
    if case.kind != "inspection" or case.enterprise_id is None:
        raise ValidationError(f"case {case_id} is not an inspection case", field="case_id")
    if family not in STORED_LEAD_FAMILIES:
        raise ValidationError(f"family {family!r} is not a lead family", field="family")
    if subject_type not in STORED_SUBJECT_TYPES:
        raise ValidationError(f"subject_type {subject_type!r} is unknown", field="subject_type")
    if not 1 <= severity <= 3:
        raise ValidationError(f"severity {severity} is not 1..3", field="severity")
    start, end = to_cst(start), to_cst(end)
    if end <= start:
        raise ValidationError("end must be after start", field="end")
    text = summary.strip()
    if not text:
        raise ValidationError("summary is required", field="summary")
    now = now or now_cst()
    n = session.scalar(
        select(func.count())
        .select_from(CaseLead)
        .join(Lead, Lead.lead_id == CaseLead.lead_id)
        .where(CaseLead.case_id == case_id, Lead.rule == FINDING_RULE)
    )
    lead = Lead(
        lead_id=f"FND-{case_id}-{(n or 0) + 1}",
        rule=FINDING_RULE,
        family=family,
        enterprise_id=case.enterprise_id,
        subject_type=subject_type,
        subject_id=subject_id or case.enterprise_id,
        pollutant=pollutant or None,
        start=start,
        end=end,
        severity=severity,
        score=1.0,
        summary=text,
        evidence={**(evidence or {}), "case_id": case_id, "found_by": user.username},
        open=False,
        detected_at=now,
        updated_at=now,
        outcome="confirmed",
        outcome_reason=f"on-site finding of inspection case {case_id}",
    )
    session.add(lead)
    session.flush()
    session.add(CaseLead(lead_id=lead.lead_id, case_id=case_id, linked_at=now, reason="finding"))
    session.flush()
    audit(
        session,
        user,
        "record_finding",
        "lead",
        lead.lead_id,
        after={**snapshot(lead), "case_id": case_id},
        at=now,
    )
    return lead
