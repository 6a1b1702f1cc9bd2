"""Lead inbox (filters, sorting, paging, bulk dispatch) and lead detail pages."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.db.resultcache import ResultCache
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise
from lantian.registry.vocab import GRADES
from lantian.rules.evidence import render as render_evidence
from lantian.timeutil import CST, now_cst
from lantian.web.deps import DbDep, PagePostUser, PageUser, current_language
from lantian.web.labels import N_
from lantian.web.queries import LEAD_STATUSES, LeadQuery
from lantian.web.rules_info import lead_names, rule_info, subject_text
from lantian.web.templating import render
from lantian.workflow import queries as wq
from lantian.workflow import service as ws
from lantian.workflow.states import transition_for

router = APIRouter(include_in_schema=False)

SORT_CHOICES: list[tuple[str, str]] = [
    ("-start", N_("Newest first")),
    ("start", N_("Oldest first")),
    ("-severity", N_("Most severe first")),
    ("-score", N_("Most confident first")),
    ("enterprise", N_("Enterprise name")),
]
DEFAULT_DEADLINE_DAYS = 7
"""Default check deadline offered by the dispatch form [days]."""


CHOICES_TTL_S = 60.0
"""How long the filter choices of one scope are reused [s] (they change only on import)."""
_CHOICES: ResultCache[dict[str, list[str]]] = ResultCache(CHOICES_TTL_S, forget_on_write=False)


def filter_choices(db: Session, request: Request) -> dict[str, list[str]]:
    """Cities and districts of the enterprises in scope (for the filter selects).

    Cached per scope and database for :data:`CHOICES_TTL_S` seconds.
    """
    p = request.state.principal
    key = (str(db.get_bind().engine.url), p.role, p.province, p.city, p.district, p.enterprise_id)
    return _CHOICES.get_or_compute(key, lambda: _filter_choices(db, p))


def _filter_choices(db: Session, principal: Any) -> dict[str, list[str]]:
    scope = visible(principal, "enterprise")
    cities = db.execute(
        select(Enterprise.city).distinct().where(scope, Enterprise.city.is_not(None))
    ).scalars()
    districts = db.execute(
        select(Enterprise.district).distinct().where(scope, Enterprise.district.is_not(None))
    ).scalars()
    return {
        "cities": sorted(c for c in cities if c),
        "districts": sorted(d for d in districts if d),
    }


def can_dispatch(user: User) -> bool:
    """True if ``user``'s role may fire 交办."""
    t = transition_for("new", "dispatch")
    return t is not None and user.role in t.roles


def assignees(db: Session, user: User) -> list[User]:
    """Officers leads can be dispatched to: active city and district officers in scope."""
    stmt = select(User).where(
        User.role.in_(("city_officer", "district_officer")), User.active.is_(True)
    )
    if user.city:
        stmt = stmt.where(User.city == user.city)
    if user.role == "city_officer":
        stmt = stmt.where(User.role == "district_officer")
    return list(db.execute(stmt.order_by(User.role, User.display_name).limit(300)).scalars())


class Assignee(NamedTuple):
    """An officer offered by the dispatch form."""

    user_id: int
    display_name: str


ASSIGNEES_TTL_S = 10.0
"""How long the officers offered to one dispatcher scope are reused [s]; forgotten at
once when this process writes to the database (e.g. a new account)."""
_ASSIGNEES: ResultCache[list[Assignee]] = ResultCache(ASSIGNEES_TTL_S)


def assignee_options(db: Session, user: User) -> list[Assignee]:
    """:func:`assignees` as (id, name) pairs, cached per database, role and city."""
    key = (str(db.get_bind().engine.url), user.role, user.city)
    return _ASSIGNEES.get_or_compute(
        key, lambda: [Assignee(u.user_id, u.display_name) for u in assignees(db, user)]
    )


def dispatch_context(db: Session, user: User) -> dict[str, Any]:
    """Template values of the dispatch form."""
    can = can_dispatch(user)
    return {
        "can_dispatch": can,
        "assignees": assignee_options(db, user) if can else [],
        "default_deadline": (now_cst() + timedelta(days=DEFAULT_DEADLINE_DAYS)).date().isoformat(),
    }


@router.get("/leads")
def inbox(
    request: Request,
    user: PageUser,
    db: DbDep,
    query: Annotated[LeadQuery, Query()],
    dispatched: int | None = None,
) -> Response:
    """The lead inbox; an HTMX request for the table gets only the table."""
    page = wq.list_leads(db, user, query.to_filters())
    filters = query.active_filters()
    pages = max(1, math.ceil(page.total / query.limit))

    def qs(offset: int) -> str:
        return urlencode(filters | {"offset": str(offset), "limit": str(query.limit)})

    ctx: dict[str, Any] = {
        "nav": "leads",
        "q": query,
        "rows": page.rows,
        "total": page.total,
        "total_capped": page.total_capped,
        "page": query.offset // query.limit + 1,
        "pages": pages,
        "prev_qs": qs(max(0, query.offset - query.limit)) if query.offset > 0 else None,
        "next_qs": qs(query.offset + query.limit)
        if query.offset + query.limit < page.total
        else None,
        "export_qs": urlencode(filters),
        "statuses": LEAD_STATUSES,
        "grades": GRADES,
        "sorts": SORT_CHOICES,
        "dispatched": dispatched,
    }
    ctx |= dispatch_context(db, user)
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "lead-table":
        return render(request, "leads/_table.html", ctx)
    ctx["choices"] = filter_choices(db, request)
    return render(request, "leads/inbox.html", ctx)


def end_of_day_cst(d: date) -> datetime:
    """23:59:59 CST of ``d`` (a deadline given as a date)."""
    return datetime.combine(d, time(23, 59, 59), CST)


def _back(request: Request, fallback: str, **params: Any) -> str:
    """The page the form was posted from (same origin only), with extra query params."""
    ref = request.headers.get("hx-current-url") or request.headers.get("referer") or ""
    parts = urlsplit(ref)
    path = fallback
    if parts.path.startswith("/") and (not parts.netloc or parts.netloc == request.url.netloc):
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    base, _sep, query = path.partition("?")
    keep = [kv for kv in query.split("&") if kv and kv.split("=")[0] not in params]
    keep += [f"{k}={v}" for k, v in params.items()]
    return base + ("?" + "&".join(keep) if keep else "")


@router.post("/leads/dispatch")
def dispatch_leads(
    request: Request,
    user: PagePostUser,
    db: DbDep,
    lead_ids: Annotated[list[str], Form(min_length=1)],
    assignee_id: Annotated[int, Form()],
    deadline: Annotated[date, Form()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """交办 the selected leads (one case per lead) to an officer with a deadline."""
    cases = ws.dispatch(
        db,
        user,
        lead_ids,
        assignee_id=assignee_id,
        deadline=end_of_day_cst(deadline),
        note=note or None,
    )
    db.commit()
    target = _back(request, "/leads", dispatched=len(cases))
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/leads/{lead_id}")
def lead_detail(request: Request, lead_id: str, user: PageUser, db: DbDep) -> Response:
    """One lead: series chart with the episode, evidence, rule, enterprise and history."""
    d = wq.get_lead(db, user, lead_id)
    lead = d.lead
    history: list[Lead] = []
    if lead.enterprise_id:
        history = list(
            db.execute(
                select(Lead)
                .where(
                    Lead.enterprise_id == lead.enterprise_id,
                    Lead.lead_id != lead.lead_id,
                    visible(user, "lead", session=db),
                )
                .order_by(Lead.start.desc())
                .limit(10)
            ).scalars()
        )
    lang = current_language.get()
    names = lead_names(db, lead)
    ctx: dict[str, Any] = {
        "nav": "leads",
        "lead": lead,
        "enterprise": d.enterprise,
        "case": d.case,
        "status": d.status,
        "history": history,
        "evidence_items": render_evidence(
            lead.rule, lead.evidence or {}, lang, names, pollutant=lead.pollutant
        ),
        "subject_text": subject_text(lead.subject_type, lead.subject_id, names, lang),
        "rule_info": rule_info(lead.rule),
    }
    ctx |= dispatch_context(db, user)
    return render(request, "leads/detail.html", ctx)
