"""Which leads a user sees: the ``lead`` declaration of :mod:`lantian.auth.visibility`.

Officers see the leads of the enterprises and stations of their region (a station lead
has no enterprise; the station's city and district place it); an enterprise sees its own
leads only once the case holding them has reached it (:mod:`lantian.auth.policy`).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from lantian.auth.scope import UserLike
from lantian.auth.visibility import can_see, load_visible, visible
from lantian.leads.models import Lead


def lead_scope(session: Session | None, user: UserLike) -> ColumnElement[bool]:
    """SQL condition on ``leads`` rows ``user`` sees (region id lists reused with a session)."""
    return visible(user, "lead", session=session)


def can_access_lead(session: Session, user: UserLike, lead: Lead) -> bool:
    """True if ``user`` sees ``lead`` (the same condition as :func:`lead_scope`)."""
    return can_see(session, user, "lead", lead.lead_id)


def load_lead(session: Session, user: UserLike, lead_id: str) -> Lead:
    """The lead ``lead_id`` if ``user`` sees it; :class:`~lantian.auth.errors.NotFound`
    otherwise (also when it does not exist)."""
    lead: Lead = load_visible(session, user, "lead", lead_id)
    return lead


__all__ = ["can_access_lead", "lead_scope", "load_lead"]
