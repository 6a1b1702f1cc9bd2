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

from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.db.resultcache import ResultCache
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Grid
from lantian.registry.vocab import GRADES
from lantian.timeutil import CST, now_cst
from lantian.web.deps import DbDep, PagePostUser, PageUser, current_language
from lantian.web.labels import N_
from lantian.web.queries import LEAD_STATUSES, LeadQuery
from lantian.web.rules_info import evidence_items, lead_names, rule_info, subject_text
from lantian.web.templating import render
from lantian.workflow import queries as wq
from lantian.workflow import service as ws
from lantian.workflow.candidates import compass_point, may_dispatch_candidates, suggested_sources
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


class Assignee(NamedTuple):
    """An account offered by the dispatch form."""

    user_id: int
    display_name: str
    role: str
    district: str | None
    cert_no: str | None


class DispatchGroup(NamedTuple):
    """Leads of one district (city, district) on the page, and who may take them."""

    key: str
    city: str
    district: str
    lead_ids: list[str]
    assignees: list[Assignee]


def _options(db: Session, users: list[User], certs: dict[int, str] | None = None) -> list[Assignee]:
    if certs is None:
        certs = ws.certificate_numbers(db, [u.user_id for u in users])
    return [
        Assignee(u.user_id, u.display_name, u.role, u.district, certs.get(u.user_id)) for u in users
    ]


def group_key(city: str | None, district: str | None) -> str:
    """The form value naming a dispatch group (a district of a city)."""
    return f"{city or ''}/{district or ''}"


GROUPS_TTL_S = 10.0
"""How long the dispatch groups of one dispatcher and page of leads are reused [s];
forgotten at once when this process writes to the database (e.g. a new account)."""
_GROUPS: ResultCache[list[DispatchGroup]] = ResultCache(GROUPS_TTL_S)


def dispatch_groups(db: Session, user: User, rows: list[Any]) -> list[DispatchGroup]:
    """The new leads among ``rows`` grouped by district, each group with the accounts that
    cover all its leads (:func:`lantian.workflow.service.covering_officers`); cached for
    :data:`GROUPS_TTL_S` seconds per database, dispatcher and leads."""
    new = [r for r in rows if r.status == "new"]
    if not new:
        return []
    key = (str(db.get_bind().engine.url), user.user_id, tuple(r.lead_id for r in new))
    return _GROUPS.get_or_compute(key, lambda: _dispatch_groups(db, user, new))


def _dispatch_groups(db: Session, user: User, new: list[Any]) -> list[DispatchGroup]:
    covering = ws.covering_officers(db, user, "lead", [r.lead_id for r in new])
    groups: dict[str, tuple[str, str, list[str]]] = {}
    for r in new:
        key = group_key(r.city, r.district)
        groups.setdefault(key, (r.city or "", r.district or "", []))[2].append(r.lead_id)
    everyone = {u.user_id for users in covering.values() for u in users}
    certs = ws.certificate_numbers(db, sorted(everyone))
    out = []
    for key, (city, district, ids) in sorted(groups.items()):
        common = [u for u in covering[ids[0]] if all(u in covering[i] for i in ids[1:])]
        out.append(DispatchGroup(key, city, district, ids, _options(db, common, certs)))
    return out


def dispatch_context(
    db: Session, user: User, *, rows: list[Any] | None = None, lead_id: str | None = None
) -> dict[str, Any]:
    """Template values of the dispatch forms: per district group of the new leads in
    ``rows`` (inbox), or for one lead (``lead_id``, lead page), the covering accounts."""
    can = can_dispatch(user)
    ctx: dict[str, Any] = {
        "can_dispatch": can,
        "dispatch_groups": [],
        "assignees": [],
        "uncovered": set(),
        "default_deadline": (now_cst() + timedelta(days=DEFAULT_DEADLINE_DAYS)).date().isoformat(),
    }
    if not can:
        return ctx
    if rows is not None:
        groups = dispatch_groups(db, user, rows)
        ctx["dispatch_groups"] = groups
        ctx["uncovered"] = {i for g in groups if not g.assignees for i in g.lead_ids}
    if lead_id is not None:
        ctx["assignees"] = _options(db, ws.lead_assignees(db, user, lead_id))
    return ctx


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
    ctx |= dispatch_context(db, user, rows=list(page.rows))
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
    assignee_id: Annotated[list[int], Form(min_length=1, max_length=500)],
    deadline: Annotated[date, Form()],
    group: Annotated[list[str] | None, Form(max_length=500)] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """交办 the selected leads (one case per lead) with a deadline: to ``assignee_id``, or,
    from the inbox, to the ``assignee_id`` chosen for each district ``group`` (the two
    lists pair up in order)."""
    groups = group or []
    if groups and len(groups) != len(assignee_id):
        raise ValidationError(
            "每个辖区须选择一名承办人 (one assignee per group)", field="assignee_id"
        )
    plan: dict[int, list[str]] = {}
    if not groups:
        plan[assignee_id[0]] = list(lead_ids)
    else:
        chosen = dict(zip(groups, assignee_id, strict=True))
        regions = ws.lead_regions(db, lead_ids)
        for lid in dict.fromkeys(lead_ids):
            key = group_key(*regions.get(lid, ("", "")))
            if key not in chosen:
                raise ValidationError(
                    f"线索 {lid} 所在辖区没有可交办的执法人员账号 (nobody covers lead {lid})",
                    field="assignee_id",
                )
            plan.setdefault(chosen[key], []).append(lid)
    count = 0
    for uid, ids in plan.items():
        cases = ws.dispatch(
            db,
            user,
            ids,
            assignee_id=uid,
            deadline=end_of_day_cst(deadline),
            note=note or None,
        )
        count += len(cases)
    db.commit()
    target = _back(request, "/leads", dispatched=count)
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
        "evidence_items": evidence_items(db, lead, lang, names),
        "subject_text": subject_text(lead.subject_type, lead.subject_id, names, lang),
        "rule_info": rule_info(lead.rule),
        "sources": suggested_sources(db, user, lead),
        "grid": db.get(Grid, lead.subject_id) if lead.subject_type == "grid" else None,
        "can_dispatch_source": d.case is None and may_dispatch_candidates(user),
        "compass_point": compass_point,
    }
    ctx |= dispatch_context(db, user, lead_id=lead.lead_id if d.case is None else None)
    return render(request, "leads/detail.html", ctx)
