"""Read side of stored leads: the lead inbox (filters, sort, paging, cached counts) and
one lead's page. Every query is restricted by :func:`lantian.leads.scope.lead_scope`
(the ``lead`` declaration of :mod:`lantian.auth.visibility`) and runs a fixed number of
SQL statements (no N+1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from lantian.auth.errors import ValidationError
from lantian.auth.scope import UserLike
from lantian.auth.visibility import in_ids
from lantian.db.resultcache import ResultCache, current_generation, wrote
from lantian.leads.models import Lead
from lantian.leads.scope import lead_scope, load_lead
from lantian.registry.models import Enterprise, Grid, Station
from lantian.timeutil import to_cst
from lantian.workflow.models import Case, CaseLead
from lantian.workflow.states import STATE_CODES

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a list: ``rows``, the ``total`` matching rows, and the paging used."""

    rows: list[T]
    total: int
    limit: int
    offset: int
    total_capped: bool = False
    """True when ``total`` is a lower bound (more rows match than were counted)."""


# --------------------------------------------------------------------------- leads

LEAD_SORTS: dict[str, Any] = {
    "detected_at": Lead.detected_at,
    "start": Lead.start,
    "severity": Lead.severity,
    "score": Lead.score,
    "enterprise": Enterprise.name,
    "rule": Lead.rule,
}


@dataclass
class LeadFilters:
    """Filters of the lead inbox. ``status`` is the workflow status (``new`` = no case yet);
    dates filter ``Lead.start`` (inclusive from, exclusive to); ``sort`` is a key of
    :data:`LEAD_SORTS`, prefixed ``-`` for descending."""

    city: str | None = None
    district: str | None = None
    family: str | Sequence[str] | None = None
    severity: int | Sequence[int] | None = None
    status: str | Sequence[str] | None = None
    enterprise_id: str | None = None
    grade: str | None = None
    positive_list: bool | None = None
    rule: str | None = None
    outcome: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    q: str | None = None
    sort: str = "-detected_at"
    limit: int = 50
    offset: int = 0


@dataclass
class LeadRow:
    """A lead with its enterprise, region and workflow status (one inbox line)."""

    lead_id: str
    rule: str
    family: str
    enterprise_id: str | None
    enterprise_name: str | None
    city: str | None
    district: str | None
    grade: str | None
    positive_list: bool | None
    subject_type: str
    subject_id: str
    pollutant: str | None
    start: datetime
    end: datetime
    severity: int
    score: float
    summary: str
    detected_at: datetime
    outcome: str | None
    case_id: int | None
    status: str
    deadline: datetime | None
    assignee_id: int | None


_COUNT_FILTER_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(LeadFilters) if f.name not in ("sort", "limit", "offset")
)


def _many(value: Any) -> list[Any] | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str | int):
        return [value]
    return list(value)


MATERIALIZE_MAX_IDS = 2000
"""Up to this many enterprise ids, a scope becomes an id list (bitmap index scan on
``leads.enterprise_id``); above, a semi-join (a sequential scan is as good then)."""


ID_LIST_TTL_S = 10.0
"""How long the enterprise and station ids of a scope or region filter are reused [s];
like the counts, forgotten at once on any write or commit of this process."""
_ID_LISTS: ResultCache[tuple[list[str] | None, list[str] | None]] = ResultCache(ID_LIST_TTL_S)


def _region_ids(
    session: Session,
    ent_cond: ColumnElement[bool] | None,
    station_cond: ColumnElement[bool] | None,
    cache_key: tuple[Any, ...] | None,
) -> tuple[list[str] | None, list[str] | None]:
    """The ids of the enterprises matching ``ent_cond`` (None if more than
    :data:`MATERIALIZE_MAX_IDS`, or no condition) and of the stations matching
    ``station_cond`` (None without a condition); reused for :data:`ID_LIST_TTL_S` seconds
    when the caller names what the conditions depend on (``cache_key``)."""
    key = None
    generation = current_generation()
    if cache_key is not None and not wrote(session):
        key = (str(session.get_bind().engine.url), *cache_key)
        hit = _ID_LISTS.get(key)
        if hit is not None:
            return hit
    ids: list[str] | None = None
    stations: list[str] | None = None
    if ent_cond is not None:
        sub = select(Enterprise.enterprise_id).where(ent_cond)
        ids = list(session.scalars(sub.limit(MATERIALIZE_MAX_IDS + 1)))
        if len(ids) > MATERIALIZE_MAX_IDS:
            ids = None
    if station_cond is not None:
        stations = list(session.scalars(select(Station.station_id).where(station_cond)))
    if key is not None:
        _ID_LISTS.put(key, (ids, stations), generation)
    return ids, stations


def _lead_region_clause(
    session: Session,
    ent_cond: ColumnElement[bool] | None,
    station_cond: ColumnElement[bool] | None,
    cache_key: tuple[Any, ...] | None = None,
    grid_cond: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """Leads whose enterprise satisfies ``ent_cond``, whose station satisfies
    ``station_cond`` or whose grid cell (hot-spot leads off any enterprise) satisfies
    ``grid_cond``, as conditions on the leads table alone (no row-multiplying join), so
    that counts can use the leads indexes. ``cache_key``: what the first two conditions
    depend on, if their id lists may be reused (:func:`_region_ids`); grid cells (tens of
    thousands in a province) stay a sub-query."""
    parts: list[ColumnElement[bool]] = []
    ids, stations = _region_ids(session, ent_cond, station_cond, cache_key)
    if ent_cond is not None:
        if ids is not None:
            if ids:
                parts.append(in_ids(session, Lead.enterprise_id, ids))
        else:
            sub = select(Enterprise.enterprise_id).where(ent_cond)
            parts.append(Lead.enterprise_id.in_(sub))
    if station_cond is not None and stations:
        parts.append(
            and_(
                in_ids(session, Lead.subject_id, stations),
                Lead.subject_type == "station",
                Lead.enterprise_id.is_(None),
            )
        )
    if grid_cond is not None:
        parts.append(
            and_(
                Lead.subject_type == "grid",
                Lead.enterprise_id.is_(None),
                Lead.subject_id.in_(select(Grid.grid_id).where(grid_cond)),
            )
        )
    if not parts:
        return false()
    return parts[0] if len(parts) == 1 else or_(*parts)


def inbox_status_filter() -> ColumnElement[bool] | None:
    """THE one place where the inbox hides leads by their own lifecycle status.

    A lead that detection withdrew (``Lead.status == "withdrawn"``: its basis disappeared
    when late data arrived, :mod:`lantian.leads.store`) leaves the inbox, the API list and
    the counts built on them; its page stays readable by id."""
    return Lead.status != "withdrawn"


def _status_clause(statuses: Sequence[str]) -> ColumnElement[bool]:
    """Leads whose workflow status is one of ``statuses`` (``new`` = in no case), as an
    anti-join / semi-join on ``leads`` (so the page can still walk a sort index)."""
    parts: list[ColumnElement[bool]] = []
    if "new" in statuses:
        cl = aliased(CaseLead)
        parts.append(~select(cl.lead_id).where(cl.lead_id == Lead.lead_id).correlate(Lead).exists())
    others = [x for x in statuses if x != "new"]
    if others:
        cl2, c2 = aliased(CaseLead), aliased(Case)
        parts.append(
            Lead.lead_id.in_(
                select(cl2.lead_id)
                .join(c2, c2.case_id == cl2.case_id)
                .where(c2.status.in_(others))
                .correlate(None)
            )
        )
    return parts[0] if len(parts) == 1 else or_(*parts)


def _lead_conditions(
    session: Session, user: UserLike, f: LeadFilters
) -> tuple[list[ColumnElement[bool]], bool]:
    """WHERE conditions of the inbox over ``leads`` alone, and whether the case tables are
    needed (status filter)."""
    conds: list[ColumnElement[bool]] = [lead_scope(session, user)]
    if (hidden := inbox_status_filter()) is not None:
        conds.append(hidden)
    needs_case = False
    if f.city or f.district:
        ec: list[ColumnElement[bool]] = []
        sc: list[ColumnElement[bool]] = []
        gc: list[ColumnElement[bool]] = []
        if f.city:
            ec.append(Enterprise.city == f.city)
            sc.append(Station.city == f.city)
            gc.append(Grid.city == f.city)
        if f.district:
            ec.append(Enterprise.district == f.district)
            sc.append(Station.district == f.district)
            gc.append(Grid.district == f.district)
        conds.append(
            _lead_region_clause(
                session,
                and_(*ec),
                and_(*sc),
                cache_key=("region", f.city, f.district),
                grid_cond=and_(*gc),
            )
        )
    if f.grade or f.positive_list is not None:
        ec = []
        if f.grade:
            ec.append(Enterprise.grade == f.grade)
        if f.positive_list is not None:
            ec.append(Enterprise.positive_list.is_(f.positive_list))
        conds.append(
            _lead_region_clause(
                session, and_(*ec), None, cache_key=("grade", f.grade, f.positive_list)
            )
        )
    if (fam := _many(f.family)) is not None:
        conds.append(Lead.family.in_(fam))
    if (sev := _many(f.severity)) is not None:
        conds.append(Lead.severity.in_([int(s) for s in sev]))
    if (sts := _many(f.status)) is not None:
        bad = set(sts) - set(STATE_CODES)
        if bad:
            raise ValidationError(f"unknown status {sorted(bad)}", field="status")
        conds.append(_status_clause(sts))
    if f.enterprise_id:
        conds.append(Lead.enterprise_id == f.enterprise_id)
    if f.rule:
        conds.append(Lead.rule == f.rule)
    if f.outcome:
        conds.append(Lead.outcome.is_(None) if f.outcome == "none" else Lead.outcome == f.outcome)
    if f.date_from is not None:
        conds.append(Lead.start >= to_cst(f.date_from))
    if f.date_to is not None:
        conds.append(Lead.start < to_cst(f.date_to))
    if f.q and f.q.strip():
        text_ = f.q.strip()
        pattern = "%" + _escape_like(text_) + "%"
        # the matching enterprises first (trigram index on enterprises.name), then an id
        # list: "summary ILIKE (trigram index) OR lead_id = (pk) OR enterprise_id = ANY
        # (btree)" becomes a BitmapOr instead of a scan with a hashed sub-plan per lead
        ent_ids = list(
            session.scalars(
                select(Enterprise.enterprise_id)
                .where(Enterprise.name.ilike(pattern, escape="\\"))
                .limit(Q_ENTERPRISE_LIMIT)
            )
        )
        alts: list[ColumnElement[bool]] = [
            Lead.summary.ilike(pattern, escape="\\"),
            Lead.lead_id == text_,
        ]
        if ent_ids:
            alts.append(in_ids(session, Lead.enterprise_id, ent_ids))
        conds.append(or_(*alts))
    return conds, needs_case


Q_ENTERPRISE_LIMIT = 2000
"""At most this many enterprises matched by name take part in a text search."""

COUNT_CAP = 10_000
"""The inbox counts matching leads up to this many; beyond, the total shows "10,000+"."""

COUNT_TTL_S = 10.0
"""How long an inbox count is reused for the same scope and filters [s].

Counting is most of the database work of an inbox request (up to 10,001 leads visited),
and people page through and come back to the same filters. Any write or commit through a
connection of this process (a dispatch, an import, detection) forgets every count at
once, and a transaction that wrote never uses one; changes made by other processes show
within this many seconds (:mod:`lantian.db.resultcache`)."""
_COUNTS: ResultCache[int] = ResultCache(COUNT_TTL_S, max_entries=10_000)


def _count_key(session: Session, user: UserLike, f: LeadFilters) -> tuple[Any, ...]:
    """What an inbox count depends on: database, scope attributes, filters (not the
    sort, not the paging)."""

    def norm(v: Any) -> Any:
        return tuple(v) if isinstance(v, list | tuple) else v

    return (
        str(session.get_bind().engine.url),
        user.role,
        user.enterprise_id,
        user.province,
        user.city,
        user.district,
        *(norm(getattr(f, name)) for name in _COUNT_FILTER_FIELDS),
    )


def _escape_like(text_: str) -> str:
    """``text_`` with LIKE wildcards (``%``, ``_``) and the escape character escaped."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _count_leads(session: Session, conds: list[ColumnElement[bool]], needs_case: bool) -> int:
    """Leads matching ``conds``, counted up to ``COUNT_CAP + 1`` (at most that many rows
    are visited, however many match)."""
    inner = select(Lead.lead_id).select_from(Lead)
    if needs_case:
        inner = inner.outerjoin(CaseLead, CaseLead.lead_id == Lead.lead_id).outerjoin(
            Case, Case.case_id == CaseLead.case_id
        )
    inner = inner.where(*conds).limit(COUNT_CAP + 1)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


@cache
def _lead_page_select() -> Any:
    """The inbox page's SELECT without conditions, order and paging: leads joined to
    enterprise, station and case, columns in :class:`LeadRow`'s order.

    Built once (statements are immutable; building this one costs more CPU than
    executing it)."""
    st = aliased(Station)
    gr = aliased(Grid)
    stmt = (
        select(
            Lead.lead_id,
            Lead.rule,
            Lead.family,
            Lead.enterprise_id,
            Enterprise.name.label("enterprise_name"),
            func.coalesce(Enterprise.city, st.city, gr.city).label("city"),
            func.coalesce(Enterprise.district, st.district, gr.district).label("district"),
            Enterprise.grade,
            Enterprise.positive_list,
            Lead.subject_type,
            Lead.subject_id,
            Lead.pollutant,
            Lead.start,
            Lead.end,
            Lead.severity,
            Lead.score,
            Lead.summary,
            Lead.detected_at,
            Lead.outcome,
            Case.case_id,
            func.coalesce(Case.status, "new").label("status"),
            Case.deadline,
            Case.assignee_id,
        )
        .select_from(Lead)
        .outerjoin(Enterprise, Enterprise.enterprise_id == Lead.enterprise_id)
        .outerjoin(st, and_(Lead.subject_type == "station", st.station_id == Lead.subject_id))
        .outerjoin(gr, and_(Lead.subject_type == "grid", gr.grid_id == Lead.subject_id))
        .outerjoin(CaseLead, CaseLead.lead_id == Lead.lead_id)
        .outerjoin(Case, Case.case_id == CaseLead.case_id)
    )
    names = [c.key for c in stmt.selected_columns]
    if names != [f.name for f in fields(LeadRow)]:  # rows become LeadRow positionally
        raise RuntimeError(f"inbox columns {names} do not match LeadRow")
    return stmt


def list_leads(
    session: Session, user: UserLike, filters: LeadFilters | None = None
) -> Page[LeadRow]:
    """The lead inbox: leads in scope, filtered, sorted and paged, with the total count.

    Two SQL statements: the page (leads walked in sort order through an index, joined to
    enterprise, station and case for display) and the count (leads only, plus the case
    tables when filtering by status), which is reused for :data:`COUNT_TTL_S` seconds.
    """
    f = filters or LeadFilters()
    limit = max(1, min(int(f.limit), 1000))
    offset = max(0, int(f.offset))
    conds, needs_case = _lead_conditions(session, user, f)
    key = f.sort.lstrip("-")
    if key not in LEAD_SORTS:
        raise ValidationError(f"sort must be one of {sorted(LEAD_SORTS)}", field="sort")
    col = LEAD_SORTS[key]
    order = [col.desc() if f.sort.startswith("-") else col.asc(), Lead.lead_id.desc()]
    stmt = _lead_page_select().where(*conds).order_by(*order).limit(limit).offset(offset)
    rows = [LeadRow(*r) for r in session.execute(stmt)]  # columns in LeadRow's order
    if offset == 0 and len(rows) < limit:  # the whole result is on this page
        return Page(rows, len(rows), limit, offset)
    cacheable = not wrote(session)  # own writes: count afresh
    ckey = _count_key(session, user, f)
    generation = current_generation()
    hit = _COUNTS.get(ckey) if cacheable else None
    if hit is not None:
        # never fewer than the rows seen (a fresh count cannot be)
        total = max(hit, offset + len(rows)) if rows else hit
    else:
        total = _count_leads(session, conds, needs_case)
        if cacheable:
            _COUNTS.put(ckey, total, generation)
    capped = total > COUNT_CAP
    return Page(rows, min(total, COUNT_CAP), limit, offset, total_capped=capped)


@dataclass
class LeadDetail:
    """A lead with its enterprise, its case (if any) and other leads of the same case."""

    lead: Lead
    enterprise: Enterprise | None
    case: Case | None
    status: str
    case_leads: list[Lead] = field(default_factory=list)


def get_lead(session: Session, user: UserLike, lead_id: str) -> LeadDetail:
    """One lead in ``user``'s scope (:class:`NotFound` otherwise)."""
    lead = load_lead(session, user, lead_id)
    ent = session.get(Enterprise, lead.enterprise_id) if lead.enterprise_id else None
    case_ = session.scalar(
        select(Case)
        .join(CaseLead, CaseLead.case_id == Case.case_id)
        .where(CaseLead.lead_id == lead_id)
    )
    others: list[Lead] = []
    if case_ is not None:
        others = list(
            session.scalars(
                select(Lead)
                .join(CaseLead, CaseLead.lead_id == Lead.lead_id)
                .where(CaseLead.case_id == case_.case_id)
                .order_by(Lead.start)
            )
        )
    return LeadDetail(lead, ent, case_, case_.status if case_ else "new", others)


__all__ = [
    "COUNT_CAP",
    "LEAD_SORTS",
    "LeadDetail",
    "LeadFilters",
    "LeadRow",
    "Page",
    "get_lead",
    "inbox_status_filter",
    "list_leads",
]
