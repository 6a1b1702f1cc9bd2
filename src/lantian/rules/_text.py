"""Formatting helpers for Chinese lead summaries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lantian.rules.context import POLLUTANT_ZH


def cst(t: Any) -> datetime:
    """CST wall-clock epoch seconds → naive datetime."""
    return datetime(1970, 1, 1) + timedelta(seconds=int(t))


def span_zh(start_t: Any, end_t: Any) -> str:
    """``1月8日09:00至19:00`` (end exclusive, same day shortened)."""
    a, b = cst(start_t), cst(end_t)
    left = f"{a.month}月{a.day}日{a:%H:%M}"
    right = f"{b:%H:%M}" if a.date() == b.date() else f"{b.month}月{b.day}日{b:%H:%M}"
    return f"{left}至{right}"


def dur_zh(hours: Any) -> str:
    """``10小时`` or ``45分钟``."""
    h = float(hours)
    if h < 1:
        return f"{round(h * 60):d}分钟"
    if abs(h - round(h)) < 1e-6:
        return f"{round(h):d}小时"
    return f"{h:.1f}小时"


def num(v: Any) -> str:
    """Compact number: 64.4, 35, 0.12."""
    if v is None:
        return "—"
    f = float(v)
    if abs(f - round(f)) < 1e-9:
        return f"{round(f):d}"
    if abs(f) >= 100:
        return f"{f:.0f}"
    if abs(f) >= 10:
        return f"{f:.1f}"
    return f"{f:.2f}"


def pollutant_zh(code: Any) -> str:
    """HJ 212 code → Chinese name (code itself when unknown)."""
    return POLLUTANT_ZH.get(str(code), str(code))


def name(names: Any, kind: str, key: Any) -> str:
    """Display name from :meth:`Context.names` (the id when unknown)."""
    return str(names.get(kind, {}).get(str(key), str(key)))


def line_zh(line_id: Any) -> str:
    """``E0001-L1`` → ``生产线E0001-L1``."""
    return f"生产线{line_id}"
