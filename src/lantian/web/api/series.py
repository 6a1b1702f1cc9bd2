"""Measurement series for charts: a lead's series around its episode, an outlet's series.

A lead's chart says what it shows (issue 12 item 4): reference lines are chosen per lead
family (:func:`lead_references`) and labelled with what they are; only an emission limit
set by a standard is called a limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.leads.scope import load_lead
from lantian.registry.models import Enterprise, Grid, Meter, Outlet, Station
from lantian.settings import Settings
from lantian.timeutil import isoformat_cst, now_cst
from lantian.web import series as S
from lantian.web.deps import ApiPrincipal, ApiUser, DbDep, _

router = APIRouter(prefix="/api", tags=["series"])

LIMIT_COLUMN = {"a34013": "limit_pm", "a21026": "limit_so2", "a21002": "limit_nox"}
"""The registry column of an outlet's emission limit per CEMS factor code."""
CEMS_LIMIT_FAMILIES = frozenset(
    {"EXCEEDANCE", "PINNED", "FLATLINE", "MISSING", "FLAG_ABUSE", "CLONED"}
)
"""CEMS lead families whose chart shows the outlet's legal limit of the lead's pollutant
(O2_ABNORMAL charts O2, for which no emission limit exists)."""


def _num(value: float) -> str:
    """A number for a label: at most 2 decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def legal_limit(db: Session, outlet: Outlet, pollutant: str | None) -> S.Reference | None:
    """The outlet's emission limit of ``pollutant`` with the standard that sets it, if any."""
    if pollutant not in LIMIT_COLUMN:
        return None
    value = getattr(outlet, LIMIT_COLUMN[pollutant])
    if value is None:
        return None
    ent = db.get(Enterprise, outlet.enterprise_id)
    standard = S.emission_standard(ent.industry) if ent is not None else None
    unit = S.POLLUTANT_UNITS.get(pollutant, "mg/m³")
    text = _("Emission limit {value} {unit}").format(value=_num(float(value)), unit=unit)
    if standard:
        text = _("{text} ({standard})").format(text=text, standard=standard)
    return S.Reference("legal_limit", float(value), unit, text, source=standard)


def lead_references(
    lead: Lead, evidence: dict[str, Any], series: list[S.Series]
) -> list[S.Reference]:
    """Reference lines of a power or ambient lead, from its evidence (see the rules).

    - TREATMENT_OFF: the on/off level of the treatment meter(s) (``threshold`` [kW]).
    - TREATMENT_LOW: the treatment meter's normal power (``normal_kw``).
    - EMERGENCY_VIOLATION: the production power the emergency measure allows
      (``threshold`` [kW], 0 for a stop order), drawn against the line's total.
    - AMBIENT_HOTSPOT, GRID_HOTSPOT: the ratio at which the rule reports
      (``parameters.min_ratio``) on the ratio axis; the comparison median (other stations,
      the ring of surrounding cells) is a series, not a line.
    """
    thr = _float(evidence.get("threshold"))
    meter_ids = evidence.get("meter_ids")
    ids = [str(m) for m in meter_ids] if isinstance(meter_ids, list) else []
    keys = {s.key for s in series}
    target = ids[0] if len(ids) == 1 and ids[0] in keys else None
    out: list[S.Reference] = []
    if lead.family == "TREATMENT_OFF" and thr is not None:
        text = _("Running threshold {value} kW").format(value=_num(thr))
        out.append(S.Reference("on_off_level", thr, "kW", text, series_key=target))
    elif lead.family == "TREATMENT_LOW":
        normal = _float(evidence.get("normal_kw"))
        if normal is not None:
            text = _("Normal level {value} kW").format(value=_num(normal))
            out.append(S.Reference("normal_level", normal, "kW", text, series_key=target))
    elif lead.family == "EMERGENCY_VIOLATION" and thr is not None:
        if evidence.get("action") == "stop":
            text = _("Stop order: {value} kW").format(value=_num(thr))
        else:
            text = _("Allowed under the emergency measure {value} kW").format(value=_num(thr))
        out.append(S.Reference("allowed_power", thr, "kW", text, series_key="production_total"))
    elif lead.family in ("AMBIENT_HOTSPOT", "GRID_HOTSPOT"):
        params = evidence.get("parameters")
        ratio = _float(params.get("min_ratio")) if isinstance(params, dict) else None
        if ratio is not None:
            text = _("Rule ratio {value}×").format(value=_num(ratio))
            out.append(S.Reference("rule_ratio", ratio, "×", text, axis=1))
    return out


def _production_total(series: list[S.Series]) -> S.Series | None:
    """Sum of the production meters per time (the quantity an emergency measure limits)."""
    prod = [s for s in series if s.kind == "production"]
    if not prod:
        return None
    total: dict[str, float] = {}
    for s in prod:
        for t, v in s.points:
            if v is not None:
                total[t] = total.get(t, 0.0) + v
    points: list[tuple[str, float | None]] = [(t, round(total[t], 3)) for t in sorted(total)]
    return S.Series(
        "production_total", _("Production total"), "kW", points, kind="production_total"
    )


def ring_cells(db: Session, grid_id: str, radius_cells: float) -> list[str]:
    """Cells whose centre lies within ``radius_cells`` × the cell's width of its centre:
    the ring GRID-HOTSPOT compares a cell with (:func:`lantian.rules._grid_geo.ring_pairs`,
    same distance)."""
    import math

    from lantian.rules._grid_geo import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQUATOR
    from lantian.rules.upwind import distance_bearing

    cell = db.get(Grid, grid_id)
    if cell is None or cell.lon is None or cell.lat is None or not cell.cell_km:
        return []
    r_km = float(cell.cell_km) * radius_cells
    dlat = r_km / KM_PER_DEG_LAT
    dlon = r_km / (KM_PER_DEG_LON_EQUATOR * max(math.cos(math.radians(cell.lat)), 0.01))
    near = db.execute(
        select(Grid.grid_id, Grid.lon, Grid.lat).where(
            Grid.grid_id != grid_id,
            Grid.lon.between(cell.lon - 1.5 * dlon, cell.lon + 1.5 * dlon),
            Grid.lat.between(cell.lat - 1.5 * dlat, cell.lat + 1.5 * dlat),
        )
    ).all()
    return sorted(
        str(gid)
        for gid, lon, lat in near
        if distance_bearing(cell.lon, cell.lat, lon, lat)[0] <= r_km
    )


def lead_series(db: Session, settings: Settings, lead: Lead) -> dict[str, Any]:
    """Series of a lead's subject from 48 h before to 48 h after its episode.

    Returns ``series``, ``references`` (labelled lines, see :class:`lantian.web.series.Reference`),
    ``axes`` (name and unit of the value axis and, for ambient leads, the ratio axis),
    ``threshold`` (the legal limit's value, or null: kept for older clients) and the
    ``episode`` to shade.
    """
    start, end = lead.start - S.CONTEXT, lead.end + S.CONTEXT
    evidence = lead.evidence if isinstance(lead.evidence, dict) else {}
    series: list[S.Series] = []
    refs: list[S.Reference] = []
    axes: list[dict[str, str]] = []
    note: str | None = None
    if lead.subject_type == "outlet":
        series, note = S.cems_series(settings, lead.subject_id, lead.pollutant, start, end)
        if not lead.pollutant:  # e.g. MISSING, FLAG_ABUSE: the limited pollutants (mg/m³)
            series = [s for s in series if s.key.split(":")[0] in LIMIT_COLUMN]
        outlet = db.get(Outlet, lead.subject_id)
        if outlet is not None and lead.family in CEMS_LIMIT_FAMILIES:
            ref = legal_limit(db, outlet, lead.pollutant)
            if ref is not None:
                refs.append(ref)
        if lead.pollutant:
            unit = S.POLLUTANT_UNITS.get(lead.pollutant, "")
            axes.append({"name": S.pollutant_name(lead.pollutant), "unit": unit})
        else:
            axes.append({"name": _("Concentration"), "unit": "mg/m³"})
    elif lead.subject_type in ("meter", "line"):
        cond = (
            Meter.meter_id == lead.subject_id
            if lead.subject_type == "meter"
            else Meter.line_id == lead.subject_id
        )
        meters = list(
            db.execute(select(Meter).where(cond).order_by(Meter.role, Meter.meter_id)).scalars()
        )
        roles = {"production": _("production"), "treatment": _("treatment")}
        pairs = [(m.meter_id, f"{m.name} ({roles.get(m.role, m.role)})") for m in meters]
        kinds = {m.meter_id: m.role for m in meters}
        series, note = S.power_series(settings, pairs, start, end, kinds)
        if lead.family == "EMERGENCY_VIOLATION":
            total = _production_total(series)
            if total is not None:
                series.insert(0, total)
        refs = lead_references(lead, evidence, series)
        axes.append({"name": _("Active power"), "unit": "kW"})
    elif lead.subject_type == "station":
        pollutant = lead.pollutant or "PM2.5"
        station = db.get(Station, lead.subject_id)
        if lead.family == "AMBIENT_HOTSPOT" and station is not None and station.city:
            others = list(
                db.scalars(
                    select(Station.station_id).where(
                        Station.city == station.city, Station.station_id != station.station_id
                    )
                )
            )
            params = evidence.get("parameters")
            min_others = params.get("min_other_stations") if isinstance(params, dict) else None
            series, note = S.ambient_comparison(
                settings,
                lead.subject_id,
                others,
                pollutant,
                start,
                end,
                min_others if isinstance(min_others, int) else 2,
            )
            refs = lead_references(lead, evidence, series)
        else:
            series, note = S.ambient_series(settings, lead.subject_id, lead.pollutant, start, end)
        unit = S.POLLUTANT_UNITS.get(pollutant.upper(), "µg/m³")
        axes.append({"name": S.pollutant_name(pollutant), "unit": unit})
        if any(s.axis == 1 for s in series):
            axes.append({"name": _("Ratio to the median of the other stations"), "unit": "×"})
    elif lead.subject_type == "grid":
        pollutant = lead.pollutant or "PM2.5"
        params = evidence.get("parameters")
        params = params if isinstance(params, dict) else {}
        radius = _float(params.get("ring_radius_cells")) or 1.5
        min_ring = params.get("min_ring_cells")
        series, note = S.grid_comparison(
            settings,
            lead.subject_id,
            ring_cells(db, lead.subject_id, radius),
            pollutant,
            start,
            end,
            min_ring if isinstance(min_ring, int) else 4,
        )
        refs = lead_references(lead, evidence, series)
        axes.append({"name": S.pollutant_name(pollutant), "unit": "µg/m³"})
        if any(s.axis == 1 for s in series):
            axes.append({"name": _("Ratio to the median of the surrounding cells"), "unit": "×"})
    limit = next((r.value for r in refs if r.kind == "legal_limit"), None)
    return {
        "lead_id": lead.lead_id,
        "family": lead.family,
        "episode": {"start": isoformat_cst(lead.start), "end": isoformat_cst(lead.end)},
        "threshold": limit,
        "references": [r.as_dict() for r in refs],
        "axes": axes,
        "time_zone": "+08:00",
        "series": [s.as_dict() for s in series],
        "note": note,
    }


@router.get(
    "/leads/{lead_id}/series",
    summary="Series around a lead's episode",
    response_model=dict[str, Any],
)
def get_lead_series(lead_id: str, request: Request, user: ApiUser, db: DbDep) -> JSONResponse:
    """The lead's subject series (CEMS, power or ambient) with the episode to highlight and
    labelled reference lines (legal limit with its standard, on/off level, allowed power,
    the other stations' median and the ratio to it)."""
    lead = load_lead(db, user, lead_id)
    # plain JSON types already: skip jsonable_encoder (~100 ms for a few thousand points)
    return JSONResponse(lead_series(db, request.app.state.settings, lead))


@router.get(
    "/outlets/{outlet_id}/series",
    summary="Hourly CEMS series of one outlet",
    response_model=dict[str, Any],
)
def get_outlet_series(
    outlet_id: str,
    request: Request,
    principal: ApiPrincipal,
    db: DbDep,
    pollutant: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> JSONResponse:
    """Measured and corrected hourly values; window at most 31 days (default last 7)."""
    outlet = db.scalar(
        select(Outlet).where(Outlet.outlet_id == outlet_id, visible(principal, "outlet"))
    )
    if outlet is None:
        raise HTTPException(404, _("Outlet not found"))
    end = end or now_cst()
    start = start or end - timedelta(days=7)
    if end <= start:
        raise HTTPException(422, _("end must be after start"))
    series, note = S.cems_series(request.app.state.settings, outlet_id, pollutant, start, end)
    body = {"outlet_id": outlet_id, "series": [s.as_dict() for s in series], "note": note}
    return JSONResponse(body)
