"""The regions of the roles: what "in a user's scope" means for region columns.

Which objects a user sees is declared once per object kind in
:mod:`lantian.auth.visibility`, using :func:`region_clause` for the officer roles.

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

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, true

from lantian.auth.errors import PermissionDenied


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


def region_clause(
    user: UserLike,
    *,
    city: Any,
    district: Any,
    province: Callable[[str], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """SQL condition "row is in ``user``'s region" over a table's region columns.

    The role semantics of the table above: admin everything; a work group everything or
    its ``province`` (``province(code)`` gives the table's condition for it) and/or
    ``city``; a city officer its city; a district officer its city and district; an
    enterprise nothing (enterprises see by ownership, :mod:`lantian.auth.visibility`).
    """
    role = user.role
    if role == "admin":
        return true()
    if role == "work_group":
        conds: list[ColumnElement[bool]] = []
        if user.province:
            conds.append(province(user.province))
        if user.city:
            conds.append(city == user.city)
        return and_(true(), *conds)
    if role in ("city_officer", "district_officer"):
        if not user.city:
            return false()
        if role == "city_officer":
            return city == user.city  # type: ignore[no-any-return]
        if not user.district:
            return false()
        return and_(city == user.city, district == user.district)
    return false()


def require_role(user: UserLike, *roles: str) -> None:
    """Raise :class:`PermissionDenied` unless ``user.role`` is one of ``roles``."""
    if user.role not in roles:
        raise PermissionDenied(f"role {user.role!r} may not do this")
