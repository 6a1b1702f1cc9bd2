"""Clue map layers (issue #17): grid heat map, mobile tracks, alarms, gates (officers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from lantian.auth.errors import ValidationError
from lantian.lake import Lake
from lantian.web import layers
from lantian.web.deps import ApiOfficer, DbDep

router = APIRouter(prefix="/api/layers", tags=["map"])


def _lake(request: Request) -> Lake:
    return Lake(request.app.state.settings.lake_dir)


def _window(start: datetime, end: datetime, field: str = "to") -> tuple[datetime, datetime]:
    try:
        return layers.check_window(start, end)
    except ValueError as exc:
        raise ValidationError(str(exc), field=field) from exc


@router.get("/grid", summary="Grid cells with PM2.5/PM10 of one hour, and the available hours")
def get_grid(
    request: Request,
    principal: ApiOfficer,
    db: DbDep,
    time: Annotated[datetime | None, Query(description="the hour (naive = CST)")] = None,
    limit: Annotated[int, Query(ge=1, le=layers.MAX_GRID_CELLS)] = layers.MAX_GRID_CELLS,
) -> dict[str, Any]:
    """The caller's grid cells (µg/m³) at ``time`` (default: the latest hour with data)."""
    return layers.grid_layer(db, _lake(request), principal, time, limit)


@router.get("/tracks", summary="Mobile monitoring track points of one day per vehicle")
def get_tracks(
    request: Request,
    principal: ApiOfficer,
    db: DbDep,
    date_: Annotated[date, Query(alias="date", description="CST day")],
    limit: Annotated[int, Query(ge=1, le=layers.MAX_TRACK_POINTS)] = layers.MAX_TRACK_POINTS,
) -> dict[str, Any]:
    """走航 points in the caller's area, per vehicle and pollutant, value in µg/m³."""
    return layers.tracks_layer(db, _lake(request), principal, date_, limit)


@router.get("/alarms", summary="Camera / drone / thermal / patrol alarm markers")
def get_alarms(
    request: Request,
    principal: ApiOfficer,
    db: DbDep,
    from_: Annotated[datetime, Query(alias="from")],
    to: Annotated[datetime, Query()],
    limit: Annotated[int, Query(ge=1, le=layers.MAX_ALARMS)] = layers.MAX_ALARMS,
) -> dict[str, Any]:
    """Alarms in ``from``..``to`` (at most 31 days) of the caller's enterprises and area."""
    start, end = _window(from_, to)
    return layers.alarms_layer(db, _lake(request), principal, start, end, limit)


@router.get("/gates", summary="Gate records per enterprise and gate")
def get_gates(
    request: Request,
    principal: ApiOfficer,
    db: DbDep,
    from_: Annotated[datetime, Query(alias="from")],
    to: Annotated[datetime, Query()],
    limit: Annotated[int, Query(ge=1, le=layers.MAX_GATES)] = layers.MAX_GATES,
) -> dict[str, Any]:
    """门禁 passages in ``from``..``to`` (at most 31 days) per enterprise and gate."""
    start, end = _window(from_, to)
    return layers.gates_layer(db, _lake(request), principal, start, end, limit)
