"""Who is asking: the :class:`Principal` of a request and the data it may see.

What a principal sees is decided in ONE place, :mod:`lantian.auth.visibility`
(``visible(principal, kind)`` for lists, ``load_visible`` for one object).
"""

from __future__ import annotations

from dataclasses import dataclass

from lantian.auth.models import OFFICER_ROLES


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
