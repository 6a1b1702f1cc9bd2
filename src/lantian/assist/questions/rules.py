"""The first-responder rule (首问负责制) and response-time state, as pure functions.

:func:`decide` says whether an officer may claim, answer or transfer a question in a
given state; :func:`timeliness` and :func:`escalation_due` compute the time state the
queue shows and the scheduled job acts on. The service layer (:mod:`.services`) only
applies what these return.

References
----------
.. [1] 首问负责制: whoever first receives a question owns it until it is answered or
       formally handed on (project glossary; bureau practice, no national text checked
       [unverified]).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Action = Literal["claim", "answer", "transfer"]
Outcome = Literal["ok", "noop", "conflict", "closed", "forbidden", "invalid"]

SUPERVISOR_ROLES: tuple[str, ...] = ("admin", "work_group", "city_officer")
"""Roles that may formally transfer a question they do not own (in their region), e.g.
after it escalated; a district officer transfers only its own questions."""


@dataclass(frozen=True)
class Decision:
    """What :func:`decide` allows: ``ok`` (do it), ``noop`` (already so) or a refusal."""

    outcome: Outcome
    reason: str = ""

    @property
    def allowed(self) -> bool:
        """True for ``ok`` and ``noop``."""
        return self.outcome in ("ok", "noop")


def decide(
    action: Action,
    *,
    owner_id: int | None,
    answered: bool,
    actor_id: int,
    actor_role: str,
    target_id: int | None = None,
) -> Decision:
    """May ``actor_id`` (an officer in the question's scope) do ``action``?

    - claim: allowed when nobody owns the question (the actor becomes its owner);
      ``noop`` for its owner; ``conflict`` when another officer owns it.
    - answer: the owner answers; an unowned question is claimed by the officer who
      answers it (the first responder); another officer's question is a ``conflict``.
    - transfer: the owner (or a supervisor role) hands it to ``target_id``, another
      officer; an unowned question is claimed, not transferred.
    - nothing changes an answered question (``closed``).
    """
    if answered:
        return Decision("closed", "the question has been answered")
    if action == "claim":
        if owner_id is None:
            return Decision("ok")
        if owner_id == actor_id:
            return Decision("noop")
        return Decision("conflict", "another officer owns the question")
    if action == "answer":
        if owner_id is None or owner_id == actor_id:
            return Decision("ok")
        return Decision("conflict", "another officer owns the question")
    if action == "transfer":
        if owner_id is None:
            return Decision("invalid", "claim the question first")
        if owner_id != actor_id and actor_role not in SUPERVISOR_ROLES:
            return Decision("forbidden", "only the owner or a supervisor may transfer")
        if target_id is None or target_id == owner_id:
            return Decision("invalid", "choose another officer")
        return Decision("ok")
    raise ValueError(f"unknown action {action!r}")


Timeliness = Literal["on_time", "due_soon", "overdue", "answered_late"]


def timeliness(
    now: datetime, due_at: datetime, answered_at: datetime | None, remind_before_h: int
) -> Timeliness:
    """On time, due soon (within ``remind_before_h`` hours of the due time), overdue, or
    answered late, for the queue and the enterprise's list."""
    if answered_at is not None:
        return "on_time" if answered_at <= due_at else "answered_late"
    if now > due_at:
        return "overdue"
    if now >= due_at - timedelta(hours=remind_before_h):
        return "due_soon"
    return "on_time"


def reminder_due(
    now: datetime,
    due_at: datetime,
    answered_at: datetime | None,
    reminded_at: datetime | None,
    remind_before_h: int,
) -> bool:
    """True once an unanswered question is within ``remind_before_h`` hours of its due
    time and its owner has not been reminded yet."""
    if answered_at is not None or reminded_at is not None:
        return False
    return now >= due_at - timedelta(hours=remind_before_h)


def escalation_due(
    now: datetime, due_at: datetime, answered_at: datetime | None, second_h: int
) -> int:
    """The escalation level an unanswered question should have at ``now``: 0 until due,
    1 once overdue, 2 once overdue by ``second_h`` more hours (answered: 0)."""
    if answered_at is not None or now <= due_at:
        return 0
    if now <= due_at + timedelta(hours=second_h):
        return 1
    return 2


def answered_on_time(due_at: datetime, answered_at: datetime | None) -> bool:
    """True when the answer came no later than the due time."""
    return answered_at is not None and answered_at <= due_at
