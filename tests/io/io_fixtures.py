"""Helpers of the import/export tests: a small hand-written bundle (no shared data needed)."""

from __future__ import annotations

from pathlib import Path

MINI_FILES: dict[str, str] = {
    "registry/enterprises.csv": (
        "enterprise_id,name,credit_code,industry,city,district,township,lon,lat,grade,"
        "positive_list\n"
        "E1,清河印务有限公司,91130100MA0CXXXX1M,printing,清河市,南湖区,白塔镇,114.39,36.63,B,false\n"
        "E2,清河钢铁有限公司,91130100700000000B,steel,清河市,北山区,,114.5,36.7,,true\n"
    ),
    "registry/outlets.csv": (
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id\n"
        "P1,E1,1#排口,88888880000001,,,,,E1-L1\n"
        "P2,E2,1#烧结机头,88888880000002,16,10,35,50,E2-L1\n"
    ),
    "registry/meters.csv": (
        "meter_id,enterprise_id,line_id,role,name,rated_kw\n"
        "M1,E1,E1-L1,production,印刷机1,55\n"
        "M2,E1,E1-L1,treatment,RTO焚烧炉,30.5\n"
        "M3,E2,E2-L1,production,烧结机,\n"
    ),
    "registry/stations.csv": (
        "station_id,name,kind,city,district,township,lon,lat\n"
        "S1,城东站,national,清河市,城东区,,114.4,36.4\n"
    ),
    "registry/measures.csv": (
        "enterprise_id,line_id,level,action,limit_pct\n"
        "E1,E1-L1,orange,limit,20\n"
        "E1,E1-L1,red,stop,\n"
    ),
    "data/alerts.csv": (
        "alert_id,city,level,start,end\nA1,清河市,orange,2024-01-14T20:00:00+08:00,2024-01-17T08:00\n"
    ),
    "data/cems_hourly.csv": (
        "outlet_id,time,pollutant,value,zs_value,flag\n"
        "P2,2024-01-08T00:00:00+08:00,a34013,4.6,3.8,N\n"
        "P2,2024-01-08T00:00:00+08:00,a19001,14.97,,N\n"
        "P2,2024-01-08T01:00:00,a34013,5.1,4.0,N\n"
        "P2,2024-01-08T23:00:00+08:00,a34013,6.0,,F\n"
        "P1,2024-01-09T00:00:00+08:00,a34013,1.5,,\n"
    ),
    "data/power.csv": (
        "meter_id,time,kw\n"
        "M1,2024-01-08T00:00:00+08:00,50.5\n"
        "M1,2024-01-08T00:05:00+08:00,51\n"
        "M2,2024-01-08T00:00:00+08:00,20\n"
    ),
    "data/ambient_hourly.csv": (
        "station_id,time,pollutant,value\n"
        "S1,2024-01-08T00:00:00+08:00,PM2.5,43\n"
        "S1,2024-01-08T00:00:00+08:00,PM10,67\n"
    ),
}


def write_bundle(root: Path, files: dict[str, str], bom: bool = False) -> Path:
    """Write ``files`` (relative path → text) under ``root``; return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return root
