"""Generated registers (enterprises, inspectors, visit history) for tests and benchmarks.

Deterministic from a seed; nothing here is real data.
"""

from __future__ import annotations

import datetime as dt
import random

from lantian.registry.vocab import GRADES, INDUSTRIES, STORED_LEAD_FAMILIES
from lantian.supervision.facts import (
    ComplaintFact,
    EnterpriseFacts,
    Inspector,
    LeadFact,
    PlanInputs,
    Visit,
)


def synthetic_inputs(
    seed: int,
    *,
    period: str = "2026-12",
    enterprises: int = 300,
    inspectors: int = 20,
    districts: int = 6,
    jurisdiction: str | None = None,
    certified_share: float = 0.9,
) -> PlanInputs:
    """A generated register: enterprises with leads and cases, inspectors, visits of the year."""
    rng = random.Random(seed)
    year = int(period[:4])
    dnames = [f"D{k:02d}" for k in range(districts)]
    ents: list[EnterpriseFacts] = []
    for n in range(enterprises):
        leads = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 4))):
            end = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(-200, 360))
            outcome = rng.choice((None, "confirmed", "confirmed", "false_positive"))
            leads.append(
                LeadFact(rng.choice(STORED_LEAD_FAMILIES), end, rng.random() < 0.3, outcome)
            )
        ents.append(
            EnterpriseFacts(
                enterprise_id=f"E{n:06d}",
                industry=rng.choice(INDUSTRIES),
                city="C01",
                district=rng.choice(dnames),
                grade=rng.choice((None, *GRADES)),
                positive_list=rng.random() < 0.2,
                outlets=rng.randrange(0, 12),
                leads=tuple(leads),
                open_cases=rng.choice((0, 0, 0, 1, 2)),
                complaints=(
                    (
                        ComplaintFact(
                            n,
                            dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(-200, 360)),
                            "hotline_12369",
                            rng.choice(("received", "verified", "unfounded")),
                        ),
                    )
                    if rng.random() < 0.05
                    else ()
                ),
                alert_in_period=rng.random() < 0.05,
                self_check_fail_share=None if rng.random() < 0.5 else rng.random(),
            )
        )
    insp = [
        Inspector(
            username=f"insp{k:04d}",
            cert_no=f"ZF{k:08d}" if rng.random() < certified_share else None,
            city="C01",
            district=rng.choice(dnames),
        )
        for k in range(inspectors)
    ]
    names = [i.username for i in insp]
    visits: list[Visit] = []
    for e in ents:
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5, 9, 12))):
            day = dt.date(year - rng.randrange(0, 2), rng.randrange(1, 12), rng.randrange(1, 28))
            visits.append(
                Visit(
                    e.enterprise_id,
                    day,
                    tuple(sorted(rng.sample(names, 2))),
                    rng.choice(("onsite", "onsite", "remote")),
                    rng.choice(("plan", "lead_check", "assistance", "supervision", "campaign")),
                )
            )
    return PlanInputs(period, jurisdiction, tuple(ents), tuple(insp), tuple(visits))
