"""正面清单 decisions (the one write path of ``enterprises.positive_list``), the periodic
review's stored proposals, and the automatic suspension on a confirmed case.

Every write is audited (:func:`lantian.auth.audit.audit`): ``positive_list_decide``
(before/after state), ``positive_list_propose`` and ``positive_list_proposal_decide``.
Officers act only on enterprises they see (:mod:`lantian.auth.visibility`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit
from lantian.auth.errors import InvalidTransition, NotFound, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible, visible
from lantian.registry.models import Enterprise
from lantian.settings import Settings
from lantian.supervision.config import SupervisionConfig
from lantian.supervision.listing.models import PositiveListDecision, PositiveListProposal
from lantian.supervision.positive_list import (
    ListTransitionError,
    next_state,
    review_positive_list,
    state_after,
    suspension_due,
)
from lantian.supervision.queries import load_enterprise_facts
from lantian.timeutil import now_cst
from lantian.vocab.supervision import POSITIVE_LIST_ACTIONS, POSITIVE_LIST_SOURCES

ON_LIST: dict[str, bool] = {"listed": True, "suspended": False, "off": False}
"""Value of ``enterprises.positive_list`` in each state (a suspended enterprise is not on
the list for every effect: draws, pushes, risk)."""
SYSTEM = "system"
log = logging.getLogger("lantian.supervision")


@dataclass(frozen=True)
class _System:
    """The platform itself as the actor of an automatic decision (no account)."""

    username: str = SYSTEM
    user_id: int | None = None


def _check_enterprise(session: Session, actor: ActorLike | None, enterprise_id: str) -> Enterprise:
    if isinstance(actor, User):
        if actor.role not in OFFICER_ROLES:
            raise NotFound(f"enterprise {enterprise_id} not found")
        ent: Enterprise = load_visible(session, actor, "enterprise", enterprise_id)
        return ent
    found = session.get(Enterprise, enterprise_id)
    if found is None:
        raise NotFound(f"enterprise {enterprise_id} not found")
    return found


def latest_decision(session: Session, enterprise_id: str) -> PositiveListDecision | None:
    """The newest decision on the enterprise (``None``: never decided)."""
    return session.scalar(
        select(PositiveListDecision)
        .where(PositiveListDecision.enterprise_id == enterprise_id)
        .order_by(PositiveListDecision.decision_id.desc())
        .limit(1)
    )


def current_state(session: Session, enterprise_id: str) -> str:
    """``off``, ``listed`` or ``suspended`` from the newest decision; an enterprise without
    any decision (stored before the history existed) is ``listed`` when its column says so."""
    last = latest_decision(session, enterprise_id)
    if last is None:
        col = session.scalar(
            select(Enterprise.positive_list).where(Enterprise.enterprise_id == enterprise_id)
        )
        return "listed" if col else "off"
    return state_after(last.action)


def _history_state(session: Session, enterprise_id: str) -> str:
    last = latest_decision(session, enterprise_id)
    return state_after(last.action if last is not None else None)


def decide(
    session: Session,
    actor: ActorLike | None,
    enterprise_id: str,
    action: str,
    reasons: list[str],
    *,
    source: str = "manual",
    effective_from: dt.date | None = None,
    proposal_id: int | None = None,
    case_id: int | None = None,
) -> PositiveListDecision:
    """Record one decision, close the previous period and set ``enterprises.positive_list``.

    Raises
    ------
    ValidationError
        Unknown action or source, no reason given, or an effective date in the future.
    InvalidTransition
        The action does not apply to the enterprise's state (e.g. 暂停 one not listed).
    """
    if action not in POSITIVE_LIST_ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(POSITIVE_LIST_ACTIONS.codes())}")
    if source not in POSITIVE_LIST_SOURCES:
        raise ValidationError(f"unknown source {source!r}")
    reasons = [r.strip() for r in reasons if r and r.strip()]
    if not reasons:
        raise ValidationError("reason is required", field="reason")
    ent = _check_enterprise(session, actor, enterprise_id)
    now = now_cst()
    day = effective_from or now.date()
    if day > now.date():
        raise ValidationError("effective_from: 生效日期不能晚于今天", field="effective_from")
    last = latest_decision(session, enterprise_id)
    # an import has already written the column: its state is the history's alone
    state = (
        _history_state(session, enterprise_id)
        if source == "import"
        else current_state(session, enterprise_id)
    )
    try:
        new_state = next_state(state, action)
    except ListTransitionError as exc:
        raise InvalidTransition(
            f"{POSITIVE_LIST_ACTIONS.name(action)}不适用于当前状态 ({exc})"
        ) from exc
    if last is not None and last.effective_to is None:
        last.effective_to = max(day, last.effective_from)
    row = PositiveListDecision(
        enterprise_id=enterprise_id,
        action=action,
        on_list=ON_LIST[new_state],
        reasons=reasons,
        source=source,
        decided_by=actor.user_id if actor is not None else None,
        decided_by_name=(actor.username if actor is not None else SYSTEM)[:64],
        decided_at=now,
        effective_from=day,
        proposal_id=proposal_id,
        case_id=case_id,
    )
    session.add(row)
    before = {"state": state, "positive_list": ent.positive_list}
    ent.positive_list = ON_LIST[new_state]
    session.flush()
    audit(
        session,
        actor,
        "positive_list_decide",
        "enterprise",
        enterprise_id,
        before=before,
        after={
            "state": new_state,
            "positive_list": ent.positive_list,
            "action": action,
            "source": source,
            "decision_id": row.decision_id,
            "effective_from": day.isoformat(),
        },
        note="; ".join(reasons),
        at=now,
    )
    return row


def suspend_on_confirmed_case(
    session: Session,
    config: SupervisionConfig,
    enterprise_id: str | None,
    case_id: int,
    finding: str,
) -> PositiveListDecision | None:
    """暂停 a listed enterprise whose case was confirmed (问题属实); audited as ``system``.

    Called by :func:`lantian.workflow.service.judge`. Nothing happens for an enterprise not
    listed or when ``[positive_list] suspend_on_confirmed`` is off.
    """
    if enterprise_id is None:
        return None
    state = current_state(session, enterprise_id)
    if not suspension_due(state, config.positive_list.suspend_on_confirmed):
        return None
    reason = f"案件 #{case_id} 认定问题属实" + (f"：{finding.strip()}" if finding.strip() else "")
    return decide(
        session,
        _System(),
        enterprise_id,
        "suspend",
        [reason],
        source="case_confirmed",
        case_id=case_id,
    )


def record_imported(
    session: Session, actor: ActorLike | None, enterprise_ids: list[str], note: str
) -> int:
    """Record an ``import`` decision for each enterprise whose imported column differs from
    its history (a registry import set ``positive_list``); returns how many.

    A column set to true adds (or reinstates) it; set to false removes it. Written in bulk
    (a registry holds tens of thousands of enterprises): the previous periods are closed,
    the decisions inserted, and one audit entry per batch of 500 names every change.
    """
    n = 0
    now = now_cst()
    today = now.date()
    for start in range(0, len(enterprise_ids), 500):
        chunk = enterprise_ids[start : start + 500]
        cols = dict(
            session.execute(
                select(Enterprise.enterprise_id, Enterprise.positive_list).where(
                    Enterprise.enterprise_id.in_(chunk)
                )
            ).all()
        )
        latest = select(func.max(PositiveListDecision.decision_id)).where(
            PositiveListDecision.enterprise_id.in_(chunk)
        )
        actions = dict(
            session.execute(
                select(PositiveListDecision.enterprise_id, PositiveListDecision.action).where(
                    PositiveListDecision.decision_id.in_(
                        latest.group_by(PositiveListDecision.enterprise_id)
                    )
                )
            ).all()
        )
        changes: dict[str, dict[str, str]] = {}
        for eid in chunk:
            want = bool(cols.get(eid))
            state = state_after(actions.get(eid))
            if ON_LIST[state] == want or (not want and state == "off"):
                continue
            action = ("reinstate" if state == "suspended" else "add") if want else "remove"
            changes[eid] = {"before": state, "action": action, "after": next_state(state, action)}
        if not changes:
            continue
        session.execute(
            update(PositiveListDecision)
            .where(
                PositiveListDecision.enterprise_id.in_(sorted(changes)),
                PositiveListDecision.effective_to.is_(None),
            )
            .values(effective_to=today)
        )
        session.add_all(
            PositiveListDecision(
                enterprise_id=eid,
                action=c["action"],
                on_list=ON_LIST[c["after"]],
                reasons=[note],
                source="import",
                decided_by=actor.user_id if actor is not None else None,
                decided_by_name=(actor.username if actor is not None else SYSTEM)[:64],
                decided_at=now,
                effective_from=today,
            )
            for eid, c in changes.items()
        )
        session.flush()
        audit(
            session,
            actor,
            "positive_list_import",
            "enterprise",
            f"{len(changes)} enterprises",
            after={"changes": changes},
            note=note,
            at=now,
        )
        n += len(changes)
    return n


# --------------------------------------------------------------------------- review


def run_review(
    session: Session,
    actor: ActorLike | None,
    config: SupervisionConfig,
    as_of: dt.date,
    *,
    jurisdiction: str | None = None,
) -> list[PositiveListProposal]:
    """Run the periodic review and store its proposals (``pending``), each audited.

    An enterprise that already has a pending proposal of the same change keeps it (not
    proposed twice). A suspended enterprise counts as listed, so a review proposes its
    removal when it fails the criteria (as it does after a confirmed violation).
    """
    facts = load_enterprise_facts(
        session,
        jurisdiction=jurisdiction,
        start=as_of,
        end=as_of + dt.timedelta(days=1),
        history_years=config.plan.history_years,
    )
    suspended = set(
        session.scalars(
            select(PositiveListDecision.enterprise_id).where(
                PositiveListDecision.effective_to.is_(None),
                PositiveListDecision.action == "suspend",
            )
        )
    )
    from dataclasses import replace

    facts = [replace(f, positive_list=True) if f.enterprise_id in suspended else f for f in facts]
    pending = {
        (p.enterprise_id, p.change)
        for p in session.scalars(
            select(PositiveListProposal).where(PositiveListProposal.status == "pending")
        )
    }
    crit = config.positive_list
    criteria = {
        "grades": list(crit.grades),
        "clean_months": crit.clean_months,
        "no_open_case": crit.no_open_case,
    }
    now = now_cst()
    out: list[PositiveListProposal] = []
    for p in review_positive_list(facts, crit, as_of):
        if (p.enterprise_id, p.change) in pending:
            continue
        row = PositiveListProposal(
            enterprise_id=p.enterprise_id,
            change=p.change,
            reasons=list(p.reasons),
            as_of=as_of,
            proposed_at=now,
            status="pending",
            criteria=criteria,
        )
        session.add(row)
        session.flush()
        audit(
            session,
            actor,
            "positive_list_propose",
            "positive_list_proposal",
            row.proposal_id,
            after={"enterprise_id": p.enterprise_id, "change": p.change, "reasons": row.reasons},
            at=now,
        )
        out.append(row)
    return out


def decide_proposal(
    session: Session, user: User, proposal_id: int, *, accept: bool, note: str = ""
) -> PositiveListProposal:
    """采纳 (the change becomes a ``review`` decision) or 不采纳 (needs a reason) a proposal.

    Raises
    ------
    NotFound
        No such proposal in the user's scope.
    InvalidTransition
        Already decided, or the enterprise's state changed since (e.g. already removed).
    ValidationError
        Rejected without a reason.
    """
    prop: PositiveListProposal = load_visible(
        session, user, "positive_list_proposal", proposal_id, what="proposal"
    )
    if prop.status != "pending":
        raise InvalidTransition("该建议已处理 (already decided)")
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationError("reason is required", field="note")
    now = now_cst()
    if accept:
        state = current_state(session, prop.enterprise_id)
        action = prop.change
        if prop.change == "add" and state == "suspended":
            action = "reinstate"
        reasons = list(prop.reasons) + ([note] if note else [])
        decide(
            session,
            user,
            prop.enterprise_id,
            action,
            reasons,
            source="review",
            proposal_id=prop.proposal_id,
        )
    prop.status = "accepted" if accept else "rejected"
    prop.decided_by = user.user_id
    prop.decided_at = now
    prop.note = note or None
    session.flush()
    audit(
        session,
        user,
        "positive_list_proposal_decide",
        "positive_list_proposal",
        prop.proposal_id,
        before={"status": "pending"},
        after={"status": prop.status, "enterprise_id": prop.enterprise_id},
        note=note or None,
        at=now,
    )
    return prop


# --------------------------------------------------------------------------- reads


@dataclass
class ListFilter:
    """Filters of the list page and its export (empty = any)."""

    district: str = ""
    industry: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    """Decisions effective from ``start`` to ``end`` (inclusive)."""


def current_list(session: Session, user: User, f: ListFilter) -> list[dict[str, Any]]:
    """Enterprises on the list or suspended, with the decision they are listed under
    (``None`` for one listed by its column before any decision was recorded)."""
    q = (
        select(Enterprise, PositiveListDecision)
        .outerjoin(
            PositiveListDecision,
            and_(
                PositiveListDecision.enterprise_id == Enterprise.enterprise_id,
                PositiveListDecision.effective_to.is_(None),
            ),
        )
        .where(
            or_(
                and_(
                    PositiveListDecision.decision_id.is_not(None),
                    PositiveListDecision.action != "remove",
                ),
                and_(PositiveListDecision.decision_id.is_(None), Enterprise.positive_list),
            ),
            visible(user, "enterprise", session=session),
        )
    )
    if f.district:
        q = q.where(Enterprise.district == f.district)
    if f.industry:
        q = q.where(Enterprise.industry == f.industry)
    rows = session.execute(q.order_by(Enterprise.district, Enterprise.enterprise_id)).all()
    return [
        {
            "enterprise": e,
            "decision": d,
            "state": state_after(d.action) if d is not None else "listed",
            "since": _listed_since(session, e.enterprise_id),
        }
        for e, d in rows
    ]


def _listed_since(session: Session, enterprise_id: str) -> dt.date | None:
    return session.scalar(
        select(PositiveListDecision.effective_from)
        .where(
            PositiveListDecision.enterprise_id == enterprise_id,
            PositiveListDecision.action == "add",
        )
        .order_by(PositiveListDecision.decision_id.desc())
        .limit(1)
    )


def history(
    session: Session, user: User, f: ListFilter, *, enterprise_id: str | None = None
) -> list[tuple[PositiveListDecision, Enterprise]]:
    """Every decision in scope, newest first (filtered by district, industry, date)."""
    q = (
        select(PositiveListDecision, Enterprise)
        .join(Enterprise, Enterprise.enterprise_id == PositiveListDecision.enterprise_id)
        .where(visible(user, "positive_list_decision", session=session))
    )
    if enterprise_id is not None:
        q = q.where(PositiveListDecision.enterprise_id == enterprise_id)
    if f.district:
        q = q.where(Enterprise.district == f.district)
    if f.industry:
        q = q.where(Enterprise.industry == f.industry)
    if f.start is not None:
        q = q.where(PositiveListDecision.effective_from >= f.start)
    if f.end is not None:
        q = q.where(PositiveListDecision.effective_from <= f.end)
    return [
        (d, e)
        for d, e in session.execute(
            q.order_by(
                PositiveListDecision.decided_at.desc(), PositiveListDecision.decision_id.desc()
            )
        ).all()
    ]


def pending_proposals(
    session: Session, user: User
) -> list[tuple[PositiveListProposal, Enterprise]]:
    """Pending proposals of the enterprises in scope, by enterprise."""
    q = (
        select(PositiveListProposal, Enterprise)
        .join(Enterprise, Enterprise.enterprise_id == PositiveListProposal.enterprise_id)
        .where(
            PositiveListProposal.status == "pending",
            visible(user, "positive_list_proposal", session=session),
        )
        .order_by(Enterprise.enterprise_id, PositiveListProposal.proposal_id)
    )
    return [(p, e) for p, e in session.execute(q).all()]


def suspend_on_case(
    session: Session, enterprise_id: str | None, case_id: int, finding: str
) -> PositiveListDecision | None:
    """:func:`suspend_on_confirmed_case` with the configuration of the settings (the one
    call of the workflow's 认定 step)."""
    from lantian.settings import get_settings
    from lantian.supervision.config import load_config

    config = load_config(get_settings().supervision_config)
    return suspend_on_confirmed_case(session, config, enterprise_id, case_id, finding)


def review_if_due(settings: Settings, today: dt.date | None = None) -> int | None:
    """Scheduled job: run the periodic review when the newest stored proposal is at least
    ``[positive_list] review_interval_days`` old (or none exists); returns the number of
    new proposals, ``None`` when not due. Errors are logged, never raised."""
    from lantian.db.session import session_scope
    from lantian.supervision.config import load_config

    try:
        config = load_config(settings.supervision_config)
        every = config.positive_list.review_interval_days
        if every <= 0:
            return None
        day = today or now_cst().date()
        with session_scope(settings) as session:
            last = session.scalar(select(func.max(PositiveListProposal.as_of)))
            if last is not None and (day - last).days < every:
                return None
            return len(run_review(session, _System(), config, day))
    except Exception:  # the other jobs must still run; logged with the traceback
        log.exception("positive-list review failed")
        return None
