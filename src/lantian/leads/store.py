"""Storage of leads: merge the episodes of a detection run into table ``leads``.

Rules produce candidate episodes (:class:`lantian.rules.engine.LeadRecord`); this module
decides what is stored. A run judges a *scope* (:class:`JudgedScope`): per enterprise and
per ambient station the hours it re-read. Inside that scope the run's episodes are the
truth:

* an episode that overlaps a stored lead of the same rule, subject and pollutant updates
  that lead (same ``lead_id``; late hours that extend it move its end, hours that fill a
  gap bridge two stored leads into one: the later ones are withdrawn as merged);
* an episode without a stored lead is a new lead;
* a stored lead the run should have seen again but did not (its basis disappeared, e.g. a
  MISSING lead for hours that were only delayed) is **withdrawn** (status ``withdrawn``,
  audited) unless a case holds it or it has an outcome;
* a **judged lead is frozen**: once it has an outcome or belongs to a case, a run does not
  rewrite its window, summary, evidence or severity; a different view of its episode is
  recorded as a new evidence version (:class:`lantian.leads.models.LeadVersion`,
  :func:`lead_versions`).

Episodes at the edge of the re-read hours may be clipped (data before or after were not
read): there a lead only grows, and nothing is withdrawn within ``edge`` of such an edge.
Every merge is audited (one record per run with the counts; one per withdrawal and per
evidence version).

References
----------
.. [1] Exchange formats v1, "Leads": one lead per episode.
.. [2] HJ 212-2017 §6.3 (补发: a data logger re-sends hours after a communication fault, so
   hours arrive late and out of order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit
from lantian.leads.models import Lead, LeadVersion
from lantian.timeutil import now_cst

Window = tuple[datetime, datetime]

CLONED_RULE = "CEMS-CLONED"


@dataclass
class JudgedScope:
    """What one detection run re-read, hence may decide about.

    Parameters
    ----------
    enterprises
        Enterprise id → ``[lo, hi)`` hours re-read for all its outlets and meters.
    stations
        Station id → ``[lo, hi)`` hours re-read (ambient).
    data_first
        Start of the oldest data in the lake (None: unknown); a window starting at or
        before it cannot have clipped an episode.
    horizon
        End of the newest judgeable data; a window ending at or after it cannot have
        clipped an episode.
    edge
        Within this distance of a clipping edge leads only grow and are never withdrawn.
    """

    enterprises: dict[str, Window] = field(default_factory=dict)
    stations: dict[str, Window] = field(default_factory=dict)
    grids: dict[str, Window] = field(default_factory=dict)
    """Grid id → ``[lo, hi)`` hours re-read (v2 clue layers: grid-subject leads)."""
    data_first: datetime | None = None
    horizon: datetime | None = None
    edge: timedelta = timedelta(hours=24)
    rules: frozenset[str] | None = None
    """Rule codes the run executed (None: every rule). Leads of other rules, and those the
    gateway stores itself (``DATA_REWRITE``, ``CLOCK_ANOMALY``: :mod:`lantian.leads.device`),
    are never judged by the run, so a run cannot withdraw them."""

    def window(
        self,
        rule: str,
        subject_type: str,
        subject_id: str,
        enterprise_id: str | None,
        evidence: dict[str, Any] | None,
    ) -> Window | None:
        """The judged window of a lead's subject, or None when the run did not judge it."""
        if self.rules is not None and rule not in self.rules:
            return None
        if subject_type == "station":
            return self.stations.get(subject_id)
        if subject_type == "grid":
            return self.grids.get(subject_id)
        if enterprise_id is not None and enterprise_id in self.enterprises:
            return self.enterprises[enterprise_id]
        if rule == CLONED_RULE and evidence:
            other = evidence.get("other_enterprise_id")
            if isinstance(other, str) and other in self.enterprises:
                return self.enterprises[other]
        return None

    def left_clipped(self, lo: datetime) -> bool:
        """True if data before ``lo`` exist that the run did not read."""
        return self.data_first is None or lo > self.data_first

    def right_clipped(self, hi: datetime) -> bool:
        """True if data after ``hi`` exist that the run did not read."""
        return self.horizon is not None and hi < self.horizon

    def bounds(self) -> Window | None:
        """Hull of every judged window."""
        spans = [*self.enterprises.values(), *self.stations.values(), *self.grids.values()]
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)


@dataclass
class MergeStats:
    """Outcome of :func:`merge_episodes`."""

    new: int = 0
    extended: int = 0
    """Leads whose window changed (grew, or a clipped view was corrected)."""
    unchanged: int = 0
    withdrawn: int = 0
    versioned: int = 0
    """Frozen leads that got a new evidence version."""
    kept_frozen: int = 0
    """Frozen leads whose basis vanished: kept (a case or an outcome holds them)."""
    closed: int = 0
    lead_ids: list[str] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)
    extended_ids: list[str] = field(default_factory=list)
    withdrawn_ids: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counters (for the audit record and the run report)."""
        return {
            "new": self.new,
            "extended": self.extended,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "versioned": self.versioned,
            "kept_frozen": self.kept_frozen,
            "closed": self.closed,
        }


def _key(rule: str, subject_type: str, subject_id: str, pollutant: str | None) -> tuple[str, ...]:
    return (rule, subject_type, subject_id, pollutant or "")


def frozen_ids(session: Session, lead_ids: Iterable[str]) -> set[str]:
    """Ids among ``lead_ids`` that are judged: they have an outcome or belong to a case."""
    from lantian.workflow.models import CaseLead

    ids = list(set(lead_ids))
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out.update(
            session.scalars(
                select(Lead.lead_id).where(Lead.lead_id.in_(chunk), Lead.outcome.is_not(None))
            )
        )
        out.update(session.scalars(select(CaseLead.lead_id).where(CaseLead.lead_id.in_(chunk))))
    return out


def _snapshot(lead: Lead) -> dict[str, Any]:
    return {
        "start": lead.start.isoformat(),
        "end": lead.end.isoformat(),
        "severity": lead.severity,
        "status": lead.status,
    }


def _record_version(
    session: Session, lead: Lead, rec: Any, start: datetime, end: datetime, run_id: int | None
) -> bool:
    """Store ``rec`` (window ``[start, end)``) as a new evidence version of frozen ``lead``.

    Returns False when the newest version already shows this window and severity.
    """
    versions = list(
        session.scalars(
            select(LeadVersion)
            .where(LeadVersion.lead_id == lead.lead_id)
            .order_by(LeadVersion.version)
        )
    )
    now = now_cst()
    if versions:
        last = versions[-1]
        if last.start == start and last.end == end and last.severity == int(rec.severity):
            return False
    elif lead.start == start and lead.end == end:
        return False
    if not versions:
        session.add(
            LeadVersion(
                lead_id=lead.lead_id,
                version=1,
                start=lead.start,
                end=lead.end,
                severity=lead.severity,
                score=lead.score,
                summary=lead.summary,
                evidence=dict(lead.evidence),
                run_id=None,
                recorded_at=lead.updated_at,
            )
        )
    number = (versions[-1].version if versions else 1) + 1
    evidence = dict(rec.evidence)
    evidence["window"] = {"start": start.isoformat(), "end": end.isoformat()}
    session.add(
        LeadVersion(
            lead_id=lead.lead_id,
            version=number,
            start=start,
            end=end,
            severity=int(rec.severity),
            score=float(rec.score),
            summary=rec.summary,
            evidence=evidence,
            run_id=run_id,
            recorded_at=now,
        )
    )
    audit(
        session,
        None,
        "lead_version",
        "lead",
        lead.lead_id,
        before=_snapshot(lead),
        after={"version": number, "start": start.isoformat(), "end": end.isoformat()},
        note=f"detection run {run_id}: judged lead kept, new evidence version {number}",
    )
    return True


def _withdraw(session: Session, lead: Lead, reason: str, run_id: int | None, now: datetime) -> None:
    before = _snapshot(lead)
    lead.status = "withdrawn"
    lead.open = False
    lead.withdrawn_at = now
    lead.withdrawn_reason = reason
    lead.updated_at = now
    audit(
        session,
        None,
        "withdraw_lead",
        "lead",
        lead.lead_id,
        before=before,
        after=_snapshot(lead),
        note=f"detection run {run_id}: {reason}",
    )


def merge_episodes(
    session: Session,
    episodes: Sequence[Any],
    scope: JudgedScope,
    *,
    gap: timedelta = timedelta(hours=2),
    run_id: int | None = None,
    now: datetime | None = None,
) -> MergeStats:
    """Store the episodes of one run within ``scope`` (see the module docstring).

    Parameters
    ----------
    session
        Session on the operational database (the caller commits).
    episodes
        :class:`lantian.rules.engine.LeadRecord` objects of the run; those outside the
        scope are ignored.
    scope
        What the run re-read.
    gap
        A lead stays ``open`` while its end is within ``gap`` of ``scope.horizon``; at a
        clipped edge an episode within ``gap`` of a stored lead continues it.
    run_id
        The detection run (audit).
    now
        Time stamp of the change (default: now).

    Returns
    -------
    MergeStats
        Counts of new, extended, unchanged, withdrawn and versioned leads.
    """
    now = now or now_cst()
    stats = MergeStats()
    span = scope.bounds()
    stored: dict[tuple[str, ...], list[Lead]] = defaultdict(list)
    windows: dict[str, Window] = {}
    if span is not None:
        lo_all, hi_all = span
        query = select(Lead).where(
            Lead.status == "active",
            and_(Lead.end >= lo_all - gap - scope.edge, Lead.start <= hi_all + gap),
        )
        for row in session.scalars(query):
            win = scope.window(
                row.rule, row.subject_type, row.subject_id, row.enterprise_id, row.evidence
            )
            if win is None:
                continue
            stored[_key(row.rule, row.subject_type, row.subject_id, row.pollutant)].append(row)
            windows[row.lead_id] = win
    frozen = frozen_ids(session, windows)
    matched: set[str] = set()
    for rec in sorted(episodes, key=lambda r: (r.start, r.rule, r.subject_id, r.lead_id)):
        win = scope.window(
            rec.rule, rec.subject_type, rec.subject_id, rec.enterprise_id, rec.evidence
        )
        if win is None:
            continue
        lo, hi = win
        start = datetime.fromisoformat(rec.start)
        end = datetime.fromisoformat(rec.end)
        if end <= lo or start >= hi:
            continue
        left_clip = scope.left_clipped(lo) and start < lo + scope.edge
        right_clip = scope.right_clipped(hi) and end > hi - scope.edge
        key = _key(rec.rule, rec.subject_type, rec.subject_id, rec.pollutant)
        near = [
            s
            for s in stored[key]
            if s.status == "active"
            and (
                (s.start < end and start < s.end)
                or (left_clip and s.end >= start - gap and s.start < end)
                or (right_clip and s.start <= end + gap and s.end > start)
            )
        ]
        if not near:
            _insert(session, rec, start, end, scope, gap, now, stats)
            continue
        primary = next((s for s in near if s.lead_id == rec.lead_id), None)
        if primary is None:
            primary = min(near, key=lambda s: (s.start, s.lead_id))
        others = [s for s in near if s is not primary]
        # at a clipped left edge the run did not see the episode's beginning: the stored
        # start stands (rolling windows cut by the edge must not move it)
        new_start = min(s.start for s in near) if left_clip else start
        new_end = max([end, *(s.end for s in near)]) if right_clip else end
        matched.update(s.lead_id for s in near)
        stats.lead_ids.append(primary.lead_id)
        for other in others:
            if other.lead_id in frozen:
                stats.kept_frozen += 1
                continue
            _withdraw(session, other, f"merged into lead {primary.lead_id}", run_id, now)
            stats.withdrawn += 1
            stats.withdrawn_ids.append(other.lead_id)
        if primary.lead_id in frozen:
            if _record_version(session, primary, rec, new_start, new_end, run_id):
                stats.versioned += 1
            else:
                stats.unchanged += 1
            continue
        if new_start != primary.start or new_end != primary.end:
            evidence = dict(rec.evidence)
            evidence["window"] = {"start": new_start.isoformat(), "end": new_end.isoformat()}
            primary.start = new_start
            primary.end = new_end
            primary.summary = rec.summary
            primary.evidence = evidence
            primary.severity = int(rec.severity)
            primary.score = float(rec.score)
            primary.open = scope.horizon is not None and new_end > scope.horizon - gap
            primary.updated_at = now
            stats.extended += 1
            stats.extended_ids.append(primary.lead_id)
        else:
            stats.unchanged += 1
    for rows in stored.values():
        for row in rows:
            if row.lead_id in matched or row.status != "active":
                continue
            lo, hi = windows[row.lead_id]
            zone_lo = lo + scope.edge if scope.left_clipped(lo) else None
            zone_hi = hi - scope.edge if scope.right_clipped(hi) else None
            if (zone_lo is not None and row.start < zone_lo) or (
                zone_hi is not None and row.end > zone_hi
            ):
                continue  # near a clipped edge: the run may just not have seen it whole
            if row.end <= lo or row.start >= hi:
                continue
            if row.lead_id in frozen:
                stats.kept_frozen += 1
                continue
            _withdraw(session, row, "its episode is no longer found in the data", run_id, now)
            stats.withdrawn += 1
            stats.withdrawn_ids.append(row.lead_id)
    if scope.horizon is not None:
        stats.closed = close_stale(session, scope.horizon - gap, now)
    session.flush()
    audit(
        session,
        None,
        "merge_leads",
        "detection_run",
        run_id if run_id is not None else "-",
        after={
            **stats.counts(),
            "new_ids": stats.new_ids[:1000],
            "extended_ids": stats.extended_ids[:1000],
            "withdrawn_ids": stats.withdrawn_ids[:1000],
        },
        note=f"detection run {run_id}: {stats.counts()}",
    )
    return stats


def _insert(
    session: Session,
    rec: Any,
    start: datetime,
    end: datetime,
    scope: JudgedScope,
    gap: timedelta,
    now: datetime,
    stats: MergeStats,
) -> None:
    is_open = scope.horizon is not None and end > scope.horizon - gap
    existing = session.get(Lead, rec.lead_id)
    if existing is not None:  # the same episode was withdrawn before: it stands again
        existing.status = "active"
        existing.withdrawn_at = None
        existing.withdrawn_reason = None
        target = existing
    else:
        target = Lead(lead_id=rec.lead_id, detected_at=now)
        session.add(target)
    target.rule = rec.rule
    target.family = rec.family
    target.enterprise_id = rec.enterprise_id
    target.subject_type = rec.subject_type
    target.subject_id = rec.subject_id
    target.pollutant = rec.pollutant
    target.start = start
    target.end = end
    target.severity = int(rec.severity)
    target.score = float(rec.score)
    target.summary = rec.summary
    target.evidence = dict(rec.evidence)
    target.open = is_open
    target.updated_at = now
    stats.new += 1
    stats.lead_ids.append(rec.lead_id)
    stats.new_ids.append(rec.lead_id)


def close_stale(session: Session, before: datetime, now: datetime) -> int:
    """Close open leads ending at or before ``before``; return how many."""
    n = 0
    for row in session.scalars(
        select(Lead).where(Lead.open.is_(True), or_(Lead.end <= before, Lead.status != "active"))
    ):
        row.open = False
        row.updated_at = now
        n += 1
    return n


def lead_versions(session: Session, lead_id: str) -> list[dict[str, Any]]:
    """Every evidence version of a lead, oldest first (for the lead page).

    A lead that was never re-seen after it was judged has one version: itself.

    Returns
    -------
    list of dict
        ``version, start, end, severity, score, summary, evidence, run_id, recorded_at``
        (empty when the lead does not exist).
    """
    rows = list(
        session.scalars(
            select(LeadVersion).where(LeadVersion.lead_id == lead_id).order_by(LeadVersion.version)
        )
    )
    if rows:
        return [
            {
                "version": r.version,
                "start": r.start,
                "end": r.end,
                "severity": r.severity,
                "score": r.score,
                "summary": r.summary,
                "evidence": r.evidence,
                "run_id": r.run_id,
                "recorded_at": r.recorded_at,
            }
            for r in rows
        ]
    lead = session.get(Lead, lead_id)
    if lead is None:
        return []
    return [
        {
            "version": 1,
            "start": lead.start,
            "end": lead.end,
            "severity": lead.severity,
            "score": lead.score,
            "summary": lead.summary,
            "evidence": lead.evidence,
            "run_id": None,
            "recorded_at": lead.updated_at,
        }
    ]


def export_rows(session: Session, *, include_withdrawn: bool = True) -> Iterable[dict[str, Any]]:
    """Stored leads in the ``lantian detect`` JSON-lines format plus ``status`` and
    ``case_id`` (``lead_id`` is a contract field already), ordered like ``detect``."""
    from lantian.workflow.models import CaseLead

    cases = {k: v for k, v in session.execute(select(CaseLead.lead_id, CaseLead.case_id))}
    query = select(Lead).order_by(Lead.start, Lead.rule, Lead.subject_id, Lead.pollutant, Lead.end)
    if not include_withdrawn:
        query = query.where(Lead.status == "active")
    for lead in session.scalars(query):
        yield {
            "lead_id": lead.lead_id,
            "rule": lead.rule,
            "family": lead.family,
            "enterprise_id": lead.enterprise_id,
            "subject_type": lead.subject_type,
            "subject_id": lead.subject_id,
            "pollutant": lead.pollutant,
            "start": lead.start.isoformat(),
            "end": lead.end.isoformat(),
            "severity": lead.severity,
            "score": lead.score,
            "summary": lead.summary,
            "evidence": lead.evidence,
            "status": lead.status,
            "case_id": cases.get(lead.lead_id),
        }


__all__ = [
    "JudgedScope",
    "MergeStats",
    "close_stale",
    "export_rows",
    "frozen_ids",
    "lead_versions",
    "merge_episodes",
]
