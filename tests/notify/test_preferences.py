"""Quiet hours, back-off and preference validation (pure; table-driven)."""

from __future__ import annotations

from datetime import datetime

import pytest

from lantian.notify.outbox import BACKOFF_MAX_S, backoff_s
from lantian.notify.preferences import deliver_after, in_quiet_hours
from lantian.timeutil import CST


@pytest.mark.parametrize(
    ("hour", "start", "end", "quiet"),
    [
        (23, 22, 7, True),
        (0, 22, 7, True),
        (6, 22, 7, True),
        (7, 22, 7, False),
        (21, 22, 7, False),
        (12, 12, 14, True),
        (14, 12, 14, False),
        (11, 12, 14, False),
        (3, None, 7, False),
        (3, 5, 5, False),
    ],
)
def test_in_quiet_hours(hour: int, start: int | None, end: int | None, quiet: bool) -> None:
    assert in_quiet_hours(hour, start, end) is quiet


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 1, 23, 30, tzinfo=CST), datetime(2026, 3, 2, 7, 0, tzinfo=CST)),
        (datetime(2026, 3, 2, 1, 5, tzinfo=CST), datetime(2026, 3, 2, 7, 0, tzinfo=CST)),
        (datetime(2026, 3, 2, 9, 0, tzinfo=CST), datetime(2026, 3, 2, 9, 0, tzinfo=CST)),
    ],
)
def test_deliver_after_moves_to_the_end_of_quiet_hours(now: datetime, expected: datetime) -> None:
    assert deliver_after(now, 22, 7) == expected


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [60.0, 120.0, 240.0, 480.0]
    assert backoff_s(30) == BACKOFF_MAX_S
