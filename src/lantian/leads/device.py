"""Device-integrity leads found by the gateway: 数采仪时钟异常 and 数据被改写.

``CLOCK_ANOMALY`` (a data logger's clock persistently off) and ``DATA_REWRITE`` (stored
values met by different resent values) are not found by a detection run over the lake but
by the gateway's lake feeder as packets arrive. :func:`upsert_device_lead` stores them as
:class:`~lantian.leads.models.Lead` rows, one lead per device *episode*: a new event
within ``gap`` of the device's latest lead of the same rule extends that lead (window,
counts, evidence); a later one opens a new lead. The lead id is stable (a hash of rule,
subject and the episode's first event time), so replaying the same events changes
nothing. Every creation and extension is audited (:func:`lantian.auth.audit.audit`, actor
``system``).

Self-contained on purpose: detection's merge of rule leads lives elsewhere.

References
----------
.. [1] HJ 212-2017, Table 4 (``DataTime``), Appendix C (CN 1012 set / 1013 calibrate the
   logger clock); HJ 212-2025 (``RF=1`` resends).
.. [2] 《污染源自动监控设施现场监督检查办法》 (环境保护部令第 19 号), 篡改、伪造监测数据
   (unverified here: cited for the meaning of 数据被改写).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit
from lantian.leads.models import Lead
from lantian.timeutil import now_cst

__all__ = [
    "CLOCK_RULE",
    "QC_RULE",
    "REWRITE_RULE",
    "device_lead_id",
    "upsert_device_lead",
]

CLOCK_RULE = "DEVICE-CLOCK"
"""Rule id of ``CLOCK_ANOMALY`` leads."""
REWRITE_RULE = "DEVICE-REWRITE"
"""Rule id of ``DATA_REWRITE`` leads."""

QC_RULE = "DEVICE-QC"
"""Rule id of ``QC_FAILURE`` leads (remote quality control, :mod:`lantian.qc`)."""

_FAMILY = {CLOCK_RULE: "CLOCK_ANOMALY", REWRITE_RULE: "DATA_REWRITE", QC_RULE: "QC_FAILURE"}
_MAX_EVENTS = 50
"""Events kept in ``evidence.events`` (the newest; ``evidence.count`` counts them all)."""


def device_lead_id(rule: str, subject_type: str, subject_id: str, start: datetime) -> str:
    """Stable id of a device lead: SHA-1 of rule, subject and episode start (16 hex)."""
    key = "|".join([rule, subject_type, subject_id, start.isoformat(timespec="seconds")])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def upsert_device_lead(
    session: Session,
    *,
    rule: str,
    subject_type: str,
    subject_id: str,
    enterprise_id: str | None,
    at: datetime,
    event: dict[str, Any],
    summary: str,
    severity: int = 2,
    score: float = 0.8,
    extra: dict[str, Any] | None = None,
    gap: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> Lead:
    """Create or extend the device's lead of ``rule`` for one event at ``at``.

    Parameters
    ----------
    rule
        :data:`CLOCK_RULE` or :data:`REWRITE_RULE` (the family follows from it).
    subject_type, subject_id
        ``outlet`` or ``meter`` and its id.
    at
        When the event happened (arrival time of the packet; aware).
    event
        One JSON object appended to ``evidence.events`` (bounded to the newest 50).
    summary
        The lead's one-line summary (replaced on every event).
    extra
        Other evidence keys set on every event (e.g. ``remedy``, ``mn``).
    gap
        Events closer than this to the device's latest lead extend it.

    Returns
    -------
    Lead
        The created or extended lead (flushed, in the caller's transaction).
    """
    family = _FAMILY[rule]
    stamp = now or now_cst()
    latest = session.scalars(
        select(Lead)
        .where(Lead.rule == rule, Lead.subject_type == subject_type, Lead.subject_id == subject_id)
        .order_by(Lead.end.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.start <= at <= latest.end + gap:
        if event in latest.evidence.get("events", []):  # a replayed event: nothing new
            return latest
        before = {"end": latest.end, "count": latest.evidence.get("count")}
        evidence = dict(latest.evidence)
        events = [*list(evidence.get("events", [])), event][-_MAX_EVENTS:]
        evidence.update(extra or {})
        evidence["events"] = events
        evidence["count"] = int(evidence.get("count", 0)) + 1
        latest.evidence = evidence
        latest.end = max(latest.end, at + timedelta(seconds=1))
        latest.summary = summary
        latest.severity = max(latest.severity, severity)
        latest.score = max(latest.score, score)
        latest.updated_at = stamp
        latest.open = True
        session.flush()
        audit(
            session,
            None,
            "extend_lead",
            "lead",
            latest.lead_id,
            before=before,
            after={"end": latest.end, "count": evidence["count"]},
            note=f"{family}: {summary}",
        )
        return latest
    lead = Lead(
        lead_id=device_lead_id(rule, subject_type, subject_id, at),
        rule=rule,
        family=family,
        enterprise_id=enterprise_id,
        subject_type=subject_type,
        subject_id=subject_id,
        pollutant=None,
        start=at,
        end=at + timedelta(seconds=1),
        severity=severity,
        score=score,
        summary=summary,
        evidence={**(extra or {}), "events": [event], "count": 1},
        open=True,
        detected_at=stamp,
        updated_at=stamp,
    )
    existing = session.get(Lead, lead.lead_id)
    if existing is not None:  # the same first event again (a replay): nothing new
        return existing
    session.add(lead)
    session.flush()
    audit(
        session,
        None,
        "create_lead",
        "lead",
        lead.lead_id,
        after={"rule": rule, "family": family, "subject_id": subject_id},
        note=f"{family}: {summary}",
    )
    return lead
