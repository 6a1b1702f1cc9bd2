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

from lantian.supervision.config import PositiveListCriteria
from lantian.supervision.facts import EnterpriseFacts


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
    """Each criterion as (met, explanation) for one enterprise."""
    out: list[tuple[bool, str]] = []
    grade_ok = ent.grade is not None and ent.grade in criteria.grades
    out.append(
        (
            grade_ok,
            f"绩效分级 {ent.grade or 'not graded'}"
            + (" is" if grade_ok else " is not")
            + f" one of {', '.join(criteria.grades)}",
        )
    )
    since = _months_before(as_of, criteria.clean_months)
    bad = sorted(
        lf.end for lf in ent.leads if lf.outcome == "confirmed" and since <= lf.end <= as_of
    )
    out.append(
        (
            not bad,
            f"no confirmed lead in the last {criteria.clean_months} months"
            if not bad
            else f"{len(bad)} confirmed lead(s) in the last {criteria.clean_months} months "
            f"(latest ended {bad[-1].isoformat()})",
        )
    )
    if criteria.no_open_case:
        out.append(
            (
                ent.open_cases == 0,
                "no open case" if ent.open_cases == 0 else f"{ent.open_cases} open case(s)",
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
