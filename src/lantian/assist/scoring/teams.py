"""Teams scored by work-group scoring, derived from the user register.

- one **district office** (区县分局) per (city, district) of active district officers;
- one **city bureau** (市局) per city of active city officers;
- one **work group** (监督帮扶工作组) per scope (province and/or city, or everywhere) of
  active work-group accounts.

An officer belongs to exactly one team (admins to none). Who sees which team's row:
admin and unrestricted work groups every team; a work group limited to a province or city
the district and city teams there and its own team; a city officer its city's teams; a
district officer its district's team.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.scope import UserLike


@dataclass(frozen=True)
class Team:
    """One team: its kind (vocab ``TEAM_KINDS``), key, name and officers."""

    key: str
    kind: str
    name: str
    province: str | None
    city: str | None
    district: str | None
    officer_ids: frozenset[int]


def _name(kind: str, province: str | None, city: str | None, district: str | None,
          lang: str) -> str:  # fmt: skip
    en = lang.startswith("en")
    if kind == "district":
        return f"{city} {district} office" if en else f"{city}{district}分局"
    if kind == "city":
        return f"{city} bureau" if en else f"{city}生态环境局"
    scope = " ".join(x for x in (province and f"province {province}", city) if x)
    if en:
        return f"Work group ({scope})" if scope else "Work group (all regions)"
    zh_scope = "".join(x for x in (province and f"省级代码{province}", city) if x)
    return f"监督帮扶工作组（{zh_scope}）" if zh_scope else "监督帮扶工作组（全部地区）"


def all_teams(session: Session, lang: str = "zh_CN") -> list[Team]:
    """Every team of the register (sorted: work groups, city bureaus, district offices)."""
    members: dict[tuple[str, str | None, str | None, str | None], set[int]] = {}
    rows = session.execute(
        select(User.user_id, User.role, User.province, User.city, User.district).where(
            User.active.is_(True),
            User.role.in_(("district_officer", "city_officer", "work_group")),
        )
    ).all()
    for uid, role, province, city, district in rows:
        key: tuple[str, str | None, str | None, str | None]
        if role == "district_officer":
            key = ("district", None, city, district)
        elif role == "city_officer":
            key = ("city", None, city, None)
        else:
            key = ("work_group", province, city, None)
        members.setdefault(key, set()).add(uid)
    order = {"work_group": 0, "city": 1, "district": 2}
    out = [
        Team(
            key=f"{kind}:{province or ''}/{city or ''}/{district or ''}",
            kind=kind,
            name=_name(kind, province, city, district, lang),
            province=province,
            city=city,
            district=district,
            officer_ids=frozenset(ids),
        )
        for (kind, province, city, district), ids in members.items()
    ]
    out.sort(key=lambda t: (order[t.kind], t.province or "", t.city or "", t.district or ""))
    return out


def _cities_of_province(session: Session, province: str) -> set[str]:
    from lantian.auth.visibility import cities_of_province

    return {c for c in session.scalars(cities_of_province(province)) if c}


def sees_team(session: Session, user: UserLike, team: Team) -> bool:
    """True when ``user`` may see ``team``'s row (module docstring)."""
    role = user.role
    if role == "admin" or (role == "work_group" and not user.province and not user.city):
        return True
    if role == "work_group":
        if team.kind == "work_group":
            return (team.province, team.city) == (user.province, user.city)
        if user.city and team.city != user.city:
            return False
        return not user.province or team.city in _cities_of_province(session, user.province)
    if role == "city_officer":
        return team.kind in ("city", "district") and team.city == user.city
    if role == "district_officer":
        return team.kind == "district" and (team.city, team.district) == (
            user.city,
            user.district,
        )
    return False


def teams(session: Session, user: UserLike, lang: str = "zh_CN") -> list[Team]:
    """The teams ``user`` sees."""
    return [t for t in all_teams(session, lang) if sees_team(session, user, t)]
