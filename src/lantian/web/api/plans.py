"""``POST /api/plans``: draw, store and audit a 双随机 inspection plan (docs/SUPERVISION.md).

The body answered is exactly what ``lantian plan draw --json`` prints (same inputs,
configuration and seed → the same bytes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lantian.auth.errors import ValidationError
from lantian.supervision.config import SupervisionConfigError, load_config
from lantian.supervision.plan import PlanError
from lantian.supervision.plans.services import draw_and_store, require_draw_scope
from lantian.web.deps import ApiOfficer, ApiUser, DbDep

router = APIRouter(prefix="/api", tags=["plans"])


class PlanRequest(BaseModel):
    """Body of ``POST /api/plans`` (the options of ``lantian plan draw``)."""

    period: str = Field(max_length=16, description="YYYY-MM or YYYY-Qn")
    jurisdiction: str | None = Field(
        None, max_length=64, description="city or district code (default: everything)"
    )
    seed: int = Field(ge=0, le=2**63 - 1, description="the published seed")


@router.post(
    "/plans",
    summary="Draw a 双随机 inspection plan (stored and audited)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def post_plan(
    request: Request, body: PlanRequest, _p: ApiOfficer, user: ApiUser, db: DbDep
) -> Response:
    """Officers, for a jurisdiction in their region (admins and unrestricted work groups
    may omit it). Returns the plan as ``lantian plan draw --json`` prints it; the draw id
    is in the ``X-Plan-Draw-Id`` header."""
    try:
        config = load_config(request.app.state.settings.supervision_config)
    except SupervisionConfigError as exc:
        raise ValidationError(str(exc), field="LANTIAN_SUPERVISION_CONFIG") from exc
    jurisdiction = body.jurisdiction or None
    require_draw_scope(db, user, jurisdiction)
    try:
        plan, draw_id = draw_and_store(
            db, user, config, period=body.period, jurisdiction=jurisdiction, seed=body.seed
        )
    except PlanError as exc:
        db.rollback()
        raise ValidationError(str(exc)) from exc
    db.commit()
    return Response(
        plan.to_json().encode("utf-8"),
        media_type="application/json",
        headers={"X-Plan-Draw-Id": str(draw_id)},
    )


class FindingRequest(BaseModel):
    """Body of ``POST /api/cases/{case_id}/findings`` (the fields of a lead)."""

    family: str = Field(max_length=32)
    summary: str = Field(min_length=1, max_length=2000)
    start: datetime
    end: datetime
    severity: int = Field(ge=1, le=3)
    pollutant: str | None = Field(None, max_length=32)
    subject_type: str = Field("enterprise", max_length=16)
    subject_id: str | None = Field(None, max_length=64)
    evidence: dict[str, Any] | None = None


@router.post("/cases/{case_id}/findings", summary="Record a finding on an inspection case")
def post_finding(case_id: int, body: FindingRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Officers in scope; stored as a confirmed lead (rule ``FINDING``) linked to the case."""
    from lantian.supervision.findings import record_finding

    lead = record_finding(
        db,
        user,
        case_id,
        family=body.family,
        summary=body.summary,
        start=body.start,
        end=body.end,
        severity=body.severity,
        pollutant=body.pollutant,
        subject_type=body.subject_type,
        subject_id=body.subject_id,
        evidence=body.evidence,
    )
    db.commit()
    return {"lead_id": lead.lead_id, "case_id": case_id, "rule": lead.rule, "outcome": lead.outcome}
