"""Generating, archiving and verifying periodic reports.

A generated report is stored as two files under ``LANTIAN_HOME/reports/`` named by their
SHA-256 (``<sha256>.pdf``, ``<sha256>.xlsx``: content-addressed, written once), and one
``archived_reports`` row with the hashes (audited as ``report.generate``). :func:`verify`
re-reads a file and compares its hash with the row's, so a changed or swapped file is
detected. Scheduled generation (:func:`generate_due`, run by the periodic jobs) makes the
weekly report of the last full ISO week on Mondays and the monthly report of the previous
month on the 1st, for every city of the register and for the whole platform, once each.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import NotFound, PermissionDenied
from lantian.auth.models import OFFICER_ROLES, User
from lantian.reports.models import ArchivedReport
from lantian.reports.periodic import Period, Report, city_viewer, compute_report, parse_period
from lantian.reports.report_docs import render_report_pdf, render_report_xlsx
from lantian.settings import Settings, get_settings
from lantian.timeutil import now_cst, to_cst

log = logging.getLogger("lantian.reports")

SCHEDULE_HOUR = 6
"""Scheduled reports are made from this CST hour of their day on (data of the night in)."""


@dataclass(frozen=True)
class Generated:
    """An archived report with its rendered files."""

    row: ArchivedReport
    report: Report
    pdf: bytes
    xlsx: bytes


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _store(directory: Path, data: bytes, suffix: str) -> str:
    digest = _sha(data)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(suffix + ".part")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return digest


def may_see(user: User, row: ArchivedReport) -> bool:
    """Officers see the reports of their jurisdiction (or narrower); admins and unlimited
    work groups all."""
    if user.role not in OFFICER_ROLES:
        return False
    if user.role == "admin" or not (user.city or user.province):
        return True
    if user.city is None:  # a province-limited work group: every city report of the platform
        return row.city is not None
    if row.city != user.city:
        return False
    return not user.district or row.district == user.district


def generate(
    session: Session,
    viewer: Any,
    kind: str,
    period: Period,
    *,
    actor: User | None = None,
    settings: Settings | None = None,
    lake: Any | None = None,
) -> Generated:
    """Compute, render and archive a report as ``viewer`` sees it (``actor`` None: the
    schedule)."""
    settings = settings or get_settings()
    if lake is None:
        from lantian.lake import Lake

        lake = Lake(settings.lake_dir)
    report = compute_report(session, viewer, kind, period, lake=lake)
    pdf = render_report_pdf(report)
    xlsx = render_report_xlsx(report)
    pdf_sha = _store(settings.reports_dir, pdf, ".pdf")
    xlsx_sha = _store(settings.reports_dir, xlsx, ".xlsx")
    row = ArchivedReport(
        kind=kind,
        period_label=period.label,
        period_start=period.start,
        period_end=period.end,
        campaign_id=period.campaign_id,
        city=getattr(viewer, "city", None),
        district=getattr(viewer, "district", None),
        title=report.title,
        generated_at=report.generated_at,
        generated_by=actor.user_id if actor is not None else None,
        pdf_sha256=pdf_sha,
        xlsx_sha256=xlsx_sha,
        pdf_bytes=len(pdf),
        xlsx_bytes=len(xlsx),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "report.generate",
        "report",
        row.report_id,
        after=snapshot(row),
        note=report.title,
    )
    return Generated(row, report, pdf, xlsx)


def load_report(session: Session, user: User, report_id: int) -> ArchivedReport:
    """Archived report ``report_id`` if ``user`` may see it; else NotFound."""
    row = session.get(ArchivedReport, report_id)
    if row is None or not may_see(user, row):
        raise NotFound(f"report {report_id} not found")
    return row


def list_reports(session: Session, user: User, limit: int = 200) -> list[ArchivedReport]:
    """Archived reports ``user`` may see, newest first."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以查看统计报告 (officers only)")
    stmt = select(ArchivedReport).order_by(
        ArchivedReport.generated_at.desc(), ArchivedReport.report_id.desc()
    )
    if user.city:
        stmt = stmt.where(ArchivedReport.city == user.city)
    rows = [r for r in session.scalars(stmt.limit(limit * 4)) if may_see(user, r)]
    return rows[:limit]


def report_file(row: ArchivedReport, fmt: str, settings: Settings | None = None) -> bytes:
    """The archived file (``pdf`` or ``xlsx``), checked against its SHA-256.

    Raises
    ------
    NotFound
        The file is missing.
    ValueError
        The file's hash differs from the archive's (it was changed).
    """
    settings = settings or get_settings()
    digest = row.pdf_sha256 if fmt == "pdf" else row.xlsx_sha256
    path = settings.reports_dir / f"{digest}.{fmt}"
    if not path.is_file():
        raise NotFound(f"file of report {row.report_id} is missing")
    data = path.read_bytes()
    if _sha(data) != digest:
        raise ValueError(f"report {row.report_id}: {fmt} file does not match its SHA-256")
    return data


def verify(row: ArchivedReport, settings: Settings | None = None) -> dict[str, bool]:
    """Whether each archived file still has the hash recorded when it was generated."""
    out: dict[str, bool] = {}
    for fmt in ("pdf", "xlsx"):
        try:
            report_file(row, fmt, settings)
            out[fmt] = True
        except (NotFound, ValueError):
            out[fmt] = False
    return out


def due_periods(now: datetime) -> list[tuple[str, Period]]:
    """The reports due at ``now`` (CST): last week's on Mondays, last month's on the 1st,
    from :data:`SCHEDULE_HOUR` on."""
    now = to_cst(now)
    if now.hour < SCHEDULE_HOUR:
        return []
    today = now.date()
    out: list[tuple[str, Period]] = []
    if today.weekday() == 0:
        out.append(("weekly", parse_period("weekly", (today - timedelta(days=7)).isoformat())))
    if today.day == 1:
        last = today - timedelta(days=1)
        out.append(("monthly", parse_period("monthly", f"{last.year}-{last.month:02d}")))
    return out


def generate_due(
    session: Session, now: datetime | None = None, settings: Settings | None = None
) -> list[ArchivedReport]:
    """Scheduled job: every due report of every city (and the whole platform) not yet
    archived. Returns the new rows (no commit)."""
    from lantian.registry.models import Enterprise

    now = to_cst(now) if now is not None else now_cst()
    made: list[ArchivedReport] = []
    due = due_periods(now)
    if not due:
        return made
    cities = [c for (c,) in session.execute(select(Enterprise.city).distinct()) if c]
    for kind, period in due:
        for city in [None, *sorted(cities)]:
            exists = session.scalar(
                select(ArchivedReport.report_id).where(
                    ArchivedReport.kind == kind,
                    ArchivedReport.period_start == period.start,
                    ArchivedReport.generated_by.is_(None),
                    ArchivedReport.city.is_(None) if city is None else ArchivedReport.city == city,
                )
            )
            if exists is not None:
                continue
            viewer: Any = city_viewer(city) if city else User(role="admin", username="report")
            made.append(generate(session, viewer, kind, period, settings=settings).row)
    return made


def run_scheduled_reports(settings: Settings, now: datetime | None = None) -> int:
    """Scheduled job (one transaction): the due reports; a failure is logged, not raised."""
    from lantian.db.session import session_scope

    try:
        with session_scope(settings) as session:
            made = generate_due(session, now, settings)
    except Exception:  # logged; the next run retries
        log.exception("scheduled reports failed")
        return 0
    if made:
        log.info("scheduled reports: %d archived", len(made))
    return len(made)


def period_of(session: Session, kind: str, text: str | None, today: date | None = None) -> Period:
    """The period named by ``text``; by default the last full week or month."""
    today = today or now_cst().date()
    if text:
        return parse_period(kind, text, session)
    if kind == "weekly":
        return parse_period("weekly", (today - timedelta(days=7)).isoformat())
    if kind == "monthly":
        last = today.replace(day=1) - timedelta(days=1)
        return parse_period("monthly", f"{last.year}-{last.month:02d}")
    return parse_period(kind, "", session)


__all__ = [
    "Generated",
    "due_periods",
    "generate",
    "generate_due",
    "list_reports",
    "load_report",
    "may_see",
    "period_of",
    "report_file",
    "run_scheduled_reports",
    "verify",
]
