"""The one audit function every write goes through, and verification of the hash chain.

Each :class:`~lantian.auth.models.AuditLog` row stores ``prev_hash`` (the previous row's
``hash``, 64 zeros for the first row) and ``hash``, computed by the row's ``hash_scheme``:

- scheme 2 (every row written since migration 0010):
  ``HMAC-SHA256(audit key, prev_hash + canonical JSON)``;
- scheme 1 (rows written before): ``sha256(prev_hash + canonical JSON)``.

The canonical JSON holds every other stored field with sorted keys. Changing, removing or
re-ordering any row breaks the chain from that row on, which :func:`verify_audit_chain`
reports; without the key nobody can recompute a keyed chain. The key lives outside the
database: ``LANTIAN_AUDIT_KEY`` or the file ``LANTIAN_HOME/audit.key`` (mode 0600, created
on first use). Once a keyed row exists, a plain row after it is reported (no downgrade).

Deleting the newest rows leaves a shorter chain that is still consistent, so the head is
anchored outside the database: :func:`write_checkpoint` appends a signed checkpoint (head
row id, head hash, row count, key id, time; HMAC with a key derived from the audit key,
chained to the previous checkpoint) to ``<archive>/audit-checkpoints.jsonl`` and records an
``audit_anchor`` row, so that a removed or truncated checkpoint file is seen too. Each
checkpoint has a one-line printable form for a paper ledger (:func:`ledger_line`).
The database also refuses UPDATE and DELETE on the table (triggers, migration 0002).

References
----------
.. [1] GB/T 22239-2019, 信息安全技术 网络安全等级保护基本要求, 8.1.4.3 安全审计
       (audit records protected against unexpected deletion, modification or overwrite).
.. [2] RFC 2104, HMAC: Keyed-Hashing for Message Authentication.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from lantian.auth.models import AuditLog
from lantian.settings import Settings, get_settings
from lantian.timeutil import now_cst, to_cst

log = logging.getLogger("lantian.audit")

GENESIS_HASH = "0" * 64
SCHEME_SHA256 = 1
"""Plain ``sha256(prev_hash + JSON)``: rows written before migration 0010."""
SCHEME_HMAC = 2
"""``HMAC-SHA256(audit key, prev_hash + JSON)``: every row written now."""
KEY_FILE_NAME = "audit.key"
CHECKPOINT_FILE_NAME = "audit-checkpoints.jsonl"
ANCHOR_ACTION = "audit_anchor"
MIN_KEY_CHARS = 32
_PG_LOCK_KEY = 724_212_001
"""Advisory-lock key serialising audit appends on PostgreSQL (one chain, no forks)."""


class ActorLike(Protocol):
    """Anything with a user id and name (a :class:`~lantian.auth.models.User`, or a
    command-line actor without an account: ``user_id`` ``None``)."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


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


class AuditKeyError(RuntimeError):
    """The audit key is unusable (too short, unreadable); the message says how to fix it."""


def audit_key_path(settings: Settings | None = None) -> Path:
    """The key file ``LANTIAN_HOME/audit.key`` (used when ``LANTIAN_AUDIT_KEY`` is unset)."""
    return (settings or get_settings()).resolved_home / KEY_FILE_NAME


def checkpoint_path(settings: Settings | None = None) -> Path:
    """The checkpoint file ``<archive>/audit-checkpoints.jsonl``."""
    return (settings or get_settings()).archive_dir / CHECKPOINT_FILE_NAME


_key_cache: dict[tuple[str, int, int], bytes] = {}


def _read_key_file(path: Path) -> bytes | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    cache_key = (str(path), st.st_ino, st.st_mtime_ns)
    cached = _key_cache.get(cache_key)
    if cached is not None:
        return cached
    raw = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError as exc:
        raise AuditKeyError(f"{path}: not a hex audit key") from exc
    if len(key) < MIN_KEY_CHARS // 2:
        raise AuditKeyError(f"{path}: audit key shorter than 16 bytes")
    _key_cache.clear()
    _key_cache[cache_key] = key
    return key


def load_audit_key(settings: Settings | None = None, *, create: bool = False) -> bytes | None:
    """The audit key: ``LANTIAN_AUDIT_KEY``, else the key file (created when ``create``).

    A new key file holds 32 random bytes as hex and is created with mode 0600 (exclusive
    create, so two processes starting together agree on one key). Returns ``None`` when
    there is no key and ``create`` is false.
    """
    settings = settings or get_settings()
    env_key = settings.audit_key.get_secret_value()
    if env_key:
        if len(env_key) < MIN_KEY_CHARS:
            raise AuditKeyError(f"LANTIAN_AUDIT_KEY must have at least {MIN_KEY_CHARS} characters")
        return env_key.encode("utf-8")
    path = audit_key_path(settings)
    key = _read_key_file(path)
    if key is not None or not create:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    log.info("created the audit key %s (mode 0600); keep a copy outside the database", path)
    return _read_key_file(path)


def key_id(key: bytes) -> str:
    """A public 16-hex-digit name of ``key`` (printed on checkpoints; reveals nothing)."""
    return hmac.new(key, b"lantian-audit-key-id", hashlib.sha256).hexdigest()[:16]


def compute_hash(prev_hash: str, row: AuditLog, key: bytes | None = None) -> str:
    """The row's hash by its ``hash_scheme`` (64 hex digits).

    Scheme 2 needs the audit key (``key``, else :func:`load_audit_key`); scheme 1 is
    ``sha256(prev_hash + canonical JSON of the row's fields)``.
    """
    data = (prev_hash + canonical_json(_payload(row))).encode("utf-8")
    if (row.hash_scheme or SCHEME_SHA256) == SCHEME_SHA256:
        return hashlib.sha256(data).hexdigest()
    if key is None:
        key = load_audit_key()
        if key is None:
            raise AuditKeyError("the audit key is missing (LANTIAN_AUDIT_KEY or audit.key)")
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _last_hash(session: Session) -> str:
    last = session.scalar(select(AuditLog.hash).order_by(AuditLog.audit_id.desc()).limit(1))
    return last or GENESIS_HASH


AuditListener = Callable[[Session, AuditLog], None]
"""Called with the session and the new row after each :func:`audit`, in the same
transaction (e.g. :mod:`lantian.notify.events` stores notifications there)."""
LISTENER_MODULES: tuple[str, ...] = ("lantian.notify.events",)
"""Modules imported on the first audit; each registers its listeners with
:func:`add_audit_listener` when imported."""
_listeners: list[AuditListener] = []
_listeners_loaded = False


def add_audit_listener(listener: AuditListener) -> None:
    """Register ``listener`` (once) to run inside every audited write's transaction."""
    if listener not in _listeners:
        _listeners.append(listener)


def _run_listeners(session: Session, row: AuditLog) -> None:
    """Run the listeners; a failing listener is logged and never undoes the audited write
    (on PostgreSQL it runs in a savepoint, so a failed statement does not abort the
    transaction)."""
    global _listeners_loaded
    if not _listeners_loaded:
        import importlib

        _listeners_loaded = True
        for name in LISTENER_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # logged; auditing goes on without that listener
                log.exception("audit listener module %s failed to load", name)
    for listener in list(_listeners):
        try:
            if session.get_bind().dialect.name == "postgresql":
                with session.begin_nested():
                    listener(session, row)
            else:
                listener(session, row)
        except Exception:  # logged: a notification must not undo the write it describes
            log.exception("audit listener %r failed on %s", listener, row.action)


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
    key = load_audit_key(create=True)
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
        hash_scheme=SCHEME_HMAC,
    )
    row.hash = compute_hash(prev, row, key)
    session.add(row)
    session.flush()
    _run_listeners(session, row)
    return row


@dataclass
class AuditChainReport:
    """Result of :func:`verify_audit_chain`.

    ``ok`` is false on any problem (a broken or recomputed chain, a row or checkpoint
    missing, a replaced key). ``warnings`` say what could not be checked (no key, no
    checkpoint yet) without failing.
    """

    ok: bool
    rows: int
    first_bad_id: int | None = None
    problems: list[str] = field(default_factory=list)
    last_hash: str = GENESIS_HASH
    last_id: int | None = None
    keyed_rows: int = 0
    checkpoints: int = 0
    warnings: list[str] = field(default_factory=list)
    key_id: str | None = None

    def problem(self, text_: str, row_id: int | None = None, *, limit: int = 20) -> None:
        """Record one problem (at most ``limit`` texts are kept)."""
        self.ok = False
        if row_id is not None and self.first_bad_id is None:
            self.first_bad_id = row_id
        if len(self.problems) < limit:
            self.problems.append(text_)


@dataclass(frozen=True)
class Checkpoint:
    """One signed anchor of the chain's head, as stored in the checkpoint file."""

    audit_id: int
    head_hash: str
    rows: int
    keyed_from: int | None
    at: str
    key_id: str
    prev_sig: str
    sig: str

    def body(self) -> dict[str, Any]:
        """The signed fields (everything except ``sig``)."""
        return {
            "v": 1,
            "audit_id": self.audit_id,
            "head_hash": self.head_hash,
            "rows": self.rows,
            "keyed_from": self.keyed_from,
            "at": self.at,
            "key_id": self.key_id,
            "prev_sig": self.prev_sig,
        }


def _checkpoint_sig(key: bytes, body: dict[str, Any]) -> str:
    sign_key = hmac.new(key, b"lantian-audit-checkpoint", hashlib.sha256).digest()
    return hmac.new(sign_key, canonical_json(body).encode("utf-8"), hashlib.sha256).hexdigest()


def ledger_line(cp: Checkpoint) -> str:
    """One printable line of a checkpoint for a paper ledger (all fields a check needs)."""
    return (
        f"LANTIAN-AUDIT {cp.at} row={cp.audit_id} rows={cp.rows} head={cp.head_hash} "
        f"key={cp.key_id} sig={cp.sig[:32]}"
    )


def read_checkpoints(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints in ``path`` (none when absent) and a problem text per unreadable line."""
    if not path.exists():
        return [], []
    out: list[Checkpoint] = []
    bad: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(
                Checkpoint(
                    audit_id=int(d["audit_id"]),
                    head_hash=str(d["head_hash"]),
                    rows=int(d["rows"]),
                    keyed_from=None if d.get("keyed_from") is None else int(d["keyed_from"]),
                    at=str(d["at"]),
                    key_id=str(d["key_id"]),
                    prev_sig=str(d["prev_sig"]),
                    sig=str(d["sig"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            bad.append(f"checkpoint file line {n}: unreadable")
    return out, bad


def _head(session: Session) -> tuple[int | None, str, int, int | None]:
    last = session.execute(
        select(AuditLog.audit_id, AuditLog.hash).order_by(AuditLog.audit_id.desc()).limit(1)
    ).first()
    rows = session.scalar(select(func.count()).select_from(AuditLog)) or 0
    keyed_from = session.scalar(
        select(func.min(AuditLog.audit_id)).where(AuditLog.hash_scheme == SCHEME_HMAC)
    )
    if last is None:
        return None, GENESIS_HASH, rows, keyed_from
    return int(last[0]), str(last[1]), int(rows), keyed_from


def write_checkpoint(
    session: Session,
    actor: ActorLike | None = None,
    settings: Settings | None = None,
    *,
    only_if_changed: bool = False,
) -> Checkpoint | None:
    """Anchor the chain's head outside the database now; commit the session.

    Appends an ``audit_anchor`` row (so a removed checkpoint file is noticed), commits, then
    appends a checkpoint of the head (which includes that row) to the checkpoint file,
    signed with a key derived from the audit key and chained to the previous checkpoint
    (``prev_sig``), and fsyncs it.

    Parameters
    ----------
    only_if_changed
        Write nothing (return ``None``) when the newest row is already covered by the last
        checkpoint (the scheduled job: an idle platform adds no rows).
    """
    settings = settings or get_settings()
    lock_path = checkpoint_path(settings).with_name(CHECKPOINT_FILE_NAME + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as lock:
        if os.name == "posix":  # one writer at a time (web jobs and the CLI): no forked chain
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        return _write_checkpoint_locked(session, actor, settings, only_if_changed)


def _write_checkpoint_locked(
    session: Session, actor: ActorLike | None, settings: Settings, only_if_changed: bool
) -> Checkpoint | None:
    key = load_audit_key(settings, create=True)
    assert key is not None
    path = checkpoint_path(settings)
    existing, _ = read_checkpoints(path)
    last_cp = existing[-1] if existing else None
    if only_if_changed and last_cp is not None:
        head_id, head_hash, _, _ = _head(session)
        if head_id == last_cp.audit_id and head_hash == last_cp.head_hash:
            session.rollback()
            return None
    audit(
        session,
        actor,
        ANCHOR_ACTION,
        "audit_log",
        "checkpoint",
        after={"checkpoint_file": str(path), "checkpoints_before": len(existing)},
    )
    session.commit()
    head_id, head_hash, rows, keyed_from = _head(session)
    session.rollback()
    assert head_id is not None
    body = {
        "v": 1,
        "audit_id": head_id,
        "head_hash": head_hash,
        "rows": rows,
        "keyed_from": keyed_from,
        "at": now_cst().isoformat(timespec="seconds"),
        "key_id": key_id(key),
        "prev_sig": last_cp.sig if last_cp is not None else "",
    }
    cp = Checkpoint(
        audit_id=head_id,
        head_hash=head_hash,
        rows=rows,
        keyed_from=keyed_from,
        at=str(body["at"]),
        key_id=str(body["key_id"]),
        prev_sig=str(body["prev_sig"]),
        sig=_checkpoint_sig(key, body),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**body, "sig": cp.sig}, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return cp


def _check_checkpoints(
    report: AuditChainReport,
    checkpoints: list[Checkpoint],
    hashes: dict[int, str],
    counts: dict[int, int],
    key: bytes | None,
    anchors: int,
    path: Path,
    first_keyed: int | None,
    max_problems: int,
) -> None:
    report.checkpoints = len(checkpoints)
    if not checkpoints:
        if anchors:
            report.problem(
                f"the chain records {anchors} checkpoint(s) but the checkpoint file {path} is "
                "missing or empty (removed?)",
                limit=max_problems,
            )
        else:
            report.warnings.append(
                "no checkpoint yet: removal of the newest rows cannot be detected "
                "(run `lantian audit anchor`)"
            )
        return
    if anchors > len(checkpoints):
        report.problem(
            f"the chain records {anchors} checkpoints but the file has {len(checkpoints)} "
            "(checkpoints removed?)",
            limit=max_problems,
        )
    current_id = key_id(key) if key is not None else None
    prev_sig = ""
    for n, cp in enumerate(checkpoints, start=1):
        where = f"checkpoint {n} (row {cp.audit_id}, {cp.at})"
        if key is not None:
            if cp.key_id != current_id:
                report.problem(
                    f"{where} was signed with key {cp.key_id}, the current key is "
                    f"{current_id}: the audit key was replaced",
                    limit=max_problems,
                )
            elif not hmac.compare_digest(_checkpoint_sig(key, cp.body()), cp.sig):
                report.problem(f"{where}: signature invalid (altered)", limit=max_problems)
        if cp.prev_sig != prev_sig:
            report.problem(
                f"{where}: does not follow the previous checkpoint (removed or reordered)",
                limit=max_problems,
            )
        prev_sig = cp.sig
        stored = hashes.get(cp.audit_id)
        if stored is None:
            report.problem(
                f"row {cp.audit_id}, covered by {where}, is missing (rows deleted)",
                cp.audit_id,
                limit=max_problems,
            )
        elif stored != cp.head_hash:
            report.problem(
                f"row {cp.audit_id}: its hash differs from {where} (chain rewritten)",
                cp.audit_id,
                limit=max_problems,
            )
        elif counts.get(cp.audit_id) != cp.rows:
            report.problem(
                f"{where} covers {cp.rows} rows, the database holds "
                f"{counts.get(cp.audit_id)} up to that row (rows deleted)",
                cp.audit_id,
                limit=max_problems,
            )
        if cp.keyed_from is not None and first_keyed != cp.keyed_from:
            report.problem(
                f"keyed rows start at {first_keyed}, {where} says {cp.keyed_from} "
                "(rows downgraded to plain SHA-256)",
                first_keyed,
                limit=max_problems,
            )


def verify_audit_chain(
    session: Session,
    *,
    max_problems: int = 20,
    settings: Settings | None = None,
    ledger: list[tuple[int, str]] | None = None,
) -> AuditChainReport:
    """Recompute every row's hash in id order and check it against the checkpoints.

    Parameters
    ----------
    session
        Open session on the operational database.
    max_problems
        At most this many problem texts are kept (all are counted in ``ok``).
    settings
        Where the key and checkpoint file are (default: :func:`get_settings`).
    ledger
        ``(row id, head hash)`` pairs copied from a paper ledger; each must match.

    Returns
    -------
    AuditChainReport
        ``ok`` is false when any row was altered, removed or inserted out of order, a
        keyed chain was recomputed without the key, a row a checkpoint covers is gone
        (the tail included), a checkpoint was removed or altered, or the key was replaced.
    """
    settings = settings or get_settings()
    key = load_audit_key(settings)
    report = AuditChainReport(ok=True, rows=0, key_id=key_id(key) if key is not None else None)
    path = checkpoint_path(settings)
    checkpoints, unreadable = read_checkpoints(path)
    for text_ in unreadable:
        report.problem(text_, limit=max_problems)
    wanted = {cp.audit_id for cp in checkpoints} | {row_id for row_id, _ in ledger or []}
    hashes: dict[int, str] = {}
    counts: dict[int, int] = {}
    prev = GENESIS_HASH
    first_keyed: int | None = None
    anchors = 0
    key_failures = 0
    result = session.execute(select(AuditLog).order_by(AuditLog.audit_id)).scalars()
    for row in result:
        report.rows += 1
        scheme = row.hash_scheme or SCHEME_SHA256
        if row.action == ANCHOR_ACTION:
            anchors += 1
        problem = None
        if scheme == SCHEME_HMAC:
            report.keyed_rows += 1
            if first_keyed is None:
                first_keyed = row.audit_id
        if row.prev_hash != prev:
            problem = f"row {row.audit_id}: prev_hash does not match the previous row (removed?)"
        elif scheme == SCHEME_SHA256 and first_keyed is not None:
            problem = (
                f"row {row.audit_id}: plain SHA-256 after keyed rows (chain recomputed "
                "without the key)"
            )
        elif scheme == SCHEME_HMAC and key is None:
            pass  # reported once below
        elif scheme not in (SCHEME_SHA256, SCHEME_HMAC):
            problem = f"row {row.audit_id}: unknown hash scheme {scheme}"
        elif compute_hash(prev, row, key) != row.hash:
            problem = f"row {row.audit_id}: content does not match its hash (altered)"
            if scheme == SCHEME_HMAC:
                key_failures += 1
        if problem is not None:
            report.problem(problem, row.audit_id, limit=max_problems)
        if row.audit_id in wanted:
            hashes[row.audit_id] = row.hash
            counts[row.audit_id] = report.rows
        prev = row.hash
        report.last_id = row.audit_id
    report.last_hash = prev
    if report.keyed_rows and key is None:
        report.problem(
            f"{report.keyed_rows} keyed rows but no audit key (LANTIAN_AUDIT_KEY or "
            f"{audit_key_path(settings)}): cannot verify them"
        )
    elif key_failures and key_failures == report.keyed_rows:
        report.problems.insert(
            0, "no keyed row matches the current audit key: the key was replaced (or lost)"
        )
    if report.rows and not report.keyed_rows:
        report.warnings.append("no keyed row yet: the chain is plain SHA-256 so far")
    _check_checkpoints(
        report, checkpoints, hashes, counts, key, anchors, path, first_keyed, max_problems
    )
    for row_id, head in ledger or []:
        if hashes.get(row_id) != head:
            report.problem(
                f"row {row_id}: does not match the paper ledger "
                f"({'missing' if row_id not in hashes else 'different hash'})",
                row_id,
                limit=max_problems,
            )
    if key is not None and os.name == "posix" and not settings.audit_key.get_secret_value():
        kp = audit_key_path(settings)
        if kp.exists() and kp.stat().st_mode & 0o077:
            report.warnings.append(f"{kp} is readable by others: chmod 600 it")
    return report
