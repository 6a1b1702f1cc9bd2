"""The remote QC queue: commands queued by officers or the schedule, sent by the gateway,
answered by the logger, judged, and failures stored as QC_FAILURE leads.

Life of a command (:data:`lantian.qc.commands.QUEUE_STATES`): an officer who sees the
outlet (or the schedule) queues it (``qc.queue``, audited); the gateway claims the queued
commands of loggers that are connected (:func:`claim_for_sending`: QN assigned, ``sent``)
and writes them on the logger's open connection; the answers are recorded as they arrive
(:func:`record_answer`); a command with no answer ``answer_timeout_s`` after it was sent
times out, and one never sent by ``expires_at`` expires (:func:`sweep`). A finished
command is judged (:func:`lantian.qc.commands.evaluate`); a failed check opens or extends
the device's ``QC_FAILURE`` lead (设备质控不合格, rule ``DEVICE-QC``) through the device-lead
store (:func:`lantian.leads.device.upsert_device_lead`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import can_see, visible
from lantian.leads.device import QC_RULE
from lantian.qc.commands import (
    COMMANDS,
    FINAL_STATES,
    answer_meaning,
    build_request,
    evaluate,
    system_time_param,
)
from lantian.qc.config import QcConfig, load_qc_config
from lantian.qc.models import QcCommand
from lantian.registry.models import Outlet
from lantian.timeutil import now_cst, to_cst


def queue_command(
    session: Session,
    user: User | None,
    outlet_id: str,
    cn: str,
    *,
    params: dict[str, Any] | None = None,
    scheduled: bool = False,
    config: QcConfig | None = None,
    now: datetime | None = None,
    reason: str | None = None,
) -> QcCommand:
    """Queue request ``cn`` for the data logger of ``outlet_id`` (an officer who sees the
    outlet, or the system when ``user`` is None). 1012 without ``SystemTime`` gets the
    platform's clock at sending time. ``reason`` is added to the audit note."""
    config = config or load_qc_config()
    now = to_cst(now) if now is not None else now_cst()
    if cn not in COMMANDS:
        known = "、".join(f"{c}（{s.zh}）" for c, s in COMMANDS.items())
        raise ValidationError(f"不支持的质控命令：{cn}（可用：{known}）", field="cn")
    if user is not None:
        if user.role not in OFFICER_ROLES:
            raise PermissionDenied("只有执法人员可以下发质控命令 (officers only)")
        if not can_see(session, user, "outlet", outlet_id):
            raise NotFound(f"outlet {outlet_id} not found")
    outlet = session.get(Outlet, outlet_id)
    if outlet is None:
        raise NotFound(f"outlet {outlet_id} not found")
    if not outlet.mn:
        raise ValidationError(
            f"排口 {outlet_id} 没有登记数采仪 MN，无法远程质控", field="outlet_id"
        )
    cmd = QcCommand(
        mn=outlet.mn,
        outlet_id=outlet.outlet_id,
        cn=cn,
        check_kind=COMMANDS[cn].check,
        params=dict(params or {}),
        status="queued",
        created_at=now,
        created_by=user.user_id if user is not None else None,
        scheduled=scheduled,
        expires_at=now + timedelta(hours=config.expire_hours),
    )
    session.add(cmd)
    session.flush()
    audit(
        session,
        user,
        "qc.queue",
        "qc_command",
        cmd.command_id,
        after=snapshot(cmd),
        note=f"{cn} {COMMANDS[cn].zh} → {outlet.mn}" + (f"（{reason}）" if reason else ""),
        at=now,
    )
    return cmd


TIME_REQUEST_QUIET_S = 600.0
"""A logger's 1013 gets no new 1012 while one is pending or was queued for it this
recently [s]: a logger repeating its request (or a hostile one) cannot flood the queue."""


def answer_time_requests(
    session: Session,
    mns: Iterable[str],
    now: datetime | None = None,
    config: QcConfig | None = None,
) -> list[QcCommand]:
    """Queue a 1012 (set the logger's time to the platform's clock when sent) for each MN
    that sent a 1013 time-calibration request, unless a 1012 of that MN is pending or was
    queued in the last :data:`TIME_REQUEST_QUIET_S`. An MN without a registered outlet is
    skipped (remote QC addresses outlets' loggers).

    References
    ----------
    .. [1] HJ 212-2017 Appendix C, Table C.3 (1013 现场机时间校准请求, logger → platform)
       and Table C.2 (1012 设置现场机时间, platform → logger).
    """
    config = config or load_qc_config()
    now = to_cst(now) if now is not None else now_cst()
    wanted = sorted(set(mns))
    if not wanted:
        return []
    since = now - timedelta(seconds=TIME_REQUEST_QUIET_S)
    busy = set(
        session.scalars(
            select(QcCommand.mn).where(
                QcCommand.cn == "1012",
                QcCommand.mn.in_(wanted),
                or_(
                    QcCommand.status.in_(("queued", "sent", "acknowledged")),
                    QcCommand.created_at > since,
                ),
            )
        )
    )
    outlets: dict[str, str] = {}  # MN → its first outlet
    for mn, outlet_id in session.execute(
        select(Outlet.mn, Outlet.outlet_id)
        .where(Outlet.mn.in_([m for m in wanted if m not in busy]))
        .order_by(Outlet.outlet_id)
    ):
        outlets.setdefault(str(mn), outlet_id)
    made: list[QcCommand] = []
    for _mn, outlet_id in sorted(outlets.items()):
        made.append(
            queue_command(
                session,
                None,
                outlet_id,
                "1012",
                config=config,
                now=now,
                reason="数采仪请求校时 1013 logger asked for the time",
            )
        )
    return made


@dataclass(frozen=True)
class Outgoing:
    """A claimed command ready to be written to the logger's connection."""

    command_id: int
    mn: str
    qn: str
    frame: bytes


def _qn(now: datetime, command_id: int) -> str:
    """A 17-digit QN ``YYYYMMDDhhmmss`` + 3 digits, unique per command within a second."""
    return to_cst(now).strftime("%Y%m%d%H%M%S") + f"{command_id % 1000:03d}"


def claim_for_sending(
    session: Session,
    connected: Iterable[str] | Mapping[str, str],
    now: datetime | None = None,
) -> list[Outgoing]:
    """Mark the queued, unexpired commands of connected loggers as sent (QN assigned) and
    return their frames. Commands of one logger go oldest first. ``connected`` may map
    each MN to the HJ 212 version its packets use (``2017`` or ``2025``: the request is
    built in that version's form); a plain list means 2017."""
    versions = dict(connected) if isinstance(connected, Mapping) else {}
    mns = sorted(set(connected))
    if not mns:
        return []
    now = to_cst(now) if now is not None else now_cst()
    out: list[Outgoing] = []
    rows = session.scalars(
        select(QcCommand)
        .where(QcCommand.status == "queued", QcCommand.mn.in_(mns), QcCommand.expires_at > now)
        .order_by(QcCommand.command_id)
    ).all()
    for cmd in rows:
        outlet = session.get(Outlet, cmd.outlet_id) if cmd.outlet_id else None
        params = dict(cmd.params or {})
        if cmd.cn == "1012" and "SystemTime" not in params:
            params["SystemTime"] = system_time_param(now)
        qn = _qn(now, cmd.command_id)
        frame = build_request(
            cmd.cn,
            cmd.mn,
            qn=qn,
            pw=(outlet.pw if outlet else None) or "123456",
            params=params,
            version="2025" if versions.get(cmd.mn) == "2025" else "2017",
        )
        cmd.status = "sent"
        cmd.qn = qn
        cmd.sent_at = now
        cmd.params = params
        out.append(Outgoing(cmd.command_id, cmd.mn, qn, frame))
    session.flush()
    return out


def _finish(session: Session, cmd: QcCommand, status: str, at: datetime, config: QcConfig) -> None:
    before = {"status": cmd.status}
    cmd.status = status
    cmd.finished_at = at
    verdict = evaluate(
        cmd.cn,
        status,
        qn_rtn=cmd.qn_rtn,
        exe_rtn=cmd.exe_rtn,
        data=(cmd.result or {}).get("data"),
        answered_at=cmd.answered_at,
        clock_tolerance_s=config.clock_tolerance_s,
    )
    if verdict is not None:
        cmd.passed = verdict.passed
        cmd.verdict = verdict.reason
        cmd.result = {**(cmd.result or {}), "figures": verdict.figures}
        if not verdict.passed:
            _failure_lead(session, cmd, verdict.reason, verdict.figures, at)
    session.flush()
    audit(
        session,
        None,
        "qc.finish",
        "qc_command",
        cmd.command_id,
        before=before,
        after={"status": status, "passed": cmd.passed, "verdict": cmd.verdict},
        at=at,
    )


def _failure_lead(
    session: Session, cmd: QcCommand, reason: str, figures: dict[str, Any], at: datetime
) -> None:
    from lantian.leads.device import upsert_device_lead

    outlet = session.get(Outlet, cmd.outlet_id) if cmd.outlet_id else None
    if outlet is None:
        return
    lead = upsert_device_lead(
        session,
        rule=QC_RULE,
        subject_type="outlet",
        subject_id=outlet.outlet_id,
        enterprise_id=outlet.enterprise_id,
        at=at,
        event={
            "command_id": cmd.command_id,
            "cn": cmd.cn,
            "check": cmd.check_kind,
            "at": at.isoformat(),
            "reason": reason,
            **{k: v for k, v in figures.items() if isinstance(v, str | int | float)},
        },
        summary=f"{outlet.name}（数采仪 {cmd.mn}）远程质控不合格：{reason}",
        severity=2,
        score=0.9,
        extra={"mn": cmd.mn, "remedy": "核查数采仪及分析仪，按 HJ 75-2017 完成校准后复核"},
    )
    cmd.lead_id = lead.lead_id


def _command_by_qn(session: Session, mn: str, qn: str) -> QcCommand | None:
    return session.scalars(
        select(QcCommand).where(
            QcCommand.mn == mn,
            QcCommand.qn == qn,
            QcCommand.status.in_(("sent", "acknowledged")),
        )
    ).first()


def record_answer(
    session: Session,
    mn: str,
    qn: str,
    cn: str,
    fields: dict[str, Any],
    *,
    at: datetime | None = None,
    config: QcConfig | None = None,
) -> QcCommand | None:
    """Record one answer (9011, the data upload, 9012) of the command with ``qn``; the
    command (finished when the answer ends it), or None when no command waits for it."""
    config = config or load_qc_config()
    at = to_cst(at) if at is not None else now_cst()
    cmd = _command_by_qn(session, mn, qn)
    if cmd is None:
        return None
    kind, code = answer_meaning(cn, fields)
    if kind == "request":
        cmd.qn_rtn = code
        cmd.answered_at = cmd.answered_at or at
        if code == "1":
            cmd.status = "acknowledged"
            session.flush()
        else:
            _finish(session, cmd, "failed", at, config)
    elif kind == "execution":
        cmd.exe_rtn = code
        cmd.answered_at = cmd.answered_at or at
        _finish(session, cmd, "done" if code == "1" else "failed", at, config)
    else:
        result = dict(cmd.result or {})
        result["data"] = {**dict(result.get("data") or {}), **fields}
        cmd.result = result
        cmd.answered_at = at  # the data's arrival: when the logger read its clock
        session.flush()
    return cmd


def sweep(
    session: Session, now: datetime | None = None, config: QcConfig | None = None
) -> list[QcCommand]:
    """Time out sent commands without an answer in time; expire queued ones never sent.
    Returns the commands finished here."""
    config = config or load_qc_config()
    now = to_cst(now) if now is not None else now_cst()
    cutoff = now - timedelta(seconds=config.answer_timeout_s)
    done: list[QcCommand] = []
    for cmd in session.scalars(
        select(QcCommand).where(
            or_(
                QcCommand.status.in_(("sent", "acknowledged")) & (QcCommand.sent_at < cutoff),
                (QcCommand.status == "queued") & (QcCommand.expires_at <= now),
            )
        )
    ):
        if cmd.status == "queued":
            _finish(session, cmd, "expired", now, config)
        elif (
            cmd.status == "acknowledged"
            and cmd.exe_rtn is None
            and cmd.check_kind == "clock"
            and (cmd.result or {}).get("data")
        ):
            # 1011 answered with its data but no 9012: judge the data
            _finish(session, cmd, "done", now, config)
        else:
            _finish(session, cmd, "timeout", now, config)
        done.append(cmd)
    return done


def list_commands(
    session: Session,
    user: User,
    *,
    outlet_id: str | None = None,
    mn: str | None = None,
    limit: int = 200,
) -> list[QcCommand]:
    """Commands of the outlets ``user`` sees (officers), newest first."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以查看远程质控 (officers only)")
    stmt = (
        select(QcCommand)
        .join(Outlet, Outlet.outlet_id == QcCommand.outlet_id)
        .where(visible(user, "outlet", session=session))
        .order_by(QcCommand.command_id.desc())
    )
    if outlet_id:
        stmt = stmt.where(QcCommand.outlet_id == outlet_id)
    if mn:
        stmt = stmt.where(QcCommand.mn == mn)
    return list(session.scalars(stmt.limit(limit)))


def queue_bulk(
    session: Session, user: User, cn: str, *, now: datetime | None = None
) -> list[QcCommand]:
    """Queue request ``cn`` for every outlet with an MN that ``user`` sees (批量质控)."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以下发质控命令 (officers only)")
    outlets = session.scalars(
        select(Outlet.outlet_id)
        .where(Outlet.mn.is_not(None), visible(user, "outlet", session=session))
        .order_by(Outlet.outlet_id)
    ).all()
    config = load_qc_config()
    return [queue_command(session, user, o, cn, config=config, now=now) for o in outlets]


def queue_due(
    session: Session, now: datetime | None = None, config: QcConfig | None = None
) -> list[QcCommand]:
    """The schedule: queue each configured check for every outlet with an MN whose last
    command of that check is older than the check's interval (or that never had one)."""
    config = config or load_qc_config()
    now = to_cst(now) if now is not None else now_cst()
    outlets = session.scalars(select(Outlet).where(Outlet.mn.is_not(None))).all()
    made: list[QcCommand] = []
    for entry in config.schedule:
        since = now - timedelta(hours=entry.every_hours)
        recent = {
            oid
            for (oid,) in session.execute(
                select(QcCommand.outlet_id).where(
                    QcCommand.cn == entry.cn, QcCommand.created_at > since
                )
            )
        }
        for outlet in outlets:
            if outlet.outlet_id in recent:
                continue
            if entry.outlets and outlet.outlet_id not in entry.outlets:
                continue
            made.append(
                queue_command(
                    session,
                    None,
                    outlet.outlet_id,
                    entry.cn,
                    scheduled=True,
                    config=config,
                    now=now,
                )
            )
    return made


def finished(commands: Sequence[QcCommand]) -> list[QcCommand]:
    """The commands of ``commands`` in a final state."""
    return [c for c in commands if c.status in FINAL_STATES]


__all__ = [
    "QC_RULE",
    "Outgoing",
    "answer_time_requests",
    "claim_for_sending",
    "finished",
    "list_commands",
    "queue_bulk",
    "queue_command",
    "queue_due",
    "record_answer",
    "sweep",
]
