"""Running :func:`lantian.workflow.service.run_scheduled_jobs` outside a request.

Used by the web application's background task (every ``LANTIAN_JOBS_INTERVAL_S``
seconds, see :func:`jobs_loop`) and by ``lantian jobs run``; each run also anchors the
audit chain (:func:`anchor_audit_chain`). Each run has its own
session and transaction: committed on success, rolled back on error.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from lantian.settings import Settings
from lantian.workflow.service import JobsReport, run_scheduled_jobs

log = logging.getLogger("lantian.jobs")

JOBS_FIRST_DELAY_S = 60.0
"""Seconds after start-up before the first background run (at most the interval)."""


def run_jobs_once(settings: Settings, now: datetime | None = None) -> JobsReport:
    """Run the scheduled jobs once in a new session and commit.

    Parameters
    ----------
    settings
        Effective settings (database).
    now
        Reference time (default: now, CST).

    Returns
    -------
    JobsReport
        Escalated and reopened cases, pruned login attempts.
    """
    from lantian.db.session import session_scope

    with session_scope(settings) as session:
        report = run_scheduled_jobs(session, now)
    escalate_questions(settings, now)
    from lantian.supervision.listing.services import review_if_due  # 正面清单 (issue #13)

    review_if_due(settings)
    from lantian.reports.archive import run_scheduled_reports  # 周报/月报 (issue #16)

    run_scheduled_reports(settings, now)
    run_qc_schedule(settings, now)
    anchor_audit_chain(settings)
    log.info(
        "scheduled jobs: %d escalated, %d reopened, %d login attempts pruned",
        len(report.escalated),
        len(report.reopened),
        report.login_attempts_pruned,
    )
    return report


def run_qc_schedule(settings: Settings, now: datetime | None = None) -> None:
    """Scheduled job: queue the due remote-QC checks and finish stale commands (远程质控).

    A failure is logged, never raised (the other jobs have committed already).
    """
    from lantian.db.session import session_scope
    from lantian.qc.service import queue_due, sweep

    try:
        with session_scope(settings) as session:
            made = queue_due(session, now)
            done = sweep(session, now)
    except Exception:  # logged; the next run retries
        log.exception("remote QC schedule failed")
        return
    if made or done:
        log.info("remote QC: %d checks queued, %d stale commands finished", len(made), len(done))


def escalate_questions(settings: Settings, now: datetime | None = None) -> None:
    """Scheduled job: reminders and escalations of unanswered questions (咨询).

    A failure is logged, never raised (the other jobs have committed already).
    """
    from lantian.assist.questions.services import escalate_overdue
    from lantian.db.session import session_scope

    try:
        with session_scope(settings) as session:
            r = escalate_overdue(session, now)
    except Exception:  # logged; the next run retries
        log.exception("question escalation failed")
        return
    if r.reminded or r.escalated:
        log.info("questions: %d reminded, %d escalated", len(r.reminded), len(r.escalated))


def anchor_audit_chain(settings: Settings) -> None:
    """Scheduled job: append a signed audit checkpoint when rows were added since the last.

    A failure is logged, never raised (the other jobs have committed already).
    """
    from lantian.auth.audit import write_checkpoint
    from lantian.db.session import session_scope

    try:
        with session_scope(settings) as session:
            cp = write_checkpoint(session, None, settings, only_if_changed=True)
    except Exception:  # logged; the next run retries
        log.exception("audit checkpoint failed")
        return
    if cp is not None:
        log.info("audit checkpoint: row %d, %d rows", cp.audit_id, cp.rows)


async def jobs_loop(
    settings: Settings, interval_s: float, *, first_delay_s: float | None = None
) -> None:
    """Run :func:`run_jobs_once` every ``interval_s`` seconds until cancelled.

    The first run happens ``first_delay_s`` seconds after start (default
    ``min(JOBS_FIRST_DELAY_S, interval_s)``). A failing run is logged and the loop goes
    on; the work runs in a worker thread so requests are not blocked.
    """
    delay = min(JOBS_FIRST_DELAY_S, interval_s) if first_delay_s is None else first_delay_s
    while True:
        await asyncio.sleep(delay)
        delay = interval_s
        try:
            await asyncio.to_thread(run_jobs_once, settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # logged, never fatal for the web process
            log.exception("scheduled jobs failed; retrying in %.0f s", interval_s)
