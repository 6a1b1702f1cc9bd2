"""Vocabularies of remote quality control (远程质控) through HJ 212 request commands."""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

QC_COMMAND_STATES: Vocabulary[str] = Vocabulary(
    "qc_command_state",
    [
        Term("queued", "待下发", "Queued"),
        Term("sent", "已下发", "Sent"),
        Term("acknowledged", "已应答", "Acknowledged"),
        Term("done", "执行成功", "Done"),
        Term("failed", "执行失败", "Failed"),
        Term("timeout", "应答超时", "Timed out"),
        Term("expired", "未下发即过期", "Expired"),
    ],
)
"""States of a queued QC command (``qc_commands.status``)."""
QC_CHECKS: Vocabulary[str] = Vocabulary(
    "qc_check",
    [
        Term("clock", "时钟核查", "Clock check"),
        Term("set_time", "校时", "Set time"),
        Term("realtime", "实时数据提取", "Real-time data"),
        Term("zero_span", "零点量程校准", "Zero / span calibration"),
        Term("sampling", "即时采样", "Immediate sampling"),
        Term("info", "现场机信息提取", "Field-unit information"),
    ],
)
"""What a QC command checks (``qc_commands.check_kind``)."""
