"""Read side of the workflow: lead inbox, case lists, 督办台账, dashboard, per-rule precision,
enterprise profiles. Every query is restricted to the user's scope
(:mod:`lantian.auth.scope`) and runs a fixed number of SQL statements (no N+1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import TypeDecorator

from lantian.auth.errors import NotFound, ValidationError
from lantian.auth.models import User
from lantian.auth.scope import can_access_enterprise, enterprise_scope_clause, scope_clause
from lantian.db.resultcache import ResultCache, current_generation, wrote
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Line, Outlet, Station
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLead,
    CheckRecord,
    Notice,
    SpotCheck,
    SpotCheckDraw,
)
from lantian.workflow.service import allowed_actions, load_case, load_lead
from lantian.workflow.states import DEADLINE_STATES, OPEN_STATES, STATE_CODES, Transition

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


def pg_text_array(values: Sequence[str]) -> str:
    """``values`` as a PostgreSQL array literal (``{"a","b"}``: every element quoted, ``\\``
    and ``"`` escaped), e.g. for a ``VARCHAR[]`` parameter."""
    if not values:
        return "{}"
    plain = "".join(values)
    if "\\" in plain or '"' in plain:
        values = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return '{"' + '","'.join(values) + '"}'


class IdArray(TypeDecorator[list[str]]):
    """A ``VARCHAR[]`` parameter sent as one array literal string.

    Same SQL as ``ARRAY(String)`` (``:param::VARCHAR[]``), but the driver sends one
    string instead of adapting the list element by element (psycopg checks every element
    for quoting: about 1 ms for 500 ids, per statement).
    """

    impl = ARRAY(String)
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        return lambda value: None if value is None else pg_text_array(value)


def _in_ids(session: Session, column: Any, ids: list[str]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as ``= ANY(:array)``, one parameter however many ids
    (a long IN list costs more to render and parse than the query itself)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=IdArray()))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]


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
) -> ColumnElement[bool]:
    """Leads whose enterprise satisfies ``ent_cond`` or whose station satisfies
    ``station_cond``, as conditions on the leads table alone (no row-multiplying join), so
    that counts can use the leads indexes. ``cache_key``: what the two conditions depend
    on, if their id lists may be reused (:func:`_region_ids`)."""
    parts: list[ColumnElement[bool]] = []
    ids, stations = _region_ids(session, ent_cond, station_cond, cache_key)
    if ent_cond is not None:
        if ids is not None:
            if ids:
                parts.append(_in_ids(session, Lead.enterprise_id, ids))
        else:
            sub = select(Enterprise.enterprise_id).where(ent_cond)
            parts.append(Lead.enterprise_id.in_(sub))
    if station_cond is not None and stations:
        parts.append(
            and_(
                _in_ids(session, Lead.subject_id, stations),
                Lead.subject_type == "station",
                Lead.enterprise_id.is_(None),
            )
        )
    if not parts:
        return false()
    return parts[0] if len(parts) == 1 else or_(*parts)


def _lead_scope(session: Session, user: User) -> ColumnElement[bool]:
    """Leads in ``user``'s scope: through their enterprise, or (station leads) their station."""
    if user.role == "admin":
        return true()
    if user.role == "enterprise":
        return scope_clause(user, enterprise_id=Lead.enterprise_id)
    if user.role == "work_group" and not (user.province or user.city):
        return true()
    station: ColumnElement[bool] | None = scope_clause(
        user, city=Station.city, district=Station.district
    )
    if user.role == "work_group" and user.province:
        station = None  # stations carry no province code
    key = ("scope", user.role, user.enterprise_id, user.province, user.city, user.district)
    return _lead_region_clause(
        session, enterprise_scope_clause(user, Enterprise), station, cache_key=key
    )


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
    session: Session, user: User, f: LeadFilters
) -> tuple[list[ColumnElement[bool]], bool]:
    """WHERE conditions of the inbox over ``leads`` alone, and whether the case tables are
    needed (status filter)."""
    conds: list[ColumnElement[bool]] = [_lead_scope(session, user)]
    needs_case = False
    if f.city or f.district:
        ec: list[ColumnElement[bool]] = []
        sc: list[ColumnElement[bool]] = []
        if f.city:
            ec.append(Enterprise.city == f.city)
            sc.append(Station.city == f.city)
        if f.district:
            ec.append(Enterprise.district == f.district)
            sc.append(Station.district == f.district)
        conds.append(
            _lead_region_clause(
                session, and_(*ec), and_(*sc), cache_key=("region", f.city, f.district)
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
            alts.append(_in_ids(session, Lead.enterprise_id, ent_ids))
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


def _count_key(session: Session, user: User, f: LeadFilters) -> tuple[Any, ...]:
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
    stmt = (
        select(
            Lead.lead_id,
            Lead.rule,
            Lead.family,
            Lead.enterprise_id,
            Enterprise.name.label("enterprise_name"),
            func.coalesce(Enterprise.city, st.city).label("city"),
            func.coalesce(Enterprise.district, st.district).label("district"),
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
        .outerjoin(CaseLead, CaseLead.lead_id == Lead.lead_id)
        .outerjoin(Case, Case.case_id == CaseLead.case_id)
    )
    names = [c.key for c in stmt.selected_columns]
    if names != [f.name for f in fields(LeadRow)]:  # rows become LeadRow positionally
        raise RuntimeError(f"inbox columns {names} do not match LeadRow")
    return stmt


def list_leads(session: Session, user: User, filters: LeadFilters | None = None) -> Page[LeadRow]:
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


def get_lead(session: Session, user: User, lead_id: str) -> LeadDetail:
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


# --------------------------------------------------------------------------- cases


@dataclass
class CaseFilters:
    """Filters of the case list; ``overdue`` = deadline passed in a deadline state."""

    status: str | Sequence[str] | None = None
    city: str | None = None
    district: str | None = None
    enterprise_id: str | None = None
    assignee_id: int | None = None
    fix_path: str | None = None
    family: str | None = None
    overdue: bool | None = None
    escalated: bool | None = None
    open_only: bool = False
    sort: str = "-updated_at"
    limit: int = 50
    offset: int = 0


CASE_SORTS: dict[str, Any] = {
    "updated_at": Case.updated_at,
    "created_at": Case.created_at,
    "deadline": Case.deadline,
    "rectify_deadline": Case.rectify_deadline,
    "severity": Case.severity,
    "closed_at": Case.closed_at,
    "case_id": Case.case_id,
}


@dataclass
class CaseRow:
    """One line of a case list or of the ledger."""

    case_id: int
    status: str
    title: str
    enterprise_id: str | None
    enterprise_name: str | None
    city: str | None
    district: str | None
    rule: str
    family: str
    severity: int
    fix_path: str | None
    finding: str | None
    assignee_id: int | None
    assignee_name: str | None
    created_at: datetime
    dispatched_at: datetime | None
    deadline: datetime | None
    rectify_deadline: datetime | None
    closed_at: datetime | None
    escalation_level: int
    reopen_count: int
    updated_at: datetime
    overdue_days: float | None = None


def _overdue_clause(now: datetime) -> ColumnElement[bool]:
    return or_(
        *[and_(Case.status == s, getattr(Case, c) < now) for s, c in DEADLINE_STATES.items()]
    )


def _overdue_days(row: CaseRow, now: datetime) -> float | None:
    col = DEADLINE_STATES.get(row.status)
    deadline: datetime | None = getattr(row, col) if col else None
    if deadline is None or deadline >= now:
        return None
    return round((now - deadline).total_seconds() / 86400.0, 1)


def _case_query(user: User, f: CaseFilters, now: datetime) -> tuple[Any, Any]:
    assignee = aliased(User)
    conds: list[ColumnElement[bool]] = [enterprise_scope_clause(user, Case)]
    if (sts := _many(f.status)) is not None:
        conds.append(Case.status.in_(sts))
    if f.open_only:
        conds.append(Case.status.in_(OPEN_STATES))
    if f.city:
        conds.append(Case.city == f.city)
    if f.district:
        conds.append(Case.district == f.district)
    if f.enterprise_id:
        conds.append(Case.enterprise_id == f.enterprise_id)
    if f.assignee_id is not None:
        conds.append(Case.assignee_id == f.assignee_id)
    if f.fix_path:
        conds.append(Case.fix_path == f.fix_path)
    if f.family:
        conds.append(Case.family == f.family)
    if f.overdue is not None:
        ov = _overdue_clause(now)
        conds.append(ov if f.overdue else ~ov)
    if f.escalated is not None:
        conds.append(Case.escalation_level > 0 if f.escalated else Case.escalation_level == 0)
    stmt = (
        select(
            Case.case_id,
            Case.status,
            Case.title,
            Case.enterprise_id,
            Enterprise.name.label("enterprise_name"),
            Case.city,
            Case.district,
            Case.rule,
            Case.family,
            Case.severity,
            Case.fix_path,
            Case.finding,
            Case.assignee_id,
            assignee.display_name.label("assignee_name"),
            Case.created_at,
            Case.dispatched_at,
            Case.deadline,
            Case.rectify_deadline,
            Case.closed_at,
            Case.escalation_level,
            Case.reopen_count,
            Case.updated_at,
        )
        .select_from(Case)
        .outerjoin(Enterprise, Enterprise.enterprise_id == Case.enterprise_id)
        .outerjoin(assignee, assignee.user_id == Case.assignee_id)
        .where(*conds)
    )
    count = select(func.count()).select_from(Case).where(*conds)
    return stmt, count


def list_cases(
    session: Session, user: User, filters: CaseFilters | None = None, *, now: datetime | None = None
) -> Page[CaseRow]:
    """Cases in scope, filtered, sorted and paged (two SQL statements)."""
    f = filters or CaseFilters()
    now = to_cst(now) if now else now_cst()
    key = f.sort.lstrip("-")
    if key not in CASE_SORTS:
        raise ValidationError(f"sort must be one of {sorted(CASE_SORTS)}", field="sort")
    col = CASE_SORTS[key]
    limit = max(1, min(int(f.limit), 5000))
    offset = max(0, int(f.offset))
    stmt, count = _case_query(user, f, now)
    order = col.desc() if f.sort.startswith("-") else col.asc()
    stmt = stmt.order_by(order, Case.case_id.desc()).limit(limit).offset(offset)
    rows = [CaseRow(**r._asdict()) for r in session.execute(stmt)]
    for r in rows:
        r.overdue_days = _overdue_days(r, now)
    return Page(rows, int(session.scalar(count) or 0), limit, offset)


def ledger(
    session: Session,
    user: User,
    *,
    supervision_only: bool = True,
    open_only: bool = False,
    overdue_only: bool = False,
    city: str | None = None,
    district: str | None = None,
    now: datetime | None = None,
    limit: int = 5000,
) -> list[CaseRow]:
    """督办台账 (拉条挂账): confirmed problems tracked until close-out.

    ``supervision_only`` keeps 督办 cases; otherwise every case with a chosen fix path
    (立行立改 too). Sorted by rectification deadline, oldest first.
    """
    now = to_cst(now) if now else now_cst()
    f = CaseFilters(
        fix_path="supervision_order" if supervision_only else None,
        open_only=open_only,
        overdue=True if overdue_only else None,
        city=city,
        district=district,
    )
    stmt, _count = _case_query(user, f, now)
    if not supervision_only:
        stmt = stmt.where(Case.fix_path.is_not(None))
    stmt = stmt.order_by(Case.rectify_deadline.asc().nulls_last(), Case.case_id).limit(limit)
    rows = [CaseRow(**r._asdict()) for r in session.execute(stmt)]
    for r in rows:
        r.overdue_days = _overdue_days(r, now)
    return rows


@dataclass
class CaseDetail:
    """Everything the case page shows."""

    case: Case
    enterprise: Enterprise | None
    leads: list[Lead]
    events: Sequence[tuple[CaseEvent, str | None]]
    checks: list[CheckRecord]
    attachments: list[Attachment]
    notices: list[Notice]
    spot_checks: list[SpotCheck]
    assignee: User | None
    actions: list[Transition]


def get_case(session: Session, user: User, case_id: int) -> CaseDetail:
    """One case in scope with its leads, timeline (event, actor name), checks and files."""
    c = load_case(session, user, case_id)
    ent = session.get(Enterprise, c.enterprise_id) if c.enterprise_id else None
    leads = list(
        session.scalars(
            select(Lead)
            .join(CaseLead, CaseLead.lead_id == Lead.lead_id)
            .where(CaseLead.case_id == case_id)
            .order_by(Lead.start)
        )
    )
    events = [
        (ev, name)
        for ev, name in session.execute(
            select(CaseEvent, User.display_name)
            .outerjoin(User, User.user_id == CaseEvent.actor_id)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.at, CaseEvent.event_id)
        )
    ]
    checks = list(
        session.scalars(
            select(CheckRecord)
            .where(CheckRecord.case_id == case_id)
            .order_by(CheckRecord.checked_at)
        )
    )
    atts = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case_id)
            .order_by(Attachment.attachment_id)
        )
    )
    notices = list(session.scalars(select(Notice).where(Notice.case_id == case_id)))
    spots = list(session.scalars(select(SpotCheck).where(SpotCheck.case_id == case_id)))
    assignee = session.get(User, c.assignee_id) if c.assignee_id else None
    return CaseDetail(
        c, ent, leads, events, checks, atts, notices, spots, assignee, allowed_actions(user, c)
    )


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class RulePrecision:
    """Outcome counts of one rule's leads; ``precision = confirmed / (confirmed + fp)``.

    ``wilson_low`` is the lower bound of the 95 % Wilson score interval of the precision.

    References
    ----------
    .. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical
           inference", J. Am. Stat. Assoc. 22 (1927) 209-212.
    """

    rule: str
    leads: int
    judged: int
    confirmed: int
    false_positive: int
    precision: float | None
    wilson_low: float | None


def _wilson_low(k: int, n: int, z: float = 1.959964) -> float | None:
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def rule_precision(session: Session, user: User | None = None) -> list[RulePrecision]:
    """Per-rule precision from officers' judgements (``Lead.outcome``), one row per rule.

    Leads not yet judged count in ``leads`` only. With ``user`` the leads are limited to
    the user's scope; without, all leads (for ``lantian rules stats``).
    """
    stmt = (
        select(
            Lead.rule,
            func.count().label("n"),
            func.sum(case((Lead.outcome == "confirmed", 1), else_=0)).label("tp"),
            func.sum(case((Lead.outcome == "false_positive", 1), else_=0)).label("fp"),
        )
        .group_by(Lead.rule)
        .order_by(Lead.rule)
    )
    if user is not None and user.role != "admin":
        stmt = stmt.where(_lead_scope(session, user))
    out: list[RulePrecision] = []
    for rule, n, tp, fp in session.execute(stmt):
        tp, fp = int(tp or 0), int(fp or 0)
        judged = tp + fp
        out.append(
            RulePrecision(
                rule=rule,
                leads=int(n),
                judged=judged,
                confirmed=tp,
                false_positive=fp,
                precision=(tp / judged) if judged else None,
                wilson_low=_wilson_low(tp, judged),
            )
        )
    return out


def _week_start(session: Session, col: Any) -> Any:
    """SQL expression: Monday (CST) of the week of ``col`` as a 'YYYY-MM-DD' string."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone("Asia/Shanghai", col)
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    return func.date(col, "+8 hours", "weekday 0", "-6 days")


@dataclass
class Dashboard:
    """Figures of the home page (all within the user's scope)."""

    leads_total: int
    leads_by_family: dict[str, int]
    leads_by_status: dict[str, int]
    leads_by_city: dict[str, int]
    leads_by_district: dict[str, int]
    cases_by_status: dict[str, int]
    immediate_fix: int
    supervision_order: int
    immediate_fix_share: float | None
    open_cases: int
    overdue: int
    escalated: int
    closed: int
    precision: list[RulePrecision]
    weekly_leads: list[tuple[str, int]]
    weekly_closed: list[tuple[str, int]]


def dashboard(
    session: Session, user: User, *, now: datetime | None = None, weeks: int = 12
) -> Dashboard:
    """Counts by family/status/region, 立行立改 share, overdue, precision and weekly trends."""
    now = to_cst(now) if now else now_cst()
    st = aliased(Station)
    scope = _lead_scope(session, user)
    status_col = func.coalesce(Case.status, "new")

    def lead_base(*cols: Any) -> Any:
        return (
            select(*cols)
            .select_from(Lead)
            .outerjoin(Enterprise, Enterprise.enterprise_id == Lead.enterprise_id)
            .outerjoin(st, and_(Lead.subject_type == "station", st.station_id == Lead.subject_id))
            .where(scope)
        )

    def grouped(key: Any, with_case: bool = False) -> dict[str, int]:
        stmt = lead_base(key.label("k"), func.count().label("n"))
        if with_case:
            stmt = stmt.outerjoin(CaseLead, CaseLead.lead_id == Lead.lead_id).outerjoin(
                Case, Case.case_id == CaseLead.case_id
            )
        stmt = stmt.group_by(key)
        return {str(k) if k is not None else "": int(n) for k, n in session.execute(stmt)}

    by_family = grouped(Lead.family)
    by_status = grouped(status_col, with_case=True)
    by_city = grouped(func.coalesce(Enterprise.city, st.city))
    by_district = grouped(func.coalesce(Enterprise.district, st.district))
    cscope = enterprise_scope_clause(user, Case)
    cases_by_status = {
        str(k): int(n)
        for k, n in session.execute(
            select(Case.status, func.count()).where(cscope).group_by(Case.status)
        )
    }
    paths = {
        str(k): int(n)
        for k, n in session.execute(
            select(Case.fix_path, func.count())
            .where(cscope, Case.fix_path.is_not(None))
            .group_by(Case.fix_path)
        )
    }
    imm, sup = paths.get("immediate_fix", 0), paths.get("supervision_order", 0)
    overdue = (
        session.scalar(select(func.count()).select_from(Case).where(cscope, _overdue_clause(now)))
        or 0
    )
    escalated = (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(cscope, Case.status.in_(OPEN_STATES), Case.escalation_level > 0)
        )
        or 0
    )
    since = now - timedelta(weeks=weeks)
    wk = _week_start(session, Lead.detected_at)
    weekly_leads = [
        (str(k), int(n))
        for k, n in session.execute(
            lead_base(wk.label("w"), func.count())
            .where(Lead.detected_at >= since)
            .group_by(wk)
            .order_by(wk)
        )
    ]
    wc = _week_start(session, Case.closed_at)
    weekly_closed = [
        (str(k), int(n))
        for k, n in session.execute(
            select(wc.label("w"), func.count())
            .where(cscope, Case.status == "closed", Case.closed_at >= since)
            .group_by(wc)
            .order_by(wc)
        )
    ]
    open_cases = sum(v for k, v in cases_by_status.items() if k in OPEN_STATES)
    return Dashboard(
        leads_total=sum(by_family.values()),
        leads_by_family=by_family,
        leads_by_status=by_status,
        leads_by_city=by_city,
        leads_by_district=by_district,
        cases_by_status=cases_by_status,
        immediate_fix=imm,
        supervision_order=sup,
        immediate_fix_share=(imm / (imm + sup)) if (imm + sup) else None,
        open_cases=open_cases,
        overdue=int(overdue),
        escalated=int(escalated),
        closed=cases_by_status.get("closed", 0),
        precision=rule_precision(session, user),
        weekly_leads=weekly_leads,
        weekly_closed=weekly_closed,
    )


# --------------------------------------------------------------------------- enterprises


@dataclass
class EnterpriseFilters:
    """Filters of the enterprise list."""

    q: str | None = None
    city: str | None = None
    district: str | None = None
    industry: str | None = None
    grade: str | None = None
    positive_list: bool | None = None
    limit: int = 50
    offset: int = 0


def list_enterprises(
    session: Session, user: User, filters: EnterpriseFilters | None = None
) -> Page[Enterprise]:
    """Enterprises in scope, by name."""
    f = filters or EnterpriseFilters()
    conds: list[ColumnElement[bool]] = [enterprise_scope_clause(user, Enterprise)]
    if f.q:
        p = f"%{f.q.strip()}%"
        conds.append(
            or_(
                Enterprise.name.ilike(p),
                Enterprise.credit_code == f.q.strip(),
                Enterprise.enterprise_id == f.q.strip(),
            )
        )
    for col, val in (
        (Enterprise.city, f.city),
        (Enterprise.district, f.district),
        (Enterprise.industry, f.industry),
        (Enterprise.grade, f.grade),
    ):
        if val:
            conds.append(col == val)
    if f.positive_list is not None:
        conds.append(Enterprise.positive_list.is_(f.positive_list))
    limit = max(1, min(int(f.limit), 5000))
    rows = list(
        session.scalars(
            select(Enterprise)
            .where(*conds)
            .order_by(Enterprise.name, Enterprise.enterprise_id)
            .limit(limit)
            .offset(max(0, f.offset))
        )
    )
    total = session.scalar(select(func.count()).select_from(Enterprise).where(*conds)) or 0
    return Page(rows, int(total), limit, max(0, f.offset))


@dataclass
class EnterpriseProfile:
    """An enterprise's page: registry data, lead and case history, notices, checks."""

    enterprise: Enterprise
    outlets: int
    lines: int
    leads_by_family: dict[str, int]
    leads_total: int
    confirmed: int
    false_positive: int
    cases: list[CaseRow]
    notices: list[Notice]
    recent_checks: list[CheckRecord]
    recent_leads: list[Lead]


def enterprise_profile(
    session: Session, user: User, enterprise_id: str, *, now: datetime | None = None
) -> EnterpriseProfile:
    """Profile and history of one enterprise in scope (:class:`NotFound` otherwise)."""
    ent = session.get(Enterprise, enterprise_id)
    if ent is None or not can_access_enterprise(user, ent):
        raise NotFound(f"enterprise {enterprise_id} not found")
    fam = {
        str(k): int(n)
        for k, n in session.execute(
            select(Lead.family, func.count())
            .where(Lead.enterprise_id == enterprise_id)
            .group_by(Lead.family)
        )
    }
    outcomes = {
        str(k): int(n)
        for k, n in session.execute(
            select(Lead.outcome, func.count())
            .where(Lead.enterprise_id == enterprise_id, Lead.outcome.is_not(None))
            .group_by(Lead.outcome)
        )
    }
    cases = list_cases(
        session, user, CaseFilters(enterprise_id=enterprise_id, limit=500), now=now
    ).rows
    notices = list(
        session.scalars(
            select(Notice)
            .where(Notice.enterprise_id == enterprise_id)
            .order_by(Notice.issued_at.desc())
        )
    )
    checks = list(
        session.scalars(
            select(CheckRecord)
            .join(Case, Case.case_id == CheckRecord.case_id)
            .where(Case.enterprise_id == enterprise_id)
            .order_by(CheckRecord.checked_at.desc())
            .limit(20)
        )
    )
    recent = list(
        session.scalars(
            select(Lead)
            .where(Lead.enterprise_id == enterprise_id)
            .order_by(Lead.start.desc())
            .limit(20)
        )
    )
    n_out = (
        session.scalar(
            select(func.count()).select_from(Outlet).where(Outlet.enterprise_id == enterprise_id)
        )
        or 0
    )
    n_lines = (
        session.scalar(
            select(func.count()).select_from(Line).where(Line.enterprise_id == enterprise_id)
        )
        or 0
    )
    return EnterpriseProfile(
        enterprise=ent,
        outlets=int(n_out),
        lines=int(n_lines),
        leads_by_family=fam,
        leads_total=sum(fam.values()),
        confirmed=outcomes.get("confirmed", 0),
        false_positive=outcomes.get("false_positive", 0),
        cases=cases,
        notices=notices,
        recent_checks=checks,
        recent_leads=recent,
    )


def list_notices(
    session: Session, user: User, *, enterprise_id: str | None = None, kind: str | None = None
) -> list[Notice]:
    """Notices to enterprises in scope (an enterprise sees its own)."""
    stmt = (
        select(Notice)
        .join(Enterprise, Enterprise.enterprise_id == Notice.enterprise_id)
        .where(enterprise_scope_clause(user, Enterprise))
    )
    if enterprise_id:
        stmt = stmt.where(Notice.enterprise_id == enterprise_id)
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    return list(session.scalars(stmt.order_by(Notice.issued_at.desc())))


__all__ = [
    "CaseDetail",
    "CaseFilters",
    "CaseRow",
    "Dashboard",
    "EnterpriseFilters",
    "EnterpriseProfile",
    "LeadDetail",
    "LeadFilters",
    "LeadRow",
    "Page",
    "RulePrecision",
    "dashboard",
    "enterprise_profile",
    "get_case",
    "get_lead",
    "ledger",
    "list_cases",
    "list_enterprises",
    "list_leads",
    "list_notices",
    "rule_precision",
]


@dataclass(frozen=True)
class SpotCheckRow:
    """One spot check (抽查复核) with its case, for the spot-check page and API."""

    spot_check: SpotCheck
    case_id: int
    case_title: str
    enterprise_id: str | None
    city: str | None
    district: str | None
    closed_at: datetime | None
    drawn_at: datetime


def list_spot_checks(
    session: Session, user: User, *, result: str | None = None, limit: int = 200
) -> list[SpotCheckRow]:
    """Spot checks of cases in ``user``'s scope, pending first, newest draw first (1 SQL)."""
    if user.role == "enterprise":
        return []
    stmt = (
        select(
            SpotCheck,
            Case.case_id,
            Case.title,
            Case.enterprise_id,
            Case.city,
            Case.district,
            Case.closed_at,
            SpotCheckDraw.drawn_at,
        )
        .join(Case, Case.case_id == SpotCheck.case_id)
        .join(SpotCheckDraw, SpotCheckDraw.draw_id == SpotCheck.draw_id)
        .where(enterprise_scope_clause(user, Case))
    )
    if result is not None:
        stmt = stmt.where(SpotCheck.result == result)
    stmt = stmt.order_by(
        case((SpotCheck.result == "pending", 0), else_=1),
        SpotCheckDraw.drawn_at.desc(),
        SpotCheck.spot_check_id,
    ).limit(limit)
    return [SpotCheckRow(*row) for row in session.execute(stmt)]
