"""Suggested sources (可能来源) of hot-spot leads and opening a case about one of them.

A hot-spot lead (families :data:`HOTSPOT_FAMILIES`) is about a station or grid cell, not an
enterprise; its evidence carries ``candidates = [{enterprise_id, distance_km, bearing_deg,
score}, ...]``, best first (computed by the hot-spot rules, issue #17). An officer who may
dispatch picks one and gets a case about THAT enterprise, linked to the hot-spot lead
(:func:`open_candidate_case`); the case is then dispatched like any other.

References
----------
.. [1] 8-point compass (八方位: 北, 东北, 东, 东南, 南, 西南, 西, 西北), 45° sectors
       centred on the points; common usage (unverified).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.errors import PermissionDenied, ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import load_visible, visible
from lantian.leads.models import Lead
from lantian.leads.scope import load_lead
from lantian.registry.models import Enterprise
from lantian.workflow.models import Case
from lantian.workflow.service import _case_of_lead, _new_case
from lantian.workflow.states import transition_for

HOTSPOT_FAMILIES: frozenset[str] = frozenset({"AMBIENT_HOTSPOT", "GRID_HOTSPOT", "MOBILE_HOTSPOT"})
"""Lead families whose evidence may carry suggested sources (``candidates``)."""

MAX_CANDIDATES = 20
"""At most this many suggested sources are shown or accepted per lead."""

_POINTS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
_POINTS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def compass_point(bearing_deg: float, lang: str = "zh") -> str:
    """The 8-point compass word (方位) of a bearing [deg clockwise from north].

    Sectors are 45° wide and centred on the points: 北 covers [337.5°, 22.5°), 东北
    [22.5°, 67.5°) and so on; any real bearing is first reduced modulo 360°.

    References
    ----------
    .. [1] 8-point compass rose (八方位), common usage (unverified).
    """
    if not math.isfinite(bearing_deg):
        raise ValueError(f"bearing must be finite, got {bearing_deg!r}")
    idx = int(((bearing_deg % 360.0) + 22.5) // 45.0) % 8
    return (_POINTS_ZH if lang.startswith("zh") else _POINTS_EN)[idx]


@dataclass(frozen=True)
class Candidate:
    """One suggested source of a hot-spot lead, as recorded in its evidence."""

    enterprise_id: str
    distance_km: float | None
    """Distance from the hot spot [km]."""
    bearing_deg: float | None
    """Bearing of the enterprise seen from the hot spot [deg clockwise from north]."""
    score: float | None
    """The rule's ranking score (higher is more likely), as recorded."""


@dataclass(frozen=True)
class SuggestedSource:
    """A candidate as shown to one user: ``enterprise`` is None when out of their scope."""

    candidate: Candidate
    enterprise: Enterprise | None


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def lead_candidates(lead: Lead) -> list[Candidate]:
    """The suggested sources in ``lead``'s evidence, best first as recorded (entries
    without an ``enterprise_id`` are skipped; at most :data:`MAX_CANDIDATES`)."""
    if lead.family not in HOTSPOT_FAMILIES:
        return []
    raw = (lead.evidence or {}).get("candidates")
    if not isinstance(raw, list):
        return []
    out: list[Candidate] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            continue
        eid = item.get("enterprise_id")
        if not isinstance(eid, str) or not eid or eid in seen:
            continue
        seen.add(eid)
        out.append(
            Candidate(
                eid,
                _num(item.get("distance_km")),
                _num(item.get("bearing_deg")),
                _num(item.get("score")),
            )
        )
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def suggested_sources(session: Session, user: User, lead: Lead) -> list[SuggestedSource]:
    """``lead``'s candidates with the enterprises ``user`` sees (others: ``enterprise=None``,
    so neither their name nor a dispatch action is shown)."""
    cands = lead_candidates(lead)
    if not cands:
        return []
    ids = [c.enterprise_id for c in cands]
    ents = {
        e.enterprise_id: e
        for e in session.execute(
            select(Enterprise).where(
                Enterprise.enterprise_id.in_(ids), visible(user, "enterprise", session=session)
            )
        ).scalars()
    }
    return [SuggestedSource(c, ents.get(c.enterprise_id)) for c in cands]


def may_dispatch_candidates(user: User) -> bool:
    """True if ``user``'s role may fire 交办 (and so open a case about a candidate)."""
    t = transition_for("new", "dispatch")
    return t is not None and user.role in t.roles


def open_candidate_case(
    session: Session,
    user: User,
    lead_id: str,
    enterprise_id: str,
    *,
    title: str | None = None,
) -> Case:
    """Open a case (status ``new``) about candidate ``enterprise_id`` of hot-spot lead
    ``lead_id``, the lead linked to it; audited as ``open_case`` with the candidate.

    Raises
    ------
    PermissionDenied
        The user's role may not dispatch.
    NotFound
        The lead or the enterprise is missing or out of the user's scope.
    ValidationError
        Not a hot-spot lead, the enterprise is not among its candidates, or the lead is
        already in a case.
    """
    if not may_dispatch_candidates(user):
        raise PermissionDenied(f"role {user.role!r} may not dispatch")
    lead = load_lead(session, user, lead_id)
    if lead.family not in HOTSPOT_FAMILIES:
        raise ValidationError(
            "只有高值线索有可能来源 (only hot-spot leads have suggested sources)",
            field="lead_id",
        )
    cands = {c.enterprise_id: c for c in lead_candidates(lead)}
    cand = cands.get(enterprise_id)
    if cand is None:
        raise ValidationError(
            f"企业 {enterprise_id} 不在该线索的可能来源中"
            f" (enterprise {enterprise_id} is not a suggested source of lead {lead_id})",
            field="enterprise_id",
        )
    ent: Enterprise = load_visible(session, user, "enterprise", enterprise_id)
    existing = _case_of_lead(session, lead.lead_id)
    if existing is not None:
        raise ValidationError(
            f"lead {lead.lead_id} is already in case {existing.case_id}", field="lead_id"
        )
    candidate = {
        "enterprise_id": cand.enterprise_id,
        "distance_km": cand.distance_km,
        "bearing_deg": cand.bearing_deg,
        "score": cand.score,
    }
    return _new_case(
        session,
        user,
        [lead],
        title or f"{lead.summary} · {ent.name}",
        enterprise=ent,
        extra={"candidate": candidate},
    )


def candidate_ids(lead: Lead) -> Sequence[str]:
    """The enterprise ids of ``lead``'s suggested sources, best first."""
    return [c.enterprise_id for c in lead_candidates(lead)]


__all__ = [
    "HOTSPOT_FAMILIES",
    "MAX_CANDIDATES",
    "Candidate",
    "SuggestedSource",
    "candidate_ids",
    "compass_point",
    "lead_candidates",
    "may_dispatch_candidates",
    "open_candidate_case",
    "suggested_sources",
]
