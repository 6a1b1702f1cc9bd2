"""Enterprises, stations and the map layer (GeoJSON with lead counts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Meter, Outlet, Station
from lantian.web.access import (
    enterprise_dict,
    enterprise_or_404,
    station_dict,
    station_or_404,
)
from lantian.web.deps import ApiPrincipal, DbDep
from lantian.web.principal import Principal

router = APIRouter(prefix="/api", tags=["registry"])


def enterprise_rows(
    db: Session,
    p: Principal,
    *,
    city: str | None = None,
    district: str | None = None,
    industry: str | None = None,
    grade: str | None = None,
    positive_list: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[tuple[Enterprise, int]]]:
    """(total, [(enterprise, pending lead count)]) of enterprises in scope."""
    conds: list[Any] = [visible(p, "enterprise")]
    if city:
        conds.append(Enterprise.city == city)
    if district:
        conds.append(Enterprise.district == district)
    if industry:
        conds.append(Enterprise.industry == industry)
    if grade:
        conds.append(Enterprise.grade == grade)
    if positive_list is not None:
        conds.append(Enterprise.positive_list.is_(positive_list))
    if q:
        conds.append(Enterprise.name.ilike(f"%{q}%") | (Enterprise.credit_code == q))
    total = db.execute(select(func.count()).select_from(Enterprise).where(*conds)).scalar_one()
    counts = (
        select(Lead.enterprise_id, func.count().label("n"))
        .where(Lead.outcome.is_(None), visible(p, "lead", session=db))
        .group_by(Lead.enterprise_id)
        .subquery()
    )
    rows = db.execute(
        select(Enterprise, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.enterprise_id == Enterprise.enterprise_id)
        .where(*conds)
        .order_by(Enterprise.name, Enterprise.enterprise_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [(e, int(n)) for e, n in rows]


@router.get("/enterprises", summary="List enterprises in the caller's scope")
def list_enterprises(
    principal: ApiPrincipal,
    db: DbDep,
    city: str | None = None,
    district: str | None = None,
    industry: str | None = None,
    grade: str | None = None,
    positive_list: bool | None = None,
    q: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Enterprises with their count of pending leads."""
    total, rows = enterprise_rows(
        db,
        principal,
        city=city,
        district=district,
        industry=industry,
        grade=grade,
        positive_list=positive_list,
        q=q,
        limit=limit,
        offset=offset,
    )
    items = [enterprise_dict(e) | {"pending_leads": n} for e, n in rows]
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def enterprise_detail(db: Session, ent: Enterprise, p: Principal) -> dict[str, Any]:
    """Registry detail of one enterprise: outlets, meters, counts by family of the leads
    ``p`` sees."""
    outlets = db.execute(
        select(Outlet).where(Outlet.enterprise_id == ent.enterprise_id).order_by(Outlet.outlet_id)
    ).scalars()
    meters = db.execute(
        select(Meter).where(Meter.enterprise_id == ent.enterprise_id).order_by(Meter.meter_id)
    ).scalars()
    by_family = db.execute(
        select(Lead.family, func.count())
        .where(Lead.enterprise_id == ent.enterprise_id, visible(p, "lead", session=db))
        .group_by(Lead.family)
    ).all()
    return enterprise_dict(ent) | {
        "outlets": [
            {
                "outlet_id": o.outlet_id,
                "name": o.name,
                "mn": o.mn,
                "o2_ref_pct": o.o2_ref_pct,
                "limit_pm": o.limit_pm,
                "limit_so2": o.limit_so2,
                "limit_nox": o.limit_nox,
                "line_id": o.line_id,
            }
            for o in outlets
        ],
        "meters": [
            {
                "meter_id": m.meter_id,
                "name": m.name,
                "line_id": m.line_id,
                "role": m.role,
                "rated_kw": m.rated_kw,
            }
            for m in meters
        ],
        "leads_by_family": {f: int(n) for f, n in by_family},
    }


@router.get("/enterprises/{enterprise_id}", summary="One enterprise")
def get_enterprise(enterprise_id: str, principal: ApiPrincipal, db: DbDep) -> dict[str, Any]:
    """Registry detail; 404 if unknown or outside the caller's scope."""
    return enterprise_detail(db, enterprise_or_404(db, principal, enterprise_id), principal)


@router.get("/stations", summary="List ambient stations in the caller's scope")
def list_stations(
    principal: ApiPrincipal,
    db: DbDep,
    kind: str | None = None,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Stations (none for enterprise accounts)."""
    conds: list[Any] = [visible(principal, "station")]
    if kind:
        conds.append(Station.kind == kind)
    total = db.execute(select(func.count()).select_from(Station).where(*conds)).scalar_one()
    rows = db.execute(
        select(Station).where(*conds).order_by(Station.station_id).limit(limit).offset(offset)
    ).scalars()
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [station_dict(s) for s in rows],
    }


@router.get("/stations/{station_id}", summary="One station")
def get_station(station_id: str, principal: ApiPrincipal, db: DbDep) -> dict[str, Any]:
    """One station; 404 if unknown or outside the caller's scope."""
    return station_dict(station_or_404(db, principal, station_id))


def map_features(db: Session, p: Principal) -> dict[str, Any]:
    """GeoJSON FeatureCollection of enterprises and stations in scope with pending lead counts."""
    counts = (
        select(Lead.enterprise_id, func.count().label("n"))
        .where(Lead.outcome.is_(None), visible(p, "lead", session=db))
        .group_by(Lead.enterprise_id)
        .subquery()
    )
    features: list[dict[str, Any]] = []
    rows = db.execute(
        select(
            Enterprise.enterprise_id,
            Enterprise.name,
            Enterprise.industry,
            Enterprise.lon,
            Enterprise.lat,
            Enterprise.grade,
            Enterprise.positive_list,
            Enterprise.district,
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(counts, counts.c.enterprise_id == Enterprise.enterprise_id)
        .where(visible(p, "enterprise"), Enterprise.lon.is_not(None), Enterprise.lat.is_not(None))
        .limit(20000)
    ).all()
    for eid, name, industry, lon, lat, grade, pos, district, n in rows:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "kind": "enterprise",
                    "id": eid,
                    "name": name,
                    "industry": industry,
                    "grade": grade,
                    "positive_list": pos,
                    "district": district,
                    "leads": int(n),
                    "url": f"/enterprises/{eid}",
                },
            }
        )
    st_counts = (
        select(Lead.subject_id, func.count().label("n"))
        .where(
            Lead.subject_type == "station",
            Lead.outcome.is_(None),
            visible(p, "lead", session=db),
        )
        .group_by(Lead.subject_id)
        .subquery()
    )
    srows = db.execute(
        select(Station, func.coalesce(st_counts.c.n, 0))
        .outerjoin(st_counts, st_counts.c.subject_id == Station.station_id)
        .where(visible(p, "station"), Station.lon.is_not(None), Station.lat.is_not(None))
    ).all()
    for st, n in srows:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [st.lon, st.lat]},
                "properties": {
                    "kind": "station",
                    "id": st.station_id,
                    "name": st.name,
                    "station_kind": st.kind,
                    "district": st.district,
                    "leads": int(n),
                    "url": "/leads?q=&family=AMBIENT_HOTSPOT",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@router.get("/map/features", summary="Map layer: enterprises and stations with lead counts")
def get_map_features(principal: ApiPrincipal, db: DbDep) -> dict[str, Any]:
    """GeoJSON for the map page."""
    return map_features(db, principal)


@router.get("/map/districts", summary="Map layer: district boundaries")
def get_map_districts(request: Request, principal: ApiPrincipal, db: DbDep) -> dict[str, Any]:
    """GeoJSON of the district boundaries in ``LANTIAN_HOME/geo/districts.geojson`` (the
    demo writes synthetic ones; an operator may put official ones there), limited to the
    cities of the enterprises and stations the caller sees; empty when there is no file."""
    import json

    from lantian.demo.boundaries import BOUNDARIES_FILE

    path = request.app.state.settings.resolved_home / BOUNDARIES_FILE
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if not path.is_file():
        return empty
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    cities = set(
        db.scalars(select(Enterprise.city).where(visible(principal, "enterprise")).distinct())
    ) | set(db.scalars(select(Station.city).where(visible(principal, "station")).distinct()))
    features = [
        f
        for f in data.get("features", [])
        if isinstance(f, dict) and (f.get("properties") or {}).get("city") in cities
    ]
    return {"type": "FeatureCollection", "features": features}
