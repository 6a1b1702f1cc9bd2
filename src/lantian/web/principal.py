"""Who is asking: the :class:`Principal` of a request and the data it may see.

Enterprise scope is decided in ONE place, :mod:`lantian.auth.scope`; this module adds the
derived conditions the web layer needs (leads, stations).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from lantian.auth.models import OFFICER_ROLES
from lantian.auth.scope import enterprise_scope_clause, scope_clause
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Station


@dataclass
class Principal:
    """The authenticated user of a request, with the attributes that define its scope.

    It satisfies :class:`lantian.auth.scope.UserLike`.
    """

    user_id: str
    username: str
    display_name: str
    role: str
    enterprise_id: str | None = None
    city: str | None = None
    district: str | None = None
    province: str | None = None

    @property
    def is_officer(self) -> bool:
        """True for every government role (not an enterprise account)."""
        return self.role in OFFICER_ROLES

    @property
    def is_enterprise(self) -> bool:
        """True for an enterprise account."""
        return self.role == "enterprise"


def enterprise_clause(p: Principal) -> ColumnElement[bool]:
    """SQL condition on :class:`Enterprise` rows the principal may see."""
    return enterprise_scope_clause(p, Enterprise)


def station_clause(p: Principal) -> ColumnElement[bool]:
    """SQL condition on :class:`Station` rows the principal may see (none for enterprises).

    Stations carry no province code, so a province-level work group sees all stations.
    """
    if p.role == "enterprise":
        return false()
    if p.role == "work_group" and not p.city:
        return true()
    return scope_clause(p, city=Station.city, district=Station.district)


def lead_clause(p: Principal) -> ColumnElement[bool]:
    """SQL condition on :class:`Lead` rows the principal may see."""
    if p.role == "admin" or (p.role == "work_group" and not p.city and not p.province):
        return true()
    if p.role == "enterprise":
        return Lead.enterprise_id == p.enterprise_id if p.enterprise_id else false()
    ents = select(Enterprise.enterprise_id).where(enterprise_clause(p))
    stations = select(Station.station_id).where(station_clause(p))
    return or_(
        Lead.enterprise_id.in_(ents),
        and_(Lead.subject_type == "station", Lead.subject_id.in_(stations)),
    )
