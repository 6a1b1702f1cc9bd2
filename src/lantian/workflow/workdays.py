"""Working-day deadlines in China Standard Time (立行立改 and converted 督办 deadlines).

A working day is Monday to Friday in CST. Public holidays and the make-up working days
(调休) of the State Council's yearly holiday notice are **not** handled: a deadline that
spans 国庆节 or 春节 falls earlier than the official count. The officer can always set a
督办 deadline by hand.

References
----------
.. [1] 国务院办公厅关于部分节假日安排的通知 (published yearly; holidays and 调休 days,
       not modelled here).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lantian.timeutil import to_cst


def is_working_day_cst(when: datetime) -> bool:
    """Whether ``when`` falls on Monday-Friday in CST (holidays not handled)."""
    return to_cst(when).weekday() < 5


def add_working_days_cst(start: datetime, working_days: int) -> datetime:
    """The end (23:59:59 CST) of the ``working_days``-th working day after ``start``.

    The day of ``start`` itself does not count, so an order given on a Friday with 3
    working days is due on the Wednesday after at 23:59:59 CST. ``working_days`` must be
    at least 1.
    """
    if working_days < 1:
        raise ValueError("working_days must be >= 1")
    day = to_cst(start)
    left = working_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day.replace(hour=23, minute=59, second=59, microsecond=0)


__all__ = ["add_working_days_cst", "is_working_day_cst"]
