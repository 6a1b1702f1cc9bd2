"""``GET /api/leads`` (filters, sorting, paging) and ``GET /api/leads/{lead_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lantian.web.access import json_response, lead_dict, row_dict
from lantian.web.deps import ApiUser, DbDep
from lantian.web.queries import LeadQuery
from lantian.workflow import queries as wq

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
