"""The v2 clue-layer files of the import/export tests (on top of ``MINI_FILES``)."""

from __future__ import annotations

CLUE_FILES: dict[str, str] = {
    "registry/measures.csv": (
        "enterprise_id,line_id,level,action,limit_pct,truck_min_standard\n"
        "E1,E1-L1,orange,limit,20,5\n"
        "E1,E1-L1,red,stop,,6\n"
    ),
    "registry/grids.csv": (
        "grid_id,lon,lat,cell_km,city,district,township\n"
        "G1,114.40,36.62,3,清河市,南湖区,白塔镇\n"
        "G2,114.43,36.62,3,清河市,南湖区,\n"
    ),
    "data/grid_hourly.csv": (
        "grid_id,time,pm25,pm10\n"
        "G1,2024-01-15T10:00:00+08:00,88.5,120\n"
        "G2,2024-01-15T10:00:00+08:00,,\n"
    ),
    "data/met_hourly.csv": (
        "station_id,time,wind_dir,wind_speed,temp,rh\n"
        "S1,2024-01-15T10:00:00+08:00,315,2.4,-1.5,63\n"
        "S1,2024-01-15T11:00:00+08:00,0,0.3,,\n"
    ),
    "data/mobile_track.csv": (
        "vehicle_id,time,lon,lat,pollutant,value\n"
        "V1,2024-01-15T10:00:05+08:00,114.401,36.621,TVOC,310.5\n"
        "V1,2024-01-15T10:00:05+08:00,114.401,36.621,PM2.5,80\n"
    ),
    "data/camera_alarms.csv": (
        "alarm_id,source,camera_id,time,lon,lat,kind,confidence,enterprise_id,image\n"
        "C1,video,CAM-7,2024-01-15T10:12:00+08:00,114.391,36.631,black_smoke,0.93,E1,"
        "https://example.org/c1.jpg\n"
        "C2,drone,,2024-01-15T11:00:00+08:00,,,open_burning,0.5,,\n"
    ),
    "data/gate_records.csv": (
        "record_id,enterprise_id,gate_id,time,plate,vehicle_type,fuel,emission_standard,"
        "direction\n"
        "R1,E1,G-east,2024-01-15T09:30:00+08:00,冀A12345,heavy_truck,diesel,4,in\n"
        "R2,E1,G-east,2024-01-15T10:30:00+08:00,冀A12345,heavy_truck,diesel,4,out\n"
        "R3,E2,,2024-01-15T09:40:00+08:00,冀B54321,heavy_truck,diesel,6,in\n"
    ),
}
"""Every v2 clue file, valid against ``MINI_FILES`` (measures with truck_min_standard)."""
