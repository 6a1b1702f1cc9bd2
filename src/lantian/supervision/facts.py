"""Plain inputs of the supervision functions (built from the database by :mod:`.queries`).

Dates are calendar dates in China Standard Time. Every field is JSON-ready through
:func:`facts_json`, which the plan's ``inputs_hash`` is computed from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LeadFact:
    """One lead of an enterprise: family, end date, open flag and outcome."""

    family: str
    end: dt.date
    open: bool
    outcome: str | None
    """``confirmed``, ``false_positive`` or ``None`` (not judged)."""


@dataclass(frozen=True)
class ComplaintFact:
    """One complaint (信访投诉) about an enterprise: id, day received (CST), channel, status."""

    complaint_id: int
    received: dt.date
    channel: str
    status: str
    """``received``, ``verified`` or ``unfounded`` (:mod:`lantian.vocab.complaints`)."""


@dataclass(frozen=True)
class EnterpriseFacts:
    """What the risk score, the draw and the positive-list review know of one enterprise."""

    enterprise_id: str
    industry: str
    city: str | None
    district: str | None
    grade: str | None
    positive_list: bool
    outlets: int
    leads: tuple[LeadFact, ...] = ()
    open_cases: int = 0
    complaints: tuple[ComplaintFact, ...] = ()
    """Complaints (信访投诉) received up to the period end, within ``history_years``
    (:mod:`lantian.supervision.complaints`); the draw decides which are triggers."""
    alert_in_period: bool = False
    """A heavy-pollution alert of the enterprise's city overlaps the period."""
    self_check_fail_share: float | None = None
    """Share of failed items of the latest self-check (``None``: no self-check result)."""
    credit_grade: str | None = None
    """Environmental credit grade (lantian.enforcement; ``None``: no credit event yet)."""


@dataclass(frozen=True)
class Visit:
    """One past visit of an enterprise.

    ``kind`` is ``onsite`` or ``remote``; ``purpose`` is why (``plan``, ``lead_check``,
    ``assistance`` 帮扶, ``supervision`` 督导 …). The yearly cap counts every ``onsite``
    visit whatever its purpose (国办发〔2024〕54号).
    """

    enterprise_id: str
    date: dt.date
    inspectors: tuple[str, ...]
    kind: str = "onsite"
    purpose: str = "lead_check"


@dataclass(frozen=True)
class Inspector:
    """An officer of the inspector register (username, 执法证号, home district)."""

    username: str
    cert_no: str | None
    city: str | None
    district: str | None


@dataclass(frozen=True)
class PlanInputs:
    """Everything a draw depends on (with the configuration and the seed)."""

    period: str
    jurisdiction: str | None
    enterprises: tuple[EnterpriseFacts, ...]
    inspectors: tuple[Inspector, ...]
    visits: tuple[Visit, ...] = field(default=())


VISIT_COLUMNS: tuple[str, ...] = ("enterprise_id", "date", "kind", "purpose", "inspectors")
"""Columns of a visit row in :func:`facts_json` (visits are the bulk: rows, not objects)."""


def _lead_json(lf: LeadFact) -> dict[str, Any]:
    return {"family": lf.family, "end": lf.end.isoformat(), "open": lf.open, "outcome": lf.outcome}


def _enterprise_json(e: EnterpriseFacts) -> dict[str, Any]:
    leads = sorted(
        (_lead_json(lf) for lf in e.leads),
        key=lambda x: (x["end"], x["family"], str(x["outcome"]), x["open"]),
    )
    return {
        "enterprise_id": e.enterprise_id,
        "industry": e.industry,
        "city": e.city,
        "district": e.district,
        "grade": e.grade,
        "positive_list": e.positive_list,
        "outlets": e.outlets,
        "leads": leads,
        "open_cases": e.open_cases,
        "complaints": [
            {
                "complaint_id": c.complaint_id,
                "received": c.received.isoformat(),
                "channel": c.channel,
                "status": c.status,
            }
            for c in sorted(e.complaints, key=lambda c: (c.received, c.complaint_id))
        ],
        "alert_in_period": e.alert_in_period,
        "self_check_fail_share": e.self_check_fail_share,
        **({"credit_grade": e.credit_grade} if e.credit_grade is not None else {}),
    }


def facts_json(inputs: PlanInputs) -> dict[str, Any]:
    """JSON-ready dict of the inputs in a stable order (sorted by id / username / date).

    Visits are rows of :data:`VISIT_COLUMNS`, sorted.
    """
    return {
        "period": inputs.period,
        "jurisdiction": inputs.jurisdiction,
        "enterprises": [
            _enterprise_json(e) for e in sorted(inputs.enterprises, key=lambda e: e.enterprise_id)
        ],
        "inspectors": [
            {"username": i.username, "cert_no": i.cert_no, "city": i.city, "district": i.district}
            for i in sorted(inputs.inspectors, key=lambda i: i.username)
        ],
        "visit_columns": list(VISIT_COLUMNS),
        "visits": sorted(
            [v.enterprise_id, v.date.isoformat(), v.kind, v.purpose, sorted(v.inspectors)]
            for v in inputs.visits
        ),
    }


def _complaints_from_json(raw: Any) -> tuple[ComplaintFact, ...]:
    """Complaints of a stored draw (draws stored before complaints were kept hold a count,
    always 0: no complaint)."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        ComplaintFact(
            int(c["complaint_id"]), dt.date.fromisoformat(c["received"]), c["channel"], c["status"]
        )
        for c in raw
    )


def inputs_from_json(facts: dict[str, Any]) -> PlanInputs:
    """The :class:`PlanInputs` of a :func:`facts_json` dict (its inverse).

    Used to re-read a stored draw (``plan_draws.inputs["facts"]``), e.g. to explain the
    risk of each drawn enterprise from exactly the facts the draw used.
    """
    ents = tuple(
        EnterpriseFacts(
            enterprise_id=e["enterprise_id"],
            industry=e["industry"],
            city=e["city"],
            district=e["district"],
            grade=e["grade"],
            positive_list=bool(e["positive_list"]),
            outlets=int(e["outlets"]),
            leads=tuple(
                LeadFact(
                    lf["family"], dt.date.fromisoformat(lf["end"]), bool(lf["open"]), lf["outcome"]
                )
                for lf in e["leads"]
            ),
            open_cases=int(e["open_cases"]),
            complaints=_complaints_from_json(e.get("complaints")),
            alert_in_period=bool(e["alert_in_period"]),
            self_check_fail_share=e["self_check_fail_share"],
        )
        for e in facts["enterprises"]
    )
    inspectors = tuple(
        Inspector(i["username"], i["cert_no"], i["city"], i["district"])
        for i in facts["inspectors"]
    )
    cols = list(facts.get("visit_columns", VISIT_COLUMNS))
    visits = []
    for row in facts["visits"]:
        v = dict(zip(cols, row, strict=True))
        visits.append(
            Visit(
                v["enterprise_id"],
                dt.date.fromisoformat(v["date"]),
                tuple(v["inspectors"]),
                v["kind"],
                v["purpose"],
            )
        )
    return PlanInputs(
        period=facts["period"],
        jurisdiction=facts["jurisdiction"],
        enterprises=ents,
        inspectors=inspectors,
        visits=tuple(visits),
    )
