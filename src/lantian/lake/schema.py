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
