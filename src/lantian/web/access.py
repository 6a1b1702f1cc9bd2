"""Object-level access and JSON shapes.

Scope decisions are made by :mod:`lantian.auth.visibility` (one declaration); an
object outside the user's scope is reported as 404, exactly like one that does not exist,
so ids of other enterprises are not revealed.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic_core import to_json
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Station
from lantian.timeutil import isoformat_cst
from lantian.web.deps import _
from lantian.web.principal import Principal
from lantian.workflow.queries import CaseRow, LeadRow


def enterprise_or_404(db: Session, p: Principal, enterprise_id: str) -> Enterprise:
    """The enterprise, or 404."""
    ent = db.execute(
        select(Enterprise).where(
            Enterprise.enterprise_id == enterprise_id, visible(p, "enterprise")
        )
    ).scalar_one_or_none()
    if ent is None:
        raise HTTPException(404, _("Enterprise not found"))
    return ent


def station_or_404(db: Session, p: Principal, station_id: str) -> Station:
    """The station, or 404."""
    st = db.execute(
        select(Station).where(Station.station_id == station_id, visible(p, "station"))
    ).scalar_one_or_none()
    if st is None:
        raise HTTPException(404, _("Station not found"))
    return st


_ROW_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in (LeadRow, CaseRow)
}


def row_dict(row: LeadRow | CaseRow) -> dict[str, Any]:
    """A list row as JSON (times ISO 8601 with +08:00).

    The rows hold scalars only, so a shallow read of the fields is enough (no
    :func:`dataclasses.asdict`, which deep-copies every value).
    """
    out = {name: getattr(row, name) for name in _ROW_FIELDS[type(row)]}
    for k, v in out.items():
        if isinstance(v, datetime):
            out[k] = isoformat_cst(v)
    return out


def json_response(payload: Any) -> Response:
    """``payload`` as a JSON response, serialized like FastAPI's default (pydantic-core).

    For sync routes whose ``dict[str, Any]`` result would otherwise be validated against
    its own annotation in a thread-pool trip before being serialized.
    """
    return Response(to_json(payload), media_type="application/json")


def lead_dict(
    lead: Lead, ent: Enterprise | None = None, case_id: int | None = None, status: str = "new"
) -> dict[str, Any]:
    """A lead as JSON: the ``leads.jsonl`` contract fields plus workflow status."""
    return {
        "lead_id": lead.lead_id,
        "rule": lead.rule,
        "family": lead.family,
        "enterprise_id": lead.enterprise_id,
        "enterprise_name": ent.name if ent else None,
        "subject_type": lead.subject_type,
        "subject_id": lead.subject_id,
        "pollutant": lead.pollutant,
        "start": isoformat_cst(lead.start),
        "end": isoformat_cst(lead.end),
        "severity": lead.severity,
        "score": lead.score,
        "summary": lead.summary,
        "evidence": lead.evidence,
        "open": lead.open,
        "status": status,
        "case_id": case_id,
        "outcome": lead.outcome,
        "outcome_reason": lead.outcome_reason,
        "detected_at": isoformat_cst(lead.detected_at),
    }


def enterprise_dict(ent: Enterprise) -> dict[str, Any]:
    """An enterprise as JSON (registry fields)."""
    return {
        "enterprise_id": ent.enterprise_id,
        "name": ent.name,
        "credit_code": ent.credit_code,
        "industry": ent.industry,
        "city": ent.city,
        "district": ent.district,
        "township": ent.township,
        "lon": ent.lon,
        "lat": ent.lat,
        "grade": ent.grade,
        "positive_list": ent.positive_list,
    }


def station_dict(st: Station) -> dict[str, Any]:
    """A station as JSON."""
    return {
        "station_id": st.station_id,
        "name": st.name,
        "kind": st.kind,
        "city": st.city,
        "district": st.district,
        "township": st.township,
        "lon": st.lon,
        "lat": st.lat,
    }
