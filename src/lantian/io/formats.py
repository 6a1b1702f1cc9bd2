"""The bundle files of the exchange-format contract (v1): columns, types, keys, in one place.

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``).
.. [2] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则 (credit codes).
.. [3] HJ 212-2017, 污染物在线监控（监测）系统数据传输标准, Annex B (pollutant codes),
   Table 5 (data flags).
.. [4] HJ 76-2017 (hourly means of CEMS data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lantian.registry.vocab import (
    ALERT_LEVELS,
    GRADES,
    HJ212_FLAGS,
    INDUSTRIES,
    MEASURE_ACTIONS,
    METER_ROLES,
    STATION_KINDS,
)

Kind = Literal["str", "float", "bool", "time", "enum", "code", "credit_code"]

AMBIENT_POLLUTANTS: tuple[str, ...] = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")
"""Ambient pollutants of ``data/ambient_hourly.csv`` (µg/m³; CO mg/m³)."""

HJ212_CODE_PATTERN = r"^[a-z][0-9]{5}$"
"""HJ 212-2017 pollutant code, e.g. ``a34013`` (letter + 5 digits, Annex B)."""

CRC_KINDS: tuple[str, ...] = ("hj212", "modbus", "modbus_swapped")
"""Check of a data logger's packets (optional ``crc`` column; empty = ``hj212``)."""

SM4_KEY_PATTERN = r"^[0-9A-Fa-f]{32}$"
"""A 128-bit SM4 key as 32 hex digits (optional ``sm4_key`` column, HJ 212-2025 §6.4)."""


def _device_security() -> tuple[Column, ...]:
    """Optional columns of a data logger: CRC variant and SM4 key (a secret)."""
    return (
        Column("crc", "enum", choices=CRC_KINDS),
        Column(
            "sm4_key",
            "code",
            pattern=SM4_KEY_PATTERN,
            max_len=32,
            pattern_message="not an SM4 key (32 hex digits)",
        ),
    )


def _device_integrity() -> tuple[Column, ...]:
    """Optional columns of a data logger: the explicit no-PW exception, registration time."""
    return (Column("allow_no_pw", "bool"), Column("registered_at", "time"))


@dataclass(frozen=True)
class Column:
    """One column of a bundle file and how its cells are checked."""

    name: str
    kind: Kind = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    max_len: int | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    pattern_message: str | None = None
    """What a value not matching ``pattern`` is (the error text of a ``code`` column)."""


@dataclass(frozen=True)
class FileSpec:
    """One file of a bundle (``registry/<name>`` or ``data/<name>``)."""

    name: str
    folder: Literal["registry", "data"]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    one_of: tuple[str, ...] = field(default=())
    """Columns of which at least one must be in the header (``outlet_id`` or ``mn``)."""

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in contract order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _id(name: str, required: bool = True) -> Column:
    return Column(name, "str", required=required, max_len=64)


def _lon() -> Column:
    return Column("lon", "float", min=-180, max=180)


def _lat() -> Column:
    return Column("lat", "float", min=-90, max=90)


def _place() -> tuple[Column, ...]:
    return (
        Column("city", max_len=64),
        Column("district", max_len=64),
        Column("township", max_len=64),
    )


ENTERPRISES = FileSpec(
    "enterprises",
    "registry",
    (
        _id("enterprise_id"),
        Column("name", required=True, max_len=200),
        Column("credit_code", "credit_code", required=True),
        Column("industry", "enum", required=True, choices=INDUSTRIES),
        *_place(),
        _lon(),
        _lat(),
        Column("grade", "enum", choices=GRADES),
        Column("positive_list", "bool"),
    ),
    key=("enterprise_id",),
    unique=(("credit_code",),),
)
OUTLETS = FileSpec(
    "outlets",
    "registry",
    (
        _id("outlet_id"),
        _id("enterprise_id"),
        Column("name", required=True, max_len=200),
        Column("mn", required=True, max_len=32),
        Column("o2_ref_pct", "float", min=0, max=21, max_exclusive=True),
        Column("limit_pm", "float", min=0),
        Column("limit_so2", "float", min=0),
        Column("limit_nox", "float", min=0),
        _id("line_id", required=False),
        *_device_integrity(),
        Column("pw", max_len=64),
        *_device_security(),
    ),
    key=("outlet_id",),
    unique=(("mn",),),
)
METERS = FileSpec(
    "meters",
    "registry",
    (
        _id("meter_id"),
        _id("enterprise_id"),
        _id("line_id"),
        Column("role", "enum", required=True, choices=METER_ROLES),
        Column("name", required=True, max_len=200),
        Column("rated_kw", "float", min=0),
        Column("mn", max_len=32),
        Column("factor_code", max_len=32),
        *_device_integrity(),
        Column("pw", max_len=64),
        *_device_security(),
    ),
    key=("meter_id",),
    unique=(("mn", "factor_code"),),
)
STATIONS = FileSpec(
    "stations",
    "registry",
    (
        _id("station_id"),
        Column("name", required=True, max_len=200),
        Column("kind", "enum", required=True, choices=STATION_KINDS),
        *_place(),
        _lon(),
        _lat(),
    ),
    key=("station_id",),
)
MEASURES = FileSpec(
    "measures",
    "registry",
    (
        _id("enterprise_id"),
        _id("line_id"),
        Column("level", "enum", required=True, choices=ALERT_LEVELS),
        Column("action", "enum", required=True, choices=MEASURE_ACTIONS),
        Column("limit_pct", "float", min=0, max=100, min_exclusive=True),
        Column("truck_min_standard", "float", min=0, max=6),
    ),
    key=("line_id", "level"),
)
ALERTS = FileSpec(
    "alerts",
    "data",
    (
        _id("alert_id"),
        Column("city", required=True, max_len=64),
        Column("level", "enum", required=True, choices=ALERT_LEVELS),
        Column("start", "time", required=True),
        Column("end", "time"),
    ),
    key=("alert_id",),
)
CEMS_HOURLY = FileSpec(
    "cems_hourly",
    "data",
    (
        _id("outlet_id", required=False),
        Column("mn", max_len=32),
        Column("time", "time", required=True),
        Column("pollutant", "code", required=True, pattern=HJ212_CODE_PATTERN),
        Column("value", "float", required=True),
        Column("zs_value", "float"),
        Column("min", "float"),
        Column("max", "float"),
        Column("cou", "float"),
        Column("flag", "enum", choices=HJ212_FLAGS),
    ),
    key=("outlet_id", "time", "pollutant"),
    one_of=("outlet_id", "mn"),
)
POWER = FileSpec(
    "power",
    "data",
    (
        _id("meter_id"),
        Column("time", "time", required=True),
        Column("kw", "float", required=True),
    ),
    key=("meter_id", "time"),
)
AMBIENT_HOURLY = FileSpec(
    "ambient_hourly",
    "data",
    (
        _id("station_id"),
        Column("time", "time", required=True),
        Column("pollutant", "enum", required=True, choices=AMBIENT_POLLUTANTS),
        Column("value", "float", required=True),
    ),
    key=("station_id", "time", "pollutant"),
)

# --- v2 clue layers (contract "v2 additions"): optional files --------------------------

GRIDS = FileSpec(
    "grids",
    "registry",
    (
        _id("grid_id"),
        Column("lon", "float", required=True, min=-180, max=180),
        Column("lat", "float", required=True, min=-90, max=90),
        Column("cell_km", "float", min=0, min_exclusive=True),
        *_place(),
    ),
    key=("grid_id",),
)
GRID_HOURLY = FileSpec(
    "grid_hourly",
    "data",
    (
        _id("grid_id"),
        Column("time", "time", required=True),
        Column("pm25", "float", min=0),
        Column("pm10", "float", min=0),
    ),
    key=("grid_id", "time"),
)
MET_HOURLY = FileSpec(
    "met_hourly",
    "data",
    (
        _id("station_id"),
        Column("time", "time", required=True),
        Column("wind_dir", "float", min=0, max=360),
        Column("wind_speed", "float", min=0),
        Column("temp", "float", min=-80, max=70),
        Column("rh", "float", min=0, max=100),
    ),
    key=("station_id", "time"),
)
MOBILE_POLLUTANTS: tuple[str, ...] = ("TVOC", "PM2.5", "PM10", "NO2", "SO2")
"""Pollutants of 走航 readings (``data/mobile_track.csv``)."""
MOBILE_TRACK = FileSpec(
    "mobile_track",
    "data",
    (
        _id("vehicle_id"),
        Column("time", "time", required=True),
        Column("lon", "float", required=True, min=-180, max=180),
        Column("lat", "float", required=True, min=-90, max=90),
        Column("pollutant", "enum", required=True, choices=MOBILE_POLLUTANTS),
        Column("value", "float", required=True, min=0),
    ),
    key=("vehicle_id", "time", "pollutant"),
)
ALARM_SOURCES: tuple[str, ...] = ("video", "drone", "thermal", "patrol")
ALARM_KINDS: tuple[str, ...] = (
    "black_smoke",
    "open_burning",
    "dust",
    "bare_soil",
    "bypass_discharge",
    "equipment_idle",
    "other",
)
CAMERA_ALARMS = FileSpec(
    "camera_alarms",
    "data",
    (
        _id("alarm_id"),
        Column("source", "enum", required=True, choices=ALARM_SOURCES),
        _id("camera_id", required=False),
        Column("time", "time", required=True),
        Column("lon", "float", min=-180, max=180),
        Column("lat", "float", min=-90, max=90),
        Column("kind", "enum", required=True, choices=ALARM_KINDS),
        Column("confidence", "float", required=True, min=0, max=1),
        _id("enterprise_id", required=False),
        Column("image", max_len=500),
    ),
    key=("alarm_id",),
)
VEHICLE_TYPES: tuple[str, ...] = ("heavy_truck", "light_truck", "non_road", "other")
FUELS: tuple[str, ...] = ("diesel", "gasoline", "gas", "electric", "hybrid")
GATE_DIRECTIONS: tuple[str, ...] = ("in", "out")
GATE_RECORDS = FileSpec(
    "gate_records",
    "data",
    (
        _id("record_id"),
        _id("enterprise_id"),
        _id("gate_id", required=False),
        Column("time", "time", required=True),
        Column("plate", required=True, max_len=16),
        Column("vehicle_type", "enum", required=True, choices=VEHICLE_TYPES),
        Column("fuel", "enum", choices=FUELS),
        Column("emission_standard", "float", min=0, max=6),
        Column("direction", "enum", required=True, choices=GATE_DIRECTIONS),
    ),
    key=("record_id",),
)
CLUE_FILES: tuple[FileSpec, ...] = (
    GRIDS,
    GRID_HOURLY,
    MET_HOURLY,
    MOBILE_TRACK,
    CAMERA_ALARMS,
    GATE_RECORDS,
)
"""The v2 clue-layer files (optional; read by detection, imported into the lake)."""

REGISTRY_FILES: tuple[FileSpec, ...] = (ENTERPRISES, STATIONS, OUTLETS, METERS, MEASURES)
"""Registry files in import order (owners before what they own)."""
DATA_FILES: tuple[FileSpec, ...] = (ALERTS, CEMS_HOURLY, POWER, AMBIENT_HOURLY)
"""Data files in import order."""
FILES: dict[str, FileSpec] = {s.name: s for s in (*REGISTRY_FILES, *DATA_FILES, *CLUE_FILES)}
"""Every bundle file by name (also the sheet names of a workbook)."""
CLUE_DATA_FILES: tuple[FileSpec, ...] = tuple(s for s in CLUE_FILES if s.folder == "data")
"""The v2 clue-layer data files (stored in the lake)."""
BUNDLE_REGISTRY_FILES: tuple[FileSpec, ...] = (*REGISTRY_FILES, GRIDS)
"""Registry files ``lantian import`` stores, in import order (v1, then v2 grids)."""
BUNDLE_DATA_FILES: tuple[FileSpec, ...] = (*DATA_FILES, *CLUE_DATA_FILES)
"""Data files ``lantian import`` stores, in import order (v1, then the v2 clue layers)."""
LAKE_FILES: frozenset[str] = frozenset(
    {"cems_hourly", "power", "ambient_hourly", *(s.name for s in CLUE_DATA_FILES)}
)
"""Bundle files stored in the measurement lake (same names as the lake sources)."""
LAKE_RENAMES: dict[str, dict[str, str]] = {"camera_alarms": {"source": "alarm_source"}}
"""File column → lake column where a contract column clashes with the lake's bookkeeping
``source`` column (``camera_alarms.source`` is stored as ``alarm_source``)."""
SECRET_COLUMNS: frozenset[str] = frozenset({"sm4_key", "pw"})
"""Registry columns holding secrets (SM4 keys, HJ 212 access passwords ``PW``): exported
empty unless asked for explicitly, masked in audit entries, and never overwritten by an
empty cell on re-import."""
