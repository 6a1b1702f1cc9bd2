"""Reads of the self-check service (nothing here writes).

Registry facts for the applicability conditions, lists in the user's scope
(:mod:`lantian.auth.visibility`), the latest failure share per enterprise (a risk input,
:mod:`lantian.supervision.risk`), the enterprises due for a scheduled self-check, and the
count of reviewed self-checks for work-group scoring (:func:`reviewed_count`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lantian.assist.selfchecks.conditions import RegistryFacts
from lantian.assist.selfchecks.models import AssistFile, SelfCheck, SelfCheckFinding
from lantian.auth.models import User
from lantian.auth.visibility import load_visible, visible
from lantian.registry.models import Enterprise, Measure, Meter, Outlet


def registry_facts(session: Session, enterprise_ids: Iterable[str]) -> dict[str, RegistryFacts]:
    """The condition facts of each enterprise of ``enterprise_ids`` that exists."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    ents = session.execute(
        select(
            Enterprise.enterprise_id,
            Enterprise.industry,
            Enterprise.grade,
            Enterprise.positive_list,
        ).where(Enterprise.enterprise_id.in_(ids))
    ).all()
    outlets: dict[str, tuple[int, int]] = {
        eid: (int(n), int(o2 or 0))
        for eid, n, o2 in session.execute(
            select(
                Outlet.enterprise_id,
                func.count(),
                func.count(Outlet.o2_ref_pct),
            )
            .where(Outlet.enterprise_id.in_(ids))
            .group_by(Outlet.enterprise_id)
        )
    }
    roles: dict[str, set[str]] = {}
    for eid, role in session.execute(
        select(Meter.enterprise_id, Meter.role).where(Meter.enterprise_id.in_(ids)).distinct()
    ):
        roles.setdefault(eid, set()).add(role)
    measures = set(
        session.scalars(select(Measure.enterprise_id).where(Measure.enterprise_id.in_(ids)))
    )
    return {
        e.enterprise_id: RegistryFacts(
            enterprise_id=e.enterprise_id,
            industry=e.industry,
            grade=e.grade,
            outlets=outlets.get(e.enterprise_id, (0, 0))[0],
            o2_corrected=outlets.get(e.enterprise_id, (0, 0))[1] > 0,
            has_treatment_meter="treatment" in roles.get(e.enterprise_id, set()),
            has_production_meter="production" in roles.get(e.enterprise_id, set()),
            has_emergency_measures=e.enterprise_id in measures,
            positive_list=bool(e.positive_list),
        )
        for e in ents
    }


@dataclass(frozen=True)
class SelfCheckRow:
    """A self-check in a list, with its enterprise's name and its finding counts."""

    self_check: SelfCheck
    enterprise_name: str
    findings_open: int
    findings: int


def list_self_checks(
    session: Session,
    user: User,
    *,
    enterprise_id: str | None = None,
    status: str | None = None,
    include_drafts: bool = False,
    limit: int = 500,
) -> list[SelfCheckRow]:
    """Self-checks in ``user``'s scope, newest first.

    Officers see submitted and reviewed ones (drafts are the enterprise's work in
    progress); the enterprise sees its own, drafts included when asked.
    """
    q = (
        select(SelfCheck, Enterprise.name)
        .join(Enterprise, Enterprise.enterprise_id == SelfCheck.enterprise_id)
        .where(visible(user, "self_check", session=session))
    )
    if enterprise_id:
        q = q.where(SelfCheck.enterprise_id == enterprise_id)
    if status:
        q = q.where(SelfCheck.status == status)
    elif not (include_drafts and user.role == "enterprise"):
        q = q.where(SelfCheck.status != "draft")
    rows = session.execute(
        q.order_by(SelfCheck.updated_at.desc(), SelfCheck.self_check_id.desc()).limit(limit)
    ).all()
    ids = [r[0].self_check_id for r in rows]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        for sid, n, n_open in session.execute(
            select(
                SelfCheckFinding.self_check_id,
                func.count(),
                func.sum(case((SelfCheckFinding.status == "open", 1), else_=0)),
            )
            .where(SelfCheckFinding.self_check_id.in_(ids))
            .group_by(SelfCheckFinding.self_check_id)
        ):
            counts[sid] = (int(n), int(n_open or 0))
    return [
        SelfCheckRow(
            sc,
            name,
            counts.get(sc.self_check_id, (0, 0))[1],
            counts.get(sc.self_check_id, (0, 0))[0],
        )
        for sc, name in rows
    ]


def get_self_check(session: Session, user: User, self_check_id: int) -> SelfCheck:
    """One self-check in ``user``'s scope (:class:`~lantian.auth.errors.NotFound` else);
    a draft only for its enterprise (officers see what was submitted)."""
    sc: SelfCheck = load_visible(session, user, "self_check", self_check_id, what="self-check")
    if sc.status == "draft" and user.role != "enterprise":
        from lantian.auth.errors import NotFound

        raise NotFound(f"self-check {self_check_id} not found")
    return sc


def findings_of(session: Session, self_check_id: int) -> list[SelfCheckFinding]:
    """The findings of a self-check (caller checked the self-check's visibility)."""
    return list(
        session.scalars(
            select(SelfCheckFinding)
            .where(SelfCheckFinding.self_check_id == self_check_id)
            .order_by(SelfCheckFinding.finding_id)
        )
    )


def files_of(session: Session, self_check_id: int) -> dict[str, list[AssistFile]]:
    """The photos of a self-check by item id (caller checked visibility)."""
    out: dict[str, list[AssistFile]] = {}
    for f in session.scalars(
        select(AssistFile)
        .where(AssistFile.self_check_id == self_check_id)
        .order_by(AssistFile.file_id)
    ):
        out.setdefault(f.item_id or "", []).append(f)
    return out


def open_findings(session: Session, user: User, enterprise_id: str) -> list[SelfCheckFinding]:
    """Open self-check findings of an enterprise in ``user``'s scope, by fix-by date."""
    return list(
        session.scalars(
            select(SelfCheckFinding)
            .where(
                visible(user, "self_check_finding", session=session),
                SelfCheckFinding.enterprise_id == enterprise_id,
                SelfCheckFinding.status == "open",
            )
            .order_by(SelfCheckFinding.fix_by, SelfCheckFinding.finding_id)
        )
    )


def latest_fail_shares(session: Session, enterprise_ids: Iterable[str]) -> dict[str, float]:
    """The failure share of each enterprise's latest submitted self-check (a risk input).

    Enterprises without a submitted self-check are absent (no result, not 0).
    """
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    latest = (
        select(SelfCheck.enterprise_id, func.max(SelfCheck.submitted_at).label("at"))
        .where(SelfCheck.enterprise_id.in_(ids), SelfCheck.submitted_at.is_not(None))
        .group_by(SelfCheck.enterprise_id)
        .subquery()
    )
    rows = session.execute(
        select(SelfCheck.enterprise_id, SelfCheck.fail_share, SelfCheck.self_check_id)
        .join(
            latest,
            (latest.c.enterprise_id == SelfCheck.enterprise_id)
            & (latest.c.at == SelfCheck.submitted_at),
        )
        .order_by(SelfCheck.self_check_id)
    ).all()
    return {eid: float(share) for eid, share, _id in rows if share is not None}


def last_submitted(session: Session, enterprise_id: str) -> dt.datetime | None:
    """When the enterprise last submitted a self-check."""
    return session.scalar(
        select(func.max(SelfCheck.submitted_at)).where(SelfCheck.enterprise_id == enterprise_id)
    )


def next_due(
    session: Session, enterprise_id: str, *, interval_days: int, now: dt.datetime
) -> dt.date:
    """The day the next scheduled self-check is due (today when none was ever submitted)."""
    last = last_submitted(session, enterprise_id)
    if last is None:
        return now.date()
    return (last + dt.timedelta(days=interval_days)).date()


def reviewed_count(
    session: Session, officer_ids: frozenset[int], start: dt.datetime, end: dt.datetime
) -> float:
    """Self-checks reviewed by ``officer_ids`` in ``[start, end)`` (work-group scoring)."""
    if not officer_ids:
        return 0.0
    n = session.scalar(
        select(func.count())
        .select_from(SelfCheck)
        .where(
            SelfCheck.reviewed_by.in_(sorted(officer_ids)),
            SelfCheck.reviewed_at >= start,
            SelfCheck.reviewed_at < end,
        )
    )
    return float(n or 0)


def due_enterprises(
    session: Session, user: User, *, interval_days: int, now: dt.datetime, limit: int = 200
) -> list[tuple[str, str, dt.datetime | None]]:
    """Enterprises in ``user``'s scope due for a scheduled self-check: none submitted, or
    the last one ``interval_days`` old or more. ``(id, name, last submitted)``, oldest first."""
    last = (
        select(SelfCheck.enterprise_id, func.max(SelfCheck.submitted_at).label("at"))
        .group_by(SelfCheck.enterprise_id)
        .subquery()
    )
    cutoff = now - dt.timedelta(days=interval_days)
    rows = session.execute(
        select(Enterprise.enterprise_id, Enterprise.name, last.c.at)
        .join(last, last.c.enterprise_id == Enterprise.enterprise_id, isouter=True)
        .where(
            visible(user, "enterprise", session=session),
            (last.c.at.is_(None)) | (last.c.at <= cutoff),
        )
        .order_by(last.c.at.is_not(None), last.c.at, Enterprise.enterprise_id)
        .limit(limit)
    ).all()
    return [(str(eid), str(name), at) for eid, name, at in rows]
