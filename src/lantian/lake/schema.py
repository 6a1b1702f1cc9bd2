"""Schemas of the measurement lake: every source, its columns and its natural key, in one place.

Times are stored as ``timestamp[us, tz=UTC]`` and mean the *start* of the interval a value
covers (HJ 212 ``DataTime`` convention). Day partitions use the China Standard Time date.

Every row also carries:

``source``
    where it came from: ``'import'`` (bulk import) or ``'gateway'`` (HJ 212 gateway).
``ingested_at``
    when the lake received it.
``seq``
    a number that increases with every write; for one natural key the row with the
    highest ``seq`` wins (a re-sent value replaces the earlier one, never doubles it).

References
----------
.. [1] HJ 212-2017, 污染物在线监控（监测）系统数据传输标准, §6.3 (DataTime), Annex B
   (pollutant codes), Table 5 (data flags ``N F M S D C T B``).
.. [2] HJ 76-2017, 固定污染源烟气排放连续监测系统技术要求及检测方法 (hourly, daily means).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TIME_TYPE = pa.timestamp("us", tz="UTC")
"""Arrow type of every time column in the lake."""

ORIGINS: tuple[str, ...] = ("import", "gateway")
"""Allowed values of the ``source`` column."""


@dataclass(frozen=True)
class SourceSchema:
    """One lake source: its Arrow schema, natural key and non-nullable columns."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    required: tuple[str, ...]
    description: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in storage order."""
        return tuple(self.schema.names)


_BOOKKEEPING = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("ingested_at", TIME_TYPE, nullable=False),
    pa.field("seq", pa.int64(), nullable=False),
]

_CEMS_FIELDS = [
    pa.field("outlet_id", pa.string(), nullable=False),
    pa.field("time", TIME_TYPE, nullable=False),
    pa.field("pollutant", pa.string(), nullable=False),
    pa.field("value", pa.float64(), nullable=False),
    pa.field("zs_value", pa.float64()),
    pa.field("min", pa.float64()),
    pa.field("max", pa.float64()),
    pa.field("cou", pa.float64()),
    pa.field("flag", pa.string()),
    *_BOOKKEEPING,
]
_CEMS_KEY = ("outlet_id", "time", "pollutant")
_CEMS_REQUIRED = ("outlet_id", "time", "pollutant", "value", "source", "ingested_at", "seq")


def _cems(name: str, what: str) -> SourceSchema:
    return SourceSchema(name, pa.schema(_CEMS_FIELDS), _CEMS_KEY, _CEMS_REQUIRED, what)


SOURCES: dict[str, SourceSchema] = {
    s.name: s
    for s in (
        _cems("cems_hourly", "CEMS hourly means per outlet and pollutant (HJ 212 CN=2061)"),
        _cems("cems_minute", "CEMS minute values per outlet and pollutant (HJ 212 CN=2051)"),
        _cems("cems_realtime", "CEMS real-time values per outlet and pollutant (HJ 212 CN=2011)"),
        _cems("cems_daily", "CEMS daily means per outlet and pollutant (HJ 212 CN=2031)"),
        SourceSchema(
            "power",
            pa.schema(
                [
                    pa.field("meter_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("kw", pa.float64(), nullable=False),
                    *_BOOKKEEPING,
                ]
            ),
            ("meter_id", "time"),
            ("meter_id", "time", "kw", "source", "ingested_at", "seq"),
            "mean active power (kW) of a meter over the interval starting at time",
        ),
        SourceSchema(
            "ambient_hourly",
            pa.schema(
                [
                    pa.field("station_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("pollutant", pa.string(), nullable=False),
                    pa.field("value", pa.float64(), nullable=False),
                    *_BOOKKEEPING,
                ]
            ),
            ("station_id", "time", "pollutant"),
            ("station_id", "time", "pollutant", "value", "source", "ingested_at", "seq"),
            "ambient hourly concentrations per station (µg/m³; CO mg/m³)",
        ),
        # --- v2 clue layers (contract "v2 additions"; issue #17) ---------------------
        SourceSchema(
            "grid_hourly",
            pa.schema(
                [
                    pa.field("grid_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("pm25", pa.float64()),
                    pa.field("pm10", pa.float64()),
                    *_BOOKKEEPING,
                ]
            ),
            ("grid_id", "time"),
            ("grid_id", "time", "source", "ingested_at", "seq"),
            "网格化 hourly PM2.5/PM10 per grid cell (µg/m³)",
        ),
        SourceSchema(
            "met_hourly",
            pa.schema(
                [
                    pa.field("station_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("wind_dir", pa.float64()),
                    pa.field("wind_speed", pa.float64()),
                    pa.field("temp", pa.float64()),
                    pa.field("rh", pa.float64()),
                    *_BOOKKEEPING,
                ]
            ),
            ("station_id", "time"),
            ("station_id", "time", "source", "ingested_at", "seq"),
            "hourly weather per station: wind_dir (degrees from north, where the wind comes "
            "from), wind_speed (m/s), temp (°C), rh (%)",
        ),
        SourceSchema(
            "mobile_track",
            pa.schema(
                [
                    pa.field("vehicle_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("pollutant", pa.string(), nullable=False),
                    pa.field("lon", pa.float64(), nullable=False),
                    pa.field("lat", pa.float64(), nullable=False),
                    pa.field("value", pa.float64(), nullable=False),
                    *_BOOKKEEPING,
                ]
            ),
            ("vehicle_id", "time", "pollutant"),
            (
                "vehicle_id",
                "time",
                "pollutant",
                "lon",
                "lat",
                "value",
                "source",
                "ingested_at",
                "seq",
            ),
            "走航 readings of a monitoring vehicle at a position (µg/m³)",
        ),
        SourceSchema(
            "camera_alarms",
            pa.schema(
                [
                    pa.field("alarm_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("alarm_source", pa.string(), nullable=False),
                    pa.field("camera_id", pa.string()),
                    pa.field("lon", pa.float64()),
                    pa.field("lat", pa.float64()),
                    pa.field("kind", pa.string(), nullable=False),
                    pa.field("confidence", pa.float64(), nullable=False),
                    pa.field("enterprise_id", pa.string()),
                    pa.field("image", pa.string()),
                    *_BOOKKEEPING,
                ]
            ),
            ("alarm_id",),
            (
                "alarm_id",
                "time",
                "alarm_source",
                "kind",
                "confidence",
                "source",
                "ingested_at",
                "seq",
            ),
            "video / drone / thermal / patrol alarms (confidence 0..1); the contract's "
            "``source`` column is stored as ``alarm_source`` (``source`` is the lake's "
            "bookkeeping column)",
        ),
        SourceSchema(
            "gate_records",
            pa.schema(
                [
                    pa.field("record_id", pa.string(), nullable=False),
                    pa.field("time", TIME_TYPE, nullable=False),
                    pa.field("enterprise_id", pa.string(), nullable=False),
                    pa.field("gate_id", pa.string()),
                    pa.field("plate", pa.string(), nullable=False),
                    pa.field("vehicle_type", pa.string(), nullable=False),
                    pa.field("fuel", pa.string()),
                    pa.field("emission_standard", pa.float64()),
                    pa.field("direction", pa.string(), nullable=False),
                    *_BOOKKEEPING,
                ]
            ),
            ("record_id",),
            (
                "record_id",
                "time",
                "enterprise_id",
                "plate",
                "vehicle_type",
                "direction",
                "source",
                "ingested_at",
                "seq",
            ),
            "门禁 vehicle passages at an enterprise gate (emission_standard 0..6 = 国0..国VI)",
        ),
    )
}
"""Every lake source by name."""


def source_schema(name: str) -> SourceSchema:
    """The schema of lake source ``name``.

    Raises
    ------
    KeyError
        If ``name`` is not a lake source.
    """
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(SOURCES)
        raise KeyError(f"unknown lake source {name!r} (known: {known})") from None
