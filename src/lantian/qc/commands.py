"""Remote quality-control commands (远程质控) of HJ 212: what the platform asks a data
logger, how the request is built, what the answers mean and when a check fails. Pure.

A request goes platform → logger with the Flag A bit set; the logger answers with the same
QN: first 9011 (``QnRtn``, 1 = ready to execute), then — for commands that return data —
an upload with the request's CN (1011 ``SystemTime``; 2011 real-time values; 3020
``iXXXXX-Info`` field-unit information), then 9012 (``ExeRtn``, 1 = success).

Checks judged (:func:`evaluate`):

* ``clock`` (1011): the logger's ``SystemTime`` against the platform's clock when the
  answer arrived; off by more than ``clock_tolerance_s`` fails;
* ``zero_span`` (3011), ``sampling`` (3012): an execution result other than success fails;
* every check: no answer within the timeout fails (the logger does not take commands).

Zero and span *drift* values are not part of the 3011 answer in HJ 212-2017 (vendors report
them through non-standard field-unit info codes), so a drift criterion (HJ 75-2017 §7:
e.g. ±2.5 % of full scale for SO2/NOx over 24 h) is not judged here; the execution result
is.

References
----------
.. [1] HJ 212-2017 §6.5.1 (request: 9011, upload, 9012), Table 6 (ExeRtn), Table 7
       (QnRtn), Appendix C Tables C.1-C.3 (1011 get logger time, 1012 set logger time,
       1013 time-calibration request), C.37/C.38 (3011, 3012), 3020 (field-unit info).
.. [2] HJ 212-2025 Appendix A.1 (``ST=32;CN=1011;Flag=9;CP=&&&&``: the 2025 form of the
       same request, Flag version bits 8).
.. [3] HJ 477-2009 污染源在线自动监控（监测）数据采集传输仪技术要求: the logger's clock
       (the ±60 s default tolerance is this project's choice, configurable; unverified
       against the standard's exact figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from lantian.protocol.hj212.codes import EXE_RTN, QN_RTN
from lantian.protocol.hj212.packet import build_packet

Version = Literal["2017", "2025"]


@dataclass(frozen=True)
class CommandSpec:
    """One request the platform may send."""

    cn: str
    check: str
    """What it checks: clock, set_time, realtime, zero_span, sampling, info."""
    zh: str
    en: str
    returns_data: bool
    """The logger uploads data with the request's CN between 9011 and 9012."""


COMMANDS: dict[str, CommandSpec] = {
    c.cn: c
    for c in (
        CommandSpec("1011", "clock", "提取现场机时间", "get logger time", True),
        CommandSpec("1012", "set_time", "设置现场机时间", "set logger time", False),
        CommandSpec("2011", "realtime", "提取实时数据", "get real-time data", True),
        CommandSpec("3011", "zero_span", "零点校准量程校准", "zero / span calibration", False),
        CommandSpec("3012", "sampling", "即时采样", "immediate sampling", False),
        CommandSpec("3020", "info", "提取现场机信息", "get field-unit information", True),
    )
}
"""The remote QC requests, by CN (HJ 212-2017 Table 9 / HJ 212-2025)."""
ANSWER_CNS: frozenset[str] = frozenset({"9011", "9012", *COMMANDS})
"""CNs a logger answers a request with (the gateway routes these to the QC tracker)."""
QUEUE_STATES: tuple[str, ...] = (
    "queued",
    "sent",
    "acknowledged",
    "done",
    "failed",
    "timeout",
    "expired",
)
"""A command's life: queued → sent → acknowledged (9011 QnRtn=1) → done (9012 ExeRtn=1);
or failed (QnRtn/ExeRtn other than 1), timeout (no answer in time) or expired (never sent:
the logger did not connect before the deadline)."""
FINAL_STATES: frozenset[str] = frozenset({"done", "failed", "timeout", "expired"})
PLATFORM_ST = "32"
"""System code the platform writes on requests (the Appendix C examples use the
logger's system, 32 for air emission sources in the 2017 examples)."""


def build_request(
    cn: str,
    mn: str,
    *,
    qn: str,
    pw: str = "123456",
    st: str = PLATFORM_ST,
    version: Version = "2017",
    params: dict[str, Any] | None = None,
) -> bytes:
    """The request frame of ``cn`` for logger ``mn`` (Flag A bit: answers wanted).

    ``params``: CP fields (e.g. ``{"PolId": "a21026"}`` for 3011 of one analyser,
    ``{"SystemTime": "20261203101500"}`` for 1012). 1012 without ``SystemTime`` is refused.
    """
    if cn not in COMMANDS:
        raise ValueError(f"not a remote QC command: {cn}")
    cp = dict(params or {})
    if cn == "1012" and "SystemTime" not in cp:
        raise ValueError("1012 needs SystemTime (YYYYMMDDhhmmss)")
    return build_packet(st, cn, mn, cp, qn=qn, pw=pw, ack=True, version=version)


def system_time_param(when: datetime) -> str:
    """``SystemTime`` for 1012: CST wall clock ``YYYYMMDDhhmmss`` (HJ 212 times are CST)."""
    from lantian.timeutil import to_cst

    return to_cst(when).strftime("%Y%m%d%H%M%S")


def answer_meaning(cn: str, cp: dict[str, Any]) -> tuple[str, str | None]:
    """(kind, code) of an answer: ``request`` with QnRtn, ``execution`` with ExeRtn, or
    ``data`` (the upload of a data-returning command)."""
    if cn == "9011":
        return "request", str(cp.get("QnRtn", "")) or None
    if cn == "9012":
        return "execution", str(cp.get("ExeRtn", "")) or None
    return "data", None


def code_text(kind: str, code: str | None) -> str:
    """The standard's meaning of a QnRtn / ExeRtn code (Tables 6, 7)."""
    table = QN_RTN if kind == "request" else EXE_RTN
    return table.get(code or "", f"未知代码 {code}")


def parse_system_time(text: str) -> datetime:
    """``SystemTime`` ``YYYYMMDDhhmmss`` (CST) → aware datetime."""
    from lantian.timeutil import CST

    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CST)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: passed or not, why, and the figures."""

    passed: bool
    reason: str
    figures: dict[str, Any]


def evaluate(
    cn: str,
    status: str,
    *,
    qn_rtn: str | None = None,
    exe_rtn: str | None = None,
    data: dict[str, Any] | None = None,
    answered_at: datetime | None = None,
    clock_tolerance_s: float = 60.0,
) -> Verdict | None:
    """Judge a finished command (``status`` in :data:`FINAL_STATES`); None when there is
    nothing to judge (an expired command was never sent: not the logger's fault yet)."""
    spec = COMMANDS[cn]
    if status == "expired":
        return None
    if status == "timeout":
        return Verdict(False, f"{spec.zh}：数采仪未在时限内应答", {"status": status})
    if qn_rtn is not None and qn_rtn != "1":
        return Verdict(
            False,
            f"{spec.zh}：请求被拒绝（QnRtn={qn_rtn}，{code_text('request', qn_rtn)}）",
            {"qn_rtn": qn_rtn},
        )
    if exe_rtn is not None and exe_rtn != "1":
        return Verdict(
            False,
            f"{spec.zh}：执行失败（ExeRtn={exe_rtn}，{code_text('execution', exe_rtn)}）",
            {"exe_rtn": exe_rtn},
        )
    if spec.check == "clock":
        raw = (data or {}).get("SystemTime")
        if not raw or answered_at is None:
            return Verdict(False, "提取现场机时间：应答中没有 SystemTime", {})
        try:
            logger_time = parse_system_time(str(raw))
        except ValueError:
            return Verdict(False, f"提取现场机时间：SystemTime 格式错误（{raw}）", {})
        offset = (logger_time - answered_at).total_seconds()
        figures = {
            "logger_time": str(raw),
            "offset_s": round(offset, 1),
            "tolerance_s": clock_tolerance_s,
        }
        if abs(offset) > clock_tolerance_s:
            way = "快" if offset > 0 else "慢"
            return Verdict(
                False,
                f"数采仪时钟{way} {abs(offset):.0f} 秒，超过允许误差 {clock_tolerance_s:.0f} 秒",
                figures,
            )
        return Verdict(True, f"数采仪时钟误差 {offset:+.0f} 秒，合格", figures)
    if status == "done":
        return Verdict(True, f"{spec.zh}：执行成功", {"exe_rtn": exe_rtn or "1"})
    return Verdict(False, f"{spec.zh}：状态 {status}", {"status": status})


__all__ = [
    "ANSWER_CNS",
    "COMMANDS",
    "FINAL_STATES",
    "QUEUE_STATES",
    "CommandSpec",
    "Verdict",
    "answer_meaning",
    "build_request",
    "code_text",
    "evaluate",
    "parse_system_time",
    "system_time_param",
]
