"""Draw a plan from the database, store it (inputs, seed, result) and audit it."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit
from lantian.supervision.config import SupervisionConfig
from lantian.supervision.facts import facts_json
from lantian.supervision.plan import Plan, draw_plan, parse_period
from lantian.supervision.plans.models import PlanDraw
from lantian.supervision.queries import load_plan_inputs
from lantian.timeutil import now_cst


def draw_and_store(
    session: Session,
    actor: ActorLike | None,
    config: SupervisionConfig,
    *,
    period: str,
    jurisdiction: str | None,
    seed: int,
) -> tuple[Plan, int]:
    """Read the inputs, draw, store a :class:`PlanDraw` and audit it; (plan, draw id).

    Raises
    ------
    lantian.supervision.plan.PlanError
        The draw is refused before drawing (nothing is stored).
    """
    p = parse_period(period)
    inputs = load_plan_inputs(
        session, period=p.text, jurisdiction=jurisdiction, start=p.start, end=p.end
    )
    facts = facts_json(inputs)
    plan = draw_plan(inputs, config, seed, facts=facts)
    result = plan.to_dict()
    row = PlanDraw(
        period=p.text,
        jurisdiction=jurisdiction,
        seed=seed,
        inputs_hash=plan.inputs_hash,
        drawn_at=now_cst(),
        drawn_by=actor.user_id if actor is not None else None,
        inputs={"facts": facts, "config_digest": config.digest()},
        result=result,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "plan_draw",
        "plan_draw",
        row.draw_id,
        after={
            "period": p.text,
            "jurisdiction": jurisdiction,
            "seed": seed,
            "inputs_hash": plan.inputs_hash,
            "visits": len(plan.visits),
            "unsatisfied": len(plan.unsatisfied),
            "result_sha256": hashlib.sha256(plan.to_json().encode("utf-8")).hexdigest(),
        },
        note=f"双随机 plan {p.text}" + (f" for {jurisdiction}" if jurisdiction else ""),
    )
    return plan, row.draw_id
