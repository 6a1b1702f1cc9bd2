"""Survey results by district, team and service kind; invitations of an enterprise;
the scoring source of survey results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.assist.surveys.config import SurveyForm, load_form
from lantian.assist.surveys.models import SurveyInvitation, SurveyResponse
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.timeutil import to_cst
from lantian.vocab import consultation as cv

MIN_GROUP = 3
"""A group with an anonymous response shows its figures only from this many responses
on (fewer could single out who answered)."""


def months_between(start: datetime, end: datetime) -> list[str]:
    """The ``YYYY-MM`` months (CST) that ``[start, end)`` touches."""
    s, e = to_cst(start), to_cst(end) - timedelta(microseconds=1)
    out: list[str] = []
    y, m = s.year, s.month
    while (y, m) <= (e.year, e.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def invitations_of(session: Session, user: User) -> list[SurveyInvitation]:
    """The invitations ``user`` sees (an enterprise: its own), open ones first."""
    stmt = (
        select(SurveyInvitation)
        .where(visible(user, "survey_invitation", session=session))
        .order_by(SurveyInvitation.responded_at.is_not(None), SurveyInvitation.created_at.desc())
        .limit(200)
    )
    return list(session.scalars(stmt))


def responses_in(session: Session, user: User, periods: Sequence[str]) -> list[SurveyResponse]:
    """Responses of ``periods`` in ``user``'s region."""
    if not periods:
        return []
    stmt = select(SurveyResponse).where(
        visible(user, "survey_response", session=session), SurveyResponse.period.in_(periods)
    )
    return list(session.scalars(stmt))


@dataclass
class Group:
    """Results of one group: number of responses, mean per rating question, overall."""

    dimension: str
    key: str
    label: str
    n: int
    anonymous: int
    overall: float | None
    means: dict[str, float | None]
    suppressed: bool


def _group(
    dimension: str, key: str, label: str, rows: Sequence[SurveyResponse], form: SurveyForm
) -> Group:
    n = len(rows)
    anon = sum(1 for r in rows if r.anonymous)
    suppressed = anon > 0 and n < MIN_GROUP
    means: dict[str, float | None] = {}
    for q in form.questions:
        if q.kind != "rating":
            continue
        vals = [r.answers[q.id] for r in rows if isinstance(r.answers.get(q.id), int)]
        means[q.id] = None if suppressed or not vals else sum(vals) / len(vals)
    overall = None if suppressed or not n else sum(r.overall for r in rows) / n
    return Group(dimension, key, label, n, anon, overall, means, suppressed)


def results(
    session: Session,
    user: User,
    periods: Sequence[str],
    *,
    lang: str = "zh_CN",
    form: SurveyForm | None = None,
) -> dict[str, list[Group]]:
    """Results of ``periods`` in ``user``'s region by ``kind``, ``district`` and ``team``
    (teams: :func:`lantian.assist.scoring.teams.teams`; a response counts for every team
    one of whose officers served)."""
    from lantian.assist.scoring.teams import teams

    form = form or load_form()
    rows = responses_in(session, user, periods)
    out: dict[str, list[Group]] = {"kind": [], "district": [], "team": []}
    for term in cv.SURVEY_KINDS:
        sel = [r for r in rows if r.kind == term.code]
        if sel:
            out["kind"].append(_group("kind", term.code, term.name(lang), sel, form))
    districts = sorted({(r.city or "", r.district or "") for r in rows})
    for city, district in districts:
        sel = [r for r in rows if (r.city or "", r.district or "") == (city, district)]
        out["district"].append(
            _group("district", f"{city}/{district}", f"{city}{district}", sel, form)
        )
    for team in teams(session, user, lang=lang):
        sel = [r for r in rows if team.officer_ids & set(r.officer_ids or [])]
        if sel:
            out["team"].append(_group("team", team.key, team.name, sel, form))
    return out


def group_dict(g: Group) -> dict[str, Any]:
    """A result group as JSON."""
    return {
        "dimension": g.dimension,
        "key": g.key,
        "label": g.label,
        "responses": g.n,
        "anonymous": g.anonymous,
        "suppressed": g.suppressed,
        "overall": None if g.overall is None else round(g.overall, 2),
        "means": {k: None if v is None else round(v, 2) for k, v in g.means.items()},
    }


def survey_mean(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float | None:
    """Scoring source: mean overall satisfaction (1-5) of the responses of the months of
    ``[start, end)`` served by one of ``officer_ids``; None without responses."""
    if not officer_ids:
        return None
    periods = months_between(start, end)
    vals = [
        overall
        for ids, overall in session.execute(
            select(SurveyResponse.officer_ids, SurveyResponse.overall).where(
                SurveyResponse.period.in_(periods)
            )
        ).all()
        if officer_ids & set(ids or [])
    ]
    return sum(vals) / len(vals) if vals else None
