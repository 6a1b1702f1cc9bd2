"""Time helpers. Lantian stores and shows times in China Standard Time (UTC+08:00).

HJ 212 ``DataTime`` and the exchange formats use local time without an offset; such
times are China Standard Time by convention.

References
----------
.. [1] HJ 212-2017, 污染物在线监控（监测）系统数据传输标准, §6.3 (DataTime, QN).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")
"""China Standard Time, UTC+08:00 (no daylight saving)."""


def now_cst() -> datetime:
    """Return the current time as an aware datetime in China Standard Time."""
    return datetime.now(CST)


def to_cst(value: datetime) -> datetime:
    """Return ``value`` in China Standard Time; a naive datetime is taken as CST already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=CST)
    return value.astimezone(CST)


def isoformat_cst(value: datetime) -> str:
    """Format ``value`` as ISO 8601 with ``+08:00``, e.g. ``2024-01-08T09:00:00+08:00``."""
    return to_cst(value).isoformat(timespec="seconds")


def parse_time_cst(text: str) -> datetime:
    """Parse an ISO 8601 time; without an offset it is China Standard Time.

    Raises
    ------
    ValueError
        If ``text`` is not an ISO 8601 date-time.
    """
    value = datetime.fromisoformat(text.strip())
    return to_cst(value)
