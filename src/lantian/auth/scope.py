"""Who may see which enterprise: the ONE place that decides data scope.

Every read or write of leads, cases, documents, enterprises and data goes through
:func:`scope_filter` (queries) or :func:`can_access_enterprise` (single objects).

===================  ===============================================================
role                 sees
===================  ===============================================================
admin                everything
work_group           everything, or one province (``province``, GB/T 2260 code) and/or
                     one city (``city``) when set
city_officer         enterprises of its ``city``
district_officer     enterprises of its ``city`` and ``district``
enterprise           its own ``enterprise_id`` only
===================  ===============================================================

The province of an enterprise is the 2-digit province part of the administrative-division
code inside its credit code (characters 3-4).

References
----------
.. [1] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则, §4 (characters 3-8: 登记管理机关
       行政区划码).
.. [2] GB/T 2260, 中华人民共和国行政区划代码 (first two digits = province).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, true

from lantian.auth.errors import NotFound, PermissionDenied
from lantian.registry.models import Enterprise

T = TypeVar("T", bound=tuple[Any, ...])


class UserLike(Protocol):
    """The user attributes scope decisions read (a :class:`~lantian.auth.models.User`)."""

    role: str
    enterprise_id: str | None
    province: str | None
    city: str | None
    district: str | None


def province_of_credit_code(credit_code: str | None) -> str | None:
    """The 2-digit province code inside an 18-character credit code, or ``None``."""
    if credit_code and len(credit_code) == 18 and credit_code[2:4].isdigit():
        return credit_code[2:4]
    return None


def scope_clause(
    user: UserLike,
    *,
    enterprise_id: Any = None,
    city: Any = None,
    district: Any = None,
    province: Any = None,
) -> ColumnElement[bool]:
    """SQL condition "row is within ``user``'s scope" over the given columns.

    Pass the columns of the table being filtered (any may be ``None`` when the table has
    no such column, which then denies the roles that need it).
    """
    role = user.role
    if role == "admin":
        return true()
    if role == "enterprise":
        if enterprise_id is None or not user.enterprise_id:
            return false()
        return enterprise_id == user.enterprise_id  # type: ignore[no-any-return]
    conds: list[ColumnElement[bool]] = []
    if role == "work_group":
        if user.province:
            if province is None:
                return false()
            conds.append(province == user.province)
        if user.city:
            if city is None:
                return false()
            conds.append(city == user.city)
        return and_(true(), *conds)
    if role in ("city_officer", "district_officer"):
        if city is None or not user.city:
            return false()
        conds.append(city == user.city)
        if role == "district_officer":
            if district is None or not user.district:
                return false()
            conds.append(district == user.district)
        return and_(*conds)
    return false()


def enterprise_scope_clause(user: UserLike, entity: Any = Enterprise) -> ColumnElement[bool]:
    """:func:`scope_clause` over an Enterprise-like entity or alias.

    ``entity`` needs ``enterprise_id``, ``city`` and ``district`` attributes and either a
    ``province`` column or a ``credit_code`` column (Enterprise); missing ones deny.
    """
    province = getattr(entity, "province", None)
    if province is None and getattr(entity, "credit_code", None) is not None:
        province = func.substr(entity.credit_code, 3, 2)
    return scope_clause(
        user,
        enterprise_id=getattr(entity, "enterprise_id", None),
        city=getattr(entity, "city", None),
        district=getattr(entity, "district", None),
        province=province,
    )


def scope_filter(user: UserLike, stmt: Select[T], entity: Any = Enterprise) -> Select[T]:
    """Restrict a SELECT to rows of ``entity`` within ``user``'s scope.

    Examples
    --------
    >>> stmt = scope_filter(user, select(Enterprise))            # doctest: +SKIP
    >>> stmt = scope_filter(user, select(Case), Case)            # doctest: +SKIP
    """
    return stmt.where(enterprise_scope_clause(user, entity))


def can_access_enterprise(user: UserLike, enterprise: Any) -> bool:
    """True if ``user`` may see ``enterprise`` (an Enterprise, a Case or anything alike)."""
    if enterprise is None:
        return user.role == "admin"
    role = user.role
    if role == "admin":
        return True
    ent_id = getattr(enterprise, "enterprise_id", None)
    if role == "enterprise":
        return bool(user.enterprise_id) and ent_id == user.enterprise_id
    city = getattr(enterprise, "city", None)
    district = getattr(enterprise, "district", None)
    province = getattr(enterprise, "province", None)
    if province is None:
        province = province_of_credit_code(getattr(enterprise, "credit_code", None))
    if role == "work_group":
        if user.province and province != user.province:
            return False
        return not (user.city and city != user.city)
    if role == "city_officer":
        return bool(user.city) and city == user.city
    if role == "district_officer":
        return bool(user.city) and city == user.city and district == user.district
    return False


def require_access(user: UserLike, obj: Any, what: str = "object") -> None:
    """Raise :class:`NotFound` when ``obj`` is outside ``user``'s scope (existence not leaked)."""
    if obj is None or not can_access_enterprise(user, obj):
        raise NotFound(f"{what} not found")


def require_role(user: UserLike, *roles: str) -> None:
    """Raise :class:`PermissionDenied` unless ``user.role`` is one of ``roles``."""
    if user.role not in roles:
        raise PermissionDenied(f"role {user.role!r} may not do this")
