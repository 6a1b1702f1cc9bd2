"""Ambient page: composite index and township/district ranking, a map and an Excel export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lantian.ambient.ranking import LEVELS, AreaRanking, area_ranking, as_json
from lantian.auth.errors import ValidationError
from lantian.lake import Lake
from lantian.rules.ambient_index import POLLUTANTS
from lantian.web.api.ambient import check_level, period_of
from lantian.web.api.exports import download
from lantian.web.deps import DbDep, PageOfficer, PageUser, _
from lantian.web.series import pollutant_name
from lantian.web.templating import render
from lantian.web.xlsx import rows_to_xlsx

router = APIRouter(include_in_schema=False)


def level_labels() -> dict[str, str]:
    """Area level → its name in the request's language."""
    return {
        "township": _("Township"),
        "district": _("District"),
        "city": _("City"),
        "station": _("Station"),
    }


def status_labels() -> dict[str, str]:
    """Area status → its name in the request's language."""
    return {
        "ranked": _("Ranked"),
        "insufficient": _("Insufficient data (HJ 663)"),
        "no_data": _("No data"),
    }


def basis_label(basis: str) -> str:
    """Where the required number of valid days comes from."""
    return {
        "month": _("GB 3095-2012 Table 4: a monthly mean needs 27 daily means"),
        "february": _("GB 3095-2012 Table 4: a February mean needs 25 daily means"),
        "year": _("GB 3095-2012 Table 4: an annual mean needs 324 daily means"),
        "scaled": _(
            "The annual requirement (324 of 365 days) scaled to the period: a local "
            "convention, the standard sets no figure for other periods"
        ),
    }[basis]


def _compute(request: Request, db: Any, user: Any, params: dict[str, str]) -> AreaRanking:
    d0, d1 = period_of(params.get("month"), params.get("start"), params.get("end"))
    level = check_level(params.get("level") or "township")
    lake = Lake(request.app.state.settings.lake_dir)
    return area_ranking(db, lake, level, d0, d1, user=user)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


@router.get("/ambient")
def ambient_page(request: Request, principal: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """The ranking table and map of the chosen level and month."""
    params = dict(request.query_params)
    error = None
    try:
        ranking = _compute(request, db, user, params)
    except ValidationError as exc:
        error = str(exc)
        ranking = _compute(request, db, user, {"level": "township"})
    ctx = {
        "nav": "ambient",
        "ranking": ranking,
        "data": as_json(ranking),
        "error": error,
        "levels": [(lv, level_labels()[lv]) for lv in LEVELS],
        "status_labels": status_labels(),
        "basis": basis_label(ranking.validity.basis),
        "pollutants": [(p, pollutant_name(p)) for p in POLLUTANTS],
        "pollutant_names": {p: pollutant_name(p) for p in POLLUTANTS},
        "month": ranking.start.strftime("%Y-%m"),
        "last_day": (ranking.end - timedelta(days=1)).isoformat(),
        "fmt": _fmt,
        "query": request.url.query,
    }
    return render(request, "ambient/index.html", ctx, status_code=422 if error else 200)


@router.get("/ambient/index.xlsx")
def ambient_xlsx(request: Request, principal: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """The same rows as the page, as a workbook with Chinese headers."""
    ranking = _compute(request, db, user, dict(request.query_params))
    names = [pollutant_name(p) for p in POLLUTANTS]
    header = [
        _("Rank (1 = cleanest)"),
        _("Area"),
        _("City"),
        _("District"),
        _("Composite index"),
        _("Primary pollutant"),
        *[_("Single index") + f" {n}" for n in names],
        _("Pollutants over the standard"),
        _("Fewest valid days"),
        _("Status"),
    ]
    labels = status_labels()
    rows = [
        [
            a.rank,
            a.name,
            a.city,
            a.district if a.level != "district" else None,
            a.composite_index,
            pollutant_name(a.primary_pollutant) if a.primary_pollutant else None,
            *[a.single.get(p) for p in POLLUTANTS],
            a.n_exceeding,
            min(a.valid_days.values()) if a.valid_days else 0,
            labels[a.status],
        ]
        for a in ranking.areas
    ]
    title = _("Composite index")
    data = rows_to_xlsx(title, header, rows)
    stem = f"{title}_{level_labels()[ranking.level]}_{ranking.start:%Y%m}"
    return download(data, f"{stem}.xlsx", ascii_name=f"ambient_{ranking.level}.xlsx")
