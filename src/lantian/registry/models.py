"""SQLAlchemy models of the registry (exchange formats v1, ``registry/*.csv``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.registry.vocab import (
    ALERT_LEVELS,
    DEVICE_SUBJECT_TYPES,
    GRADES,
    INDUSTRIES,
    MEASURE_ACTIONS,
    METER_ROLES,
    STATION_KINDS,
)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Enterprise(Base):
    """企业 / 排污单位: a supervised enterprise."""

    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint(_in("industry", INDUSTRIES), name="industry"),
        CheckConstraint(f"grade IS NULL OR {_in('grade', GRADES)}", name="grade"),
        CheckConstraint("length(credit_code) = 18", name="credit_code_len"),
    )

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    industry: Mapped[str] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    township: Mapped[str | None] = mapped_column(String(64))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    positive_list: Mapped[bool] = mapped_column(Boolean, default=False)


class Line(Base):
    """生产线: production equipment and the treatment equipment that must run with it."""

    __tablename__ = "lines"

    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))


class Outlet(Base):
    """排放口: a stack with online monitoring, identified on the wire by its data logger MN."""

    __tablename__ = "outlets"
    __table_args__ = (
        CheckConstraint(
            "o2_ref_pct IS NULL OR (o2_ref_pct >= 0 AND o2_ref_pct < 21)", name="o2_ref"
        ),
    )

    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    mn: Mapped[str] = mapped_column(String(32), unique=True)
    o2_ref_pct: Mapped[float | None] = mapped_column(Float)
    limit_pm: Mapped[float | None] = mapped_column(Float)
    limit_so2: Mapped[float | None] = mapped_column(Float)
    limit_nox: Mapped[float | None] = mapped_column(Float)
    line_id: Mapped[str | None] = mapped_column(ForeignKey("lines.line_id"), index=True)
    pw: Mapped[str | None] = mapped_column(String(64))
    crc: Mapped[str | None] = mapped_column(String(16))
    """Check of the data logger's packets: ``hj212`` (NULL = default), ``modbus``
    (CRC-16/MODBUS, a per-device opt-in; HJ 212-2017 Appendix A is the standard) or
    ``modbus_swapped`` (CRC-16/MODBUS written low byte first)."""
    sm4_key: Mapped[str | None] = mapped_column(String(32))
    """128-bit SM4 key of the data logger as 32 hex digits (HJ 212-2025 CP encryption).
    A secret: never logged; exported only on request."""
    allow_no_pw: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Let the gateway accept this logger without a PW (an explicit, listed exception:
    without it a logger with no PW is refused)."""
    registered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    """When the data logger was registered: packets with an earlier ``DataTime`` are
    quarantined by the gateway (NULL = no bound)."""


class Meter(Base):
    """分表计电: one electricity meter on one piece of production or treatment equipment."""

    __tablename__ = "meters"
    __table_args__ = (
        CheckConstraint(_in("role", METER_ROLES), name="role"),
        CheckConstraint("rated_kw IS NULL OR rated_kw >= 0", name="rated_kw"),
        UniqueConstraint("mn", "factor_code", name="uq_meters_mn_factor"),
    )

    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[str] = mapped_column(ForeignKey("lines.line_id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    rated_kw: Mapped[float | None] = mapped_column(Float)
    mn: Mapped[str | None] = mapped_column(String(32), index=True)
    factor_code: Mapped[str | None] = mapped_column(String(32))
    crc: Mapped[str | None] = mapped_column(String(16))
    """As :attr:`Outlet.crc`, for the meter's data logger (MN)."""
    sm4_key: Mapped[str | None] = mapped_column(String(32))
    """As :attr:`Outlet.sm4_key`, for the meter's data logger (MN). A secret."""
    pw: Mapped[str | None] = mapped_column(String(64))
    """Access password (HJ 212 ``PW``) of the meter's data logger, as :attr:`Outlet.pw`."""
    allow_no_pw: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """As :attr:`Outlet.allow_no_pw`."""
    registered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    """As :attr:`Outlet.registered_at`."""


class Station(Base):
    """空气质量监测站: an ambient air station (national, provincial, township, micro)."""

    __tablename__ = "stations"
    __table_args__ = (CheckConstraint(_in("kind", STATION_KINDS), name="kind"),)

    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    township: Mapped[str | None] = mapped_column(String(64))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class Measure(Base):
    """应急减排措施: what a line must do at an alert level (stop, or limit output by %)."""

    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint(_in("level", ALERT_LEVELS), name="level"),
        CheckConstraint(_in("action", MEASURE_ACTIONS), name="action"),
        CheckConstraint(
            "(action = 'stop') OR (limit_pct IS NOT NULL AND limit_pct > 0 AND limit_pct <= 100)",
            name="limit_pct",
        ),
        CheckConstraint(
            "truck_min_standard IS NULL OR (truck_min_standard >= 0 AND truck_min_standard <= 6)",
            name="truck_min_standard",
        ),
        UniqueConstraint("line_id", "level", name="uq_measures_line_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[str] = mapped_column(ForeignKey("lines.line_id"))
    level: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(8))
    limit_pct: Mapped[float | None] = mapped_column(Float)
    truck_min_standard: Mapped[float | None] = mapped_column(Float)
    """Lowest emission standard (0..6 = 国0..国VI) of diesel heavy trucks allowed to enter
    at this level (contract v2 ``truck_min_standard``); None = no restriction."""


class Alert(Base):
    """重污染天气预警: a heavy-pollution weather alert for a city."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("level", ALERT_LEVELS), name="level"),
        CheckConstraint('"end" IS NULL OR "end" > start', name="window"),
    )

    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    city: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    start: Mapped[datetime] = mapped_column(TZDateTime)
    end: Mapped[datetime | None] = mapped_column(TZDateTime)


class DataRewrite(Base):
    """数据被改写: a resent measurement that differed from the stored one.

    The lake keeps the first value unless the resend was an authenticated, protocol-marked
    resend (HJ 212-2025 ``RF=1`` from a logger with a registered PW); both values are kept
    here either way (``used`` says whether the later one replaced the stored one).
    """

    __tablename__ = "data_rewrites"
    __table_args__ = (
        CheckConstraint(_in("subject_type", DEVICE_SUBJECT_TYPES), name="subject_type"),
        UniqueConstraint(
            "archive_seq", "source", "subject_id", "time", "pollutant", name="uq_data_rewrites_key"
        ),
        Index("ix_data_rewrites_subject", "subject_id", "time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    mn: Mapped[str] = mapped_column(String(32))
    time: Mapped[datetime] = mapped_column(TZDateTime)
    pollutant: Mapped[str] = mapped_column(String(32))
    """Lake pollutant of a CEMS row; ``kw`` for a meter."""
    old_value: Mapped[float | None] = mapped_column(Float)
    new_value: Mapped[float | None] = mapped_column(Float)
    old_flag: Mapped[str | None] = mapped_column(String(8))
    new_flag: Mapped[str | None] = mapped_column(String(8))
    resend: Mapped[bool] = mapped_column(Boolean)
    """The later packet was marked as a resend (HJ 212-2025 ``RF=1``)."""
    used: Mapped[bool] = mapped_column(Boolean)
    """The later value replaced the stored one in the lake."""
    archive_seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(TZDateTime)


class Grid(Base):
    """网格: a grid cell of the 网格化监测 network (contract v2 ``registry/grids.csv``).

    ``lon``/``lat`` are the cell centre (degrees, WGS-84 as the rest of the registry);
    ``cell_km`` the cell edge length in km.
    """

    __tablename__ = "grids"
    __table_args__ = (
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat"),
        CheckConstraint("cell_km IS NULL OR cell_km > 0", name="cell_km"),
    )

    grid_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    cell_km: Mapped[float | None] = mapped_column(Float)
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    township: Mapped[str | None] = mapped_column(String(64))
