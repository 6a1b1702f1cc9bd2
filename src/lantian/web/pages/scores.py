"""Work-group scores page (工作组考核): every number explained; Excel export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lantian.assist.scoring.compute import (
    PeriodError,
    PeriodScores,
    score_period,
    status_label,
)
from lantian.assist.scoring.config import GROUPS
from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.timeutil import now_cst
from lantian.vocab import consultation as cv
from lantian.web.api.exports import dated_name, download
from lantian.web.deps import DbDep, PageOfficer, PageUser, _, current_language
from lantian.web.templating import render
from lantian.web.xlsx import rows_to_xlsx

router = APIRouter(include_in_schema=False)


def _scores(request: Request, db: DbDep, user: User) -> PeriodScores:
    period = (request.query_params.get("period") or "").strip() or f"{now_cst():%Y-%m}"
    try:
        return score_period(db, user, period, lang=current_language.get())
    except PeriodError as exc:
        raise ValidationError(_("Enter a month as YYYY-MM"), field="period") from exc


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


def explain(t: Any, lang: str) -> str:
    """How a term's raw value became its normalised figure, in words."""
    s = t.spec
    if t.status in ("not_fed", "failed"):
        return _("not counted: its weight is left out")
    if t.value is None:
        return _("no data this period: 0")
    if s.normalisation in ("max", "inverse_max") and not t.maximum:
        if s.normalisation == "max":
            return _("every team has 0 this period: 0")
        return _("no team has any this period: 1")
    if s.normalisation == "max":
        return f"{_fmt(t.value)} ÷ {_fmt(t.maximum)} = {t.normalised:.2f}"
    if s.normalisation == "inverse_max":
        return f"1 − {_fmt(t.value)} ÷ {_fmt(t.maximum)} = {t.normalised:.2f}"
    if s.normalisation == "scale5":
        return f"{_fmt(t.value)} ÷ 5 = {t.normalised:.2f}"
    return f"{t.normalised:.2f}"


@router.get("/scores")
def scores_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """Scores of a month per team, each term explained."""
    lang = current_language.get()
    result = _scores(request, db, user)
    return render(
        request,
        "assist/scores.html",
        {
            "nav": "scores",
            "p": result,
            "lang": lang,
            "explain": lambda t: explain(t, lang),
            "status_label": lambda s: status_label(s, lang),
            "norm_label": lambda n: cv.NORMALISATIONS.name(n, lang),
            "group_label": lambda g: GROUPS[g][1 if lang.startswith("en") else 0],
            "team_kind": lambda k: cv.TEAM_KINDS.name(k, lang),
            "fmt": _fmt,
        },
    )


@router.get("/scores.xlsx")
def scores_xlsx(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """The same table as a workbook: one row per team and term, and the team's total."""
    lang = current_language.get()
    p = _scores(request, db, user)
    header = [
        _("Rank"),
        _("Team"),
        _("Team kind"),
        _("Term"),
        _("Group"),
        _("Status"),
        _("Raw value"),
        _("Normalisation"),
        _("Largest value of the teams"),
        _("Normalised (0-1)"),
        _("Weight"),
        _("Weight share"),
        _("Contribution"),
    ]
    rows: list[list[Any]] = []
    for r in p.rows:
        for t in r.terms:
            s = t.spec
            rows.append(
                [
                    r.rank,
                    r.team.name,
                    cv.TEAM_KINDS.name(r.team.kind, lang),
                    s.label(lang),
                    GROUPS[s.group][1 if lang.startswith("en") else 0],
                    status_label(t.status, lang),
                    t.value,
                    cv.NORMALISATIONS.name(s.normalisation, lang),
                    t.maximum if s.normalisation in ("max", "inverse_max") else None,
                    round(t.normalised, 4),
                    t.weight,
                    round(t.weight_share, 4),
                    t.contribution,
                ]
            )
        rows.append(
            [r.rank, r.team.name, cv.TEAM_KINDS.name(r.team.kind, lang), _("Score"),
             "", "", None, "", None, None, None, None, r.score]
        )  # fmt: skip
    data = rows_to_xlsx(_("Scores") + " " + p.period, header, rows)
    return download(data, dated_name(_("Work-group scores") + p.period), ascii_name="scores.xlsx")
