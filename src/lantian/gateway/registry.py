"""What the gateway needs from the registry: which MNs are known, their access passwords,
their CRC variant, their SM4 keys and their registration time.

Loaded from the operational database (``outlets.mn/pw/crc/sm4_key/allow_no_pw/
registered_at``, the same columns of ``meters``) and reloaded periodically, so registry
changes reach a running gateway without a restart. SM4 keys and PWs are secrets: they are
kept out of ``repr`` and never logged.

Every device authenticates: a logger with no PW registered is *refused* (its packets are
quarantined as ``no_pw``) unless its ``allow_no_pw`` is set, an explicit exception that
status listings show as a warning. The meters of one logger (MN) share its PW.

References
----------
.. [1] HJ 212-2017, §6.3.2 Table 3 (``MN`` data-logger id, ``PW`` access password),
   Appendix A (CRC).
.. [2] HJ 212-2025, §6.4 (SM4 encryption of CP with a key per data logger).
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, Literal

from lantian.settings import Settings

__all__ = ["HELD_STATUSES", "Device", "RegistrySnapshot", "load_registry", "time_status"]

log = logging.getLogger("lantian.gateway")

CrcKind = Literal["hj212", "modbus", "modbus_swapped"]
_CRC_KINDS: dict[str, CrcKind] = {
    "hj212": "hj212",
    "modbus": "modbus",
    "modbus_swapped": "modbus_swapped",
}

_KEY = re.compile(r"[0-9A-Fa-f]{32}")


@dataclass(frozen=True)
class Device:
    """A data logger that does not use the defaults (HJ 212 CRC, no SM4 key).

    Attributes
    ----------
    crc : {"hj212", "modbus", "modbus_swapped"}
        The check its packets carry, and the one its answers get (``modbus_swapped``:
        CRC-16/MODBUS written low byte first, seen from real loggers).
    sm4_key : bytes or None
        16-byte SM4 key of HJ 212-2025 CP encryption (a secret: not in ``repr``).
    """

    crc: CrcKind = "hj212"
    sm4_key: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RegistrySnapshot:
    """An immutable view of the registry, keyed for the hot path.

    Attributes
    ----------
    passwords : dict
        MN (bytes) → required PW (bytes) or ``None`` when the PW is not checked (only for
        MNs in ``allow_no_pw``). Every registered MN (outlets and meters) is a key.
    outlets : dict
        MN (str) → outlet_id.
    meters : dict
        (MN, factor_code) → meter_id (HJ 212-2025 electricity monitoring, ST=44).
    devices : dict
        MN (bytes) → :class:`Device`, only for loggers with a CRC-16/MODBUS opt-in (plain
        or byte-swapped) or an SM4 key (the hot path looks the MN up once per packet).
    """

    passwords: dict[bytes, bytes | None] = field(default_factory=dict, repr=False)
    outlets: dict[str, str] = field(default_factory=dict)
    meters: dict[tuple[str, str], str] = field(default_factory=dict)
    devices: dict[bytes, Device] = field(default_factory=dict, repr=False)
    no_pw: frozenset[bytes] = frozenset()
    """Registered MNs without a PW and without ``allow_no_pw``: refused (``no_pw``)."""
    allow_no_pw: frozenset[bytes] = frozenset()
    """Registered MNs without a PW that are accepted by the explicit exception."""
    registered: dict[bytes, float] = field(default_factory=dict)
    """MN → registration time (epoch seconds); earlier ``DataTime`` is quarantined."""

    def crc_kind(self, mn: str) -> CrcKind:
        """``hj212``, ``modbus`` or ``modbus_swapped``: the check of ``mn``'s packets."""
        device = self.devices.get(mn.encode())
        return device.crc if device is not None else "hj212"

    @cached_property
    def sm4_keys(self) -> dict[str, bytes]:
        """MN → SM4 key, for ``parse_packet(..., sm4_keys=...)`` (secrets)."""
        return {mn.decode(): d.sm4_key for mn, d in self.devices.items() if d.sm4_key is not None}

    def kind(self, mn: str) -> str:
        """``outlet``, ``meter`` or ``unknown``."""
        if mn in self.outlets:
            return "outlet"
        if mn.encode() in self.passwords:
            return "meter"
        return "unknown"


HELD_STATUSES = frozenset({"future", "before_registration"})
"""Archive statuses of authenticated packets that are answered but kept from the lake."""

_PERIOD_S = {b"2051": 3600.0, b"2061": 3600.0, b"2031": 86400.0}
"""Longest period a ``DataTime`` may start before its packet's data (minute data: up to
an hour; 2011 real-time data: the sampling instant, 0)."""


@lru_cache(maxsize=65_536)
def _data_time_s(digits: bytes) -> float | None:
    """Epoch seconds of ``YYYYMMDDhhmmss`` in CST (+08:00), or None (cached: hot path)."""
    if len(digits) != 14 or not digits.isdigit():
        return None
    try:
        y, mo, d = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
        h, mi, sec = int(digits[8:10]), int(digits[10:12]), int(digits[12:14])
        datetime(y, mo, d, h, mi, sec)  # validates the calendar date
    except ValueError:
        return None
    return float(calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0)) - 8 * 3600)


def time_status(
    registry: RegistrySnapshot,
    mn: bytes,
    cn: bytes,
    data_time: bytes,
    now_s: float,
    future_margin_s: float,
) -> str:
    """``ok``, ``future`` or ``before_registration`` for an authenticated packet.

    ``future``: ``DataTime`` later than ``now_s + future_margin_s`` (a wrong logger clock
    or a forged packet; such data would move detection past every real hour).
    ``before_registration``: the whole period the ``DataTime`` starts (an hour for
    2051/2061, a day for 2031) ended before the logger was registered. An unreadable
    ``DataTime`` is ``ok`` here (the lake feeder drops it).

    References
    ----------
    .. [1] HJ 212-2017, Table 4 (``DataTime`` N14, CST; start of the period for
       2051/2061/2031).
    """
    when = _data_time_s(data_time[:14])
    if when is None:
        return "ok"
    if when > now_s + future_margin_s:
        return "future"
    since = registry.registered.get(mn)
    if since is not None and when + _PERIOD_S.get(cn, 0.0) <= since:
        return "before_registration"
    return "ok"


def _device(mn: str, crc: str | None, key: str | None) -> Device | None:
    """The non-default settings of one logger, or None; bad values are logged and ignored."""
    text = (crc or "hj212").strip().lower()
    kind = _CRC_KINDS.get(text, "hj212")
    if text not in _CRC_KINDS:
        log.warning("MN %s: unknown crc %r, using hj212", mn, crc)
    secret: bytes | None = None
    if key:
        if _KEY.fullmatch(key.strip()):
            secret = bytes.fromhex(key.strip())
        else:
            log.warning("MN %s: sm4_key is not 32 hex digits; ignored", mn)  # not the key
    if kind == "hj212" and secret is None:
        return None
    return Device(kind, secret)


def load_registry(settings: Settings) -> RegistrySnapshot:
    """Read outlets and meters with an MN from the database (blocking; run in a thread)."""
    from sqlalchemy import select

    from lantian.db.session import session_scope
    from lantian.registry.models import Meter, Outlet

    pws: dict[bytes, bytes | None] = {}
    allowed: set[bytes] = set()
    registered: dict[bytes, float] = {}
    outlets: dict[str, str] = {}
    meters: dict[tuple[str, str], str] = {}
    devices: dict[bytes, Device] = {}

    def credentials(mn: bytes, pw: str | None, allow: bool | None, since: Any) -> None:
        # the meters of one logger share its PW: the first one registered counts
        if pw and pws.get(mn) is None:
            pws[mn] = pw.encode()
        pws.setdefault(mn, None)
        if allow:
            allowed.add(mn)
        if since is not None:
            registered[mn] = min(registered.get(mn, since.timestamp()), since.timestamp())

    with session_scope(settings) as session:
        for outlet_id, mn, pw, crc, key, allow, since in session.execute(
            select(
                Outlet.outlet_id,
                Outlet.mn,
                Outlet.pw,
                Outlet.crc,
                Outlet.sm4_key,
                Outlet.allow_no_pw,
                Outlet.registered_at,
            )
        ):
            if not mn:
                continue
            outlets[mn] = outlet_id
            credentials(mn.encode(), pw, allow, since)
            device = _device(mn, crc, key)
            if device is not None:
                devices[mn.encode()] = device
        for meter_id, meter_mn, factor, crc, key, pw, allow, since in session.execute(
            select(
                Meter.meter_id,
                Meter.mn,
                Meter.factor_code,
                Meter.crc,
                Meter.sm4_key,
                Meter.pw,
                Meter.allow_no_pw,
                Meter.registered_at,
            ).where(Meter.mn.is_not(None))
        ):
            if not meter_mn:
                continue
            credentials(meter_mn.encode(), pw, allow, since)
            if factor:
                meters[(meter_mn, factor)] = meter_id
            device = _device(meter_mn, crc, key)
            if device is not None:
                devices.setdefault(meter_mn.encode(), device)
    no_pw = frozenset(mn for mn, pw in pws.items() if pw is None and mn not in allowed)
    allow_no_pw = frozenset(mn for mn, pw in pws.items() if pw is None and mn in allowed)
    return RegistrySnapshot(pws, outlets, meters, devices, no_pw, allow_no_pw, registered)
