"""Per-rule precision of the stored leads, from officers' judgements (``Lead.outcome``).

:func:`rule_precision` (scoped, with a Wilson lower bound) feeds the dashboard;
:func:`rule_stats` adds open-lead counts for ``lantian rules stats``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lantian.auth.scope import UserLike
from lantian.leads.models import Lead
from lantian.leads.scope import lead_scope


@dataclass(frozen=True)
class RulePrecision:
    """Outcome counts of one rule's leads; ``precision = confirmed / (confirmed + fp)``.

    ``wilson_low`` is the lower bound of the 95 % Wilson score interval of the precision.

    References
    ----------
    .. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical
           inference", J. Am. Stat. Assoc. 22 (1927) 209-212.
    """

    rule: str
    leads: int
    judged: int
    confirmed: int
    false_positive: int
    precision: float | None
    wilson_low: float | None


def _wilson_low(k: int, n: int, z: float = 1.959964) -> float | None:
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def rule_precision(session: Session, user: UserLike | None = None) -> list[RulePrecision]:
    """Per-rule precision from officers' judgements (``Lead.outcome``), one row per rule.

    Leads not yet judged count in ``leads`` only. With ``user`` the leads are limited to
    the user's scope; without, all leads (for ``lantian rules stats``).
    """
    stmt = (
        select(
            Lead.rule,
            func.count().label("n"),
            func.sum(case((Lead.outcome == "confirmed", 1), else_=0)).label("tp"),
            func.sum(case((Lead.outcome == "false_positive", 1), else_=0)).label("fp"),
        )
        .group_by(Lead.rule)
        .order_by(Lead.rule)
    )
    if user is not None and user.role != "admin":
        stmt = stmt.where(lead_scope(session, user))
    out: list[RulePrecision] = []
    for rule, n, tp, fp in session.execute(stmt):
        tp, fp = int(tp or 0), int(fp or 0)
        judged = tp + fp
        out.append(
            RulePrecision(
                rule=rule,
                leads=int(n),
                judged=judged,
                confirmed=tp,
                false_positive=fp,
                precision=(tp / judged) if judged else None,
                wilson_low=_wilson_low(tp, judged),
            )
        )
    return out


def rule_stats(session: Session) -> list[dict[str, Any]]:
    """Per rule: leads, open, judged, confirmed, false positives, precision (confirmed /
    judged) and the Wilson lower bound, over all stored leads.

    Returns
    -------
    list of dict
        ``rule, leads, open, judged, confirmed, false_positive, precision`` (None when no
        lead of the rule is judged yet) and ``wilson_low``.
    """
    open_by_rule = dict(
        session.execute(
            select(Lead.rule, func.count()).where(Lead.open.is_(True)).group_by(Lead.rule)
        ).all()
    )
    return [
        {
            "rule": r.rule,
            "leads": r.leads,
            "open": int(open_by_rule.get(r.rule, 0)),
            "judged": r.judged,
            "confirmed": r.confirmed,
            "false_positive": r.false_positive,
            "precision": r.precision,
            "wilson_low": r.wilson_low,
        }
        for r in rule_precision(session)
    ]


__all__ = ["RulePrecision", "rule_precision", "rule_stats"]
