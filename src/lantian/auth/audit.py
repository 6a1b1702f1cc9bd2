"""The one audit function every write goes through, and verification of the hash chain.

Each :class:`~lantian.auth.models.AuditLog` row stores ``prev_hash`` (the previous row's
``hash``, 64 zeros for the first row) and ``hash = sha256(prev_hash + canonical JSON)``
where the canonical JSON holds every other stored field with sorted keys. Changing,
removing or re-ordering any row breaks the chain from that row on, which
:func:`verify_audit_chain` reports. The database also refuses UPDATE and DELETE on the
table (triggers created by migration 0002).

References
----------
.. [1] GB/T 22239-2019, 信息安全技术 网络安全等级保护基本要求, 8.1.4.3 安全审计
       (audit records protected against unexpected deletion, modification or overwrite).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from lantian.auth.models import AuditLog
from lantian.timeutil import now_cst, to_cst

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 724_212_001
"""Advisory-lock key serialising audit appends on PostgreSQL (one chain, no forks)."""


class ActorLike(Protocol):
    """Anything with a user id and name (a :class:`~lantian.auth.models.User`)."""

    user_id: int
    username: str


def jsonable(value: Any) -> Any:
    """``value`` with datetimes (as CST ISO strings) and decimals made JSON-ready."""
    if isinstance(value, dt.datetime):
        return to_cst(value).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})
"""Columns never copied into audit snapshots."""


def snapshot(obj: Any) -> dict[str, Any]:
    """JSON-ready dict of a mapped object's column values (secrets left out)."""
    mapper = inspect(obj).mapper
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        if attr.key in SECRET_COLUMNS:
            continue
        out[attr.key] = jsonable(getattr(obj, attr.key))
    return out


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _payload(row: AuditLog) -> dict[str, Any]:
    return {
        "at": jsonable(row.at),
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "before": row.before,
        "after": row.after,
        "note": row.note,
    }


def compute_hash(prev_hash: str, row: AuditLog) -> str:
    """``sha256(prev_hash + canonical JSON of the row's fields)`` as 64 hex digits."""
    data = (prev_hash + canonical_json(_payload(row))).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _last_hash(session: Session) -> str:
    last = session.scalar(select(AuditLog.hash).order_by(AuditLog.audit_id.desc()).limit(1))
    return last or GENESIS_HASH


def audit(
    session: Session,
    actor: ActorLike | None,
    action: str,
    object_type: str,
    object_id: str | int,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> AuditLog:
    """Append one audit record (in the caller's transaction) and return it.

    Parameters
    ----------
    session
        The open session; the record commits or rolls back with the change it describes.
    actor
        The acting user, or ``None`` for the system (scheduled jobs), recorded as ``system``.
    action
        What happened, e.g. ``dispatch``, ``create_user``, ``record_check``.
    object_type, object_id
        The changed object (``case``, ``lead``, ``user`` …) and its id.
    before, after
        Snapshots (JSON objects) before and after the change; ``None`` for a creation
        (``before``) or a deletion (``after``).
    from_status, to_status
        The case status change, when the action is a transition.
    """
    when = to_cst(at) if at is not None else now_cst()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    else:
        session.flush()
        if dialect == "sqlite":
            # A write statement (matching no row) takes SQLite's write lock now, waiting on
            # other writers (busy timeout), so the last hash cannot change before our insert.
            session.execute(text("DELETE FROM audit_log WHERE 0 = 1"))
    prev = _last_hash(session)
    row = AuditLog(
        at=when,
        actor_id=actor.user_id if actor is not None else None,
        actor_name=actor.username if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        from_status=from_status,
        to_status=to_status,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        note=note,
        prev_hash=prev,
    )
    row.hash = compute_hash(prev, row)
    session.add(row)
    session.flush()
    return row


@dataclass
class AuditChainReport:
    """Result of :func:`verify_audit_chain`."""

    ok: bool
    rows: int
    first_bad_id: int | None = None
    problems: list[str] = field(default_factory=list)
    last_hash: str = GENESIS_HASH


def verify_audit_chain(session: Session, *, max_problems: int = 20) -> AuditChainReport:
    """Recompute every row's hash in id order and check each links to its predecessor.

    Returns
    -------
    AuditChainReport
        ``ok`` is false when any row was altered, removed or inserted out of order;
        ``first_bad_id`` is the first row where the chain breaks.
    """
    prev = GENESIS_HASH
    report = AuditChainReport(ok=True, rows=0)
    result = session.execute(select(AuditLog).order_by(AuditLog.audit_id)).scalars()
    for row in result:
        report.rows += 1
        problem = None
        if row.prev_hash != prev:
            problem = f"row {row.audit_id}: prev_hash does not match the previous row (removed?)"
        elif compute_hash(prev, row) != row.hash:
            problem = f"row {row.audit_id}: content does not match its hash (altered)"
        if problem is not None:
            report.ok = False
            if report.first_bad_id is None:
                report.first_bad_id = row.audit_id
            if len(report.problems) < max_problems:
                report.problems.append(problem)
        prev = row.hash
    report.last_hash = prev
    return report
