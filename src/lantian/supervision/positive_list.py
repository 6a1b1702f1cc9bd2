"""正面清单 review: proposed additions and removals from the entry criteria (pure).

An enterprise meets the criteria when its 绩效分级 is one of ``[positive_list] grades``,
it has no confirmed lead in the last ``clean_months`` months and (when ``no_open_case``)
no open case. An enterprise on the list that fails a criterion is proposed for removal
(reasons: the failed criteria); one off the list that meets them all is proposed for
addition (reasons: the criteria met). An officer decides; nothing here changes the list.

References
----------
.. [1] 生态环境监督执法正面清单制度, introduced by the Ministry of Ecology and Environment
       in March 2020 (non-site checks first for listed enterprises, 无事不扰; the
       document number was not verified here). Entry criteria are local configuration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.supervision.config import PositiveListCriteria
from lantian.supervision.facts import EnterpriseFacts
from lantian.vocab.registry import GRADES as GRADES_VOCAB


@dataclass(frozen=True)
class Proposal:
    """A proposed change of the list for one enterprise."""

    enterprise_id: str
    change: str
    """``add`` or ``remove``."""
    reasons: tuple[str, ...]


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, 28))


def criteria_results(
    ent: EnterpriseFacts, criteria: PositiveListCriteria, as_of: dt.date
) -> list[tuple[bool, str]]:
    """Each criterion as (met, explanation in Chinese) for one enterprise."""
    out: list[tuple[bool, str]] = []
    grade_ok = ent.grade is not None and ent.grade in criteria.grades
    allowed = "、".join(GRADES_VOCAB.name(g) for g in criteria.grades)
    grade = GRADES_VOCAB.name(ent.grade) if ent.grade else "未分级"
    out.append(
        (
            grade_ok,
            f"绩效分级为{grade}，" + ("属于" if grade_ok else "不属于") + f"纳入等级（{allowed}）",
        )
    )
    since = _months_before(as_of, criteria.clean_months)
    bad = sorted(
        lf.end for lf in ent.leads if lf.outcome == "confirmed" and since <= lf.end <= as_of
    )
    out.append(
        (
            not bad,
            f"近{criteria.clean_months}个月无认定属实的线索"
            if not bad
            else f"近{criteria.clean_months}个月有{len(bad)}条认定属实的线索"
            f"（最近一条结束于{bad[-1].isoformat()}）",
        )
    )
    if criteria.no_open_case:
        out.append(
            (
                ent.open_cases == 0,
                "无未办结案件" if ent.open_cases == 0 else f"有{ent.open_cases}件未办结案件",
            )
        )
    return out


def review_positive_list(
    enterprises: list[EnterpriseFacts] | tuple[EnterpriseFacts, ...],
    criteria: PositiveListCriteria,
    as_of: dt.date,
) -> list[Proposal]:
    """Proposed additions and removals, sorted by enterprise id."""
    out: list[Proposal] = []
    for ent in sorted(enterprises, key=lambda e: e.enterprise_id):
        results = criteria_results(ent, criteria, as_of)
        meets = all(ok for ok, _ in results)
        if ent.positive_list and not meets:
            out.append(
                Proposal(ent.enterprise_id, "remove", tuple(t for ok, t in results if not ok))
            )
        elif not ent.positive_list and meets:
            out.append(Proposal(ent.enterprise_id, "add", tuple(t for _, t in results)))
    return out


def review_json(
    proposals: list[Proposal], criteria: PositiveListCriteria, as_of: dt.date
) -> dict[str, Any]:
    """JSON-ready review: the date, the criteria and the proposals."""
    return {
        "as_of": as_of.isoformat(),
        "criteria": {
            "grades": list(criteria.grades),
            "clean_months": criteria.clean_months,
            "no_open_case": criteria.no_open_case,
        },
        "proposals": [
            {"enterprise_id": p.enterprise_id, "change": p.change, "reasons": list(p.reasons)}
            for p in proposals
        ],
    }


# --------------------------------------------------------------------------- lifecycle

LIST_STATES: tuple[str, ...] = ("off", "listed", "suspended")
"""States of an enterprise on the 正面清单: not on it, on it, suspended (暂停)."""
_TRANSITIONS: dict[tuple[str, str], str] = {
    ("off", "add"): "listed",
    ("listed", "suspend"): "suspended",
    ("listed", "remove"): "off",
    ("suspended", "reinstate"): "listed",
    ("suspended", "remove"): "off",
}
"""(state, action) → next state; any other pair is refused."""


class ListTransitionError(ValueError):
    """A decision that does not apply to the enterprise's current state."""


def state_after(action: str | None) -> str:
    """The state an enterprise is in after its newest decision (``None``: no decision)."""
    if action is None or action == "remove":
        return "off"
    return "suspended" if action == "suspend" else "listed"


def next_state(state: str, action: str) -> str:
    """The state after ``action`` from ``state`` (纳入 only when off, 暂停 only when listed,
    恢复 only when suspended, 移出 when listed or suspended).

    Raises
    ------
    ListTransitionError
        Naming the state and the action.
    """
    nxt = _TRANSITIONS.get((state, action))
    if nxt is None:
        raise ListTransitionError(f"cannot {action} an enterprise in state {state!r}")
    return nxt


def suspension_due(state: str, suspend_on_confirmed: bool) -> bool:
    """Whether a confirmed case (问题属实) suspends the enterprise: only a listed one, and
    only when ``[positive_list] suspend_on_confirmed`` is on."""
    return suspend_on_confirmed and state == "listed"


def push_rule(listed: bool, event_kind: str, listed_events: tuple[str, ...]) -> bool:
    """Pure rule of :func:`push_allowed`: an enterprise not on the list gets every push; a
    listed one only the events of ``[positive_list] listed_push_events`` (无事不扰)."""
    return not listed or event_kind in listed_events


def push_allowed(session: Session, enterprise_id: str, event_kind: str) -> bool:
    """Whether a push about ``enterprise_id`` of kind ``event_kind`` may be sent.

    For the notification service (``lantian.notify``): call it before pushing anything
    about an enterprise. ``event_kind`` is the notification event code (``lead_high``,
    ``dispatched`` …). An enterprise on the 正面清单 (suspended ones are not) gets only the
    events listed in ``[positive_list] listed_push_events`` of the supervision
    configuration (default: ``lead_high``, high-severity leads only); every other
    enterprise, and an unknown one, gets every push.

    References
    ----------
    .. [1] 正面清单 "无事不扰" (MEE 2020, unverified document number): fewer disturbances
       for listed enterprises. Which pushes remain is local configuration.
    """
    from lantian.registry.models import Enterprise
    from lantian.settings import get_settings
    from lantian.supervision.config import load_config

    listed = session.scalar(
        select(Enterprise.positive_list).where(Enterprise.enterprise_id == enterprise_id)
    )
    config = load_config(get_settings().supervision_config)
    return push_rule(bool(listed), event_kind, config.positive_list.listed_push_events)
