"""``GET /api/leads`` (filters, sorting, paging), ``GET /api/leads/{lead_id}`` and
``GET /api/leads/{lead_id}/assignees``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.web.access import json_response, lead_dict, row_dict
from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.web.queries import LeadQuery
from lantian.workflow import queries as wq
from lantian.workflow import service as ws

router = APIRouter(prefix="/api/leads", tags=["leads"])


@router.get("", summary="List leads in the caller's scope", response_model=dict[str, Any])
def list_leads(user: ApiUser, db: DbDep, query: Annotated[LeadQuery, Query()]) -> Response:
    """Leads visible to the caller, filtered, sorted and paged (``limit`` ≤ 500).

    ``total`` is exact up to 10,000; beyond, ``total`` is 10000 and ``total_capped`` true.
    """
    page = wq.list_leads(db, user, query.to_filters())
    return json_response(
        {
            "total": page.total,
            "total_capped": page.total_capped,
            "limit": page.limit,
            "offset": page.offset,
            "items": [row_dict(r) for r in page.rows],
        }
    )


@router.get("/{lead_id}", summary="One lead")
def get_lead(lead_id: str, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """One lead with its evidence and workflow status; 404 if unknown or out of scope."""
    d = wq.get_lead(db, user, lead_id)
    case_id = d.case.case_id if d.case else None
    return lead_dict(d.lead, d.enterprise, case_id, d.status)


def assignee_dicts(db: Session, users: list[User]) -> list[dict[str, Any]]:
    """Accounts offered as assignees, as JSON (with 执法证号 where the register has one)."""
    certs = ws.certificate_numbers(db, [u.user_id for u in users])
    return [
        {
            "id": u.user_id,
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role,
            "city": u.city,
            "district": u.district,
            "cert_no": certs.get(u.user_id),
        }
        for u in users
    ]


@router.get("/{lead_id}/assignees", summary="Accounts the lead can be dispatched to")
def lead_assignees(
    lead_id: str, _officer: ApiOfficer, user: ApiUser, db: DbDep
) -> list[dict[str, Any]]:
    """The accounts whose scope covers the lead (its district's officers, the city's
    officers, the caller if an officer), in the order the dispatch form offers them; an
    empty list when nobody covers it. Officers only (403 for enterprise accounts); 404 if
    the lead is unknown or out of scope."""
    return assignee_dicts(db, ws.lead_assignees(db, user, lead_id))
