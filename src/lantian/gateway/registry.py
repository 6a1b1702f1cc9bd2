"""What the gateway needs from the registry: which MNs are known, their access passwords,
their CRC variant and their SM4 keys.

Loaded from the operational database (``outlets.mn/pw/crc/sm4_key``,
``meters.mn/factor_code/crc/sm4_key``) and reloaded periodically, so registry changes reach
a running gateway without a restart. SM4 keys are secrets: they are kept out of ``repr``
and never logged.

References
----------
.. [1] HJ 212-2017, §6.3.2 Table 3 (``MN`` data-logger id, ``PW`` access password),
   Appendix A (CRC).
.. [2] HJ 212-2025, §6.4 (SM4 encryption of CP with a key per data logger).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from lantian.settings import Settings

__all__ = ["Device", "RegistrySnapshot", "load_registry"]

log = logging.getLogger("lantian.gateway")

CrcKind = Literal["hj212", "modbus"]

_KEY = re.compile(r"[0-9A-Fa-f]{32}")


@dataclass(frozen=True)
class Device:
    """A data logger that does not use the defaults (HJ 212 CRC, no SM4 key).

    Attributes
    ----------
    crc : {"hj212", "modbus"}
        The check its packets carry, and the one its answers get.
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
        MN (bytes) → required PW (bytes) or ``None`` when the PW is not checked. Every
        registered MN (outlets and meters) is a key.
    outlets : dict
        MN (str) → outlet_id.
    meters : dict
        (MN, factor_code) → meter_id (HJ 212-2025 electricity monitoring, ST=44).
    devices : dict
        MN (bytes) → :class:`Device`, only for loggers with the CRC-16/MODBUS opt-in or an
        SM4 key (the hot path looks the MN up once per packet).
    """

    passwords: dict[bytes, bytes | None] = field(default_factory=dict)
    outlets: dict[str, str] = field(default_factory=dict)
    meters: dict[tuple[str, str], str] = field(default_factory=dict)
    devices: dict[bytes, Device] = field(default_factory=dict, repr=False)

    def crc_kind(self, mn: str) -> CrcKind:
        """``hj212`` or ``modbus``: the check of ``mn``'s packets."""
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


def _device(mn: str, crc: str | None, key: str | None) -> Device | None:
    """The non-default settings of one logger, or None; bad values are logged and ignored."""
    text = (crc or "hj212").strip().lower()
    kind: CrcKind = "modbus" if text == "modbus" else "hj212"
    if text not in ("hj212", "modbus"):
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

    passwords: dict[bytes, bytes | None] = {}
    outlets: dict[str, str] = {}
    meters: dict[tuple[str, str], str] = {}
    devices: dict[bytes, Device] = {}
    with session_scope(settings) as session:
        for outlet_id, mn, pw, crc, key in session.execute(
            select(Outlet.outlet_id, Outlet.mn, Outlet.pw, Outlet.crc, Outlet.sm4_key)
        ):
            if not mn:
                continue
            outlets[mn] = outlet_id
            passwords[mn.encode()] = pw.encode() if pw else None
            device = _device(mn, crc, key)
            if device is not None:
                devices[mn.encode()] = device
        for meter_id, meter_mn, factor, crc, key in session.execute(
            select(Meter.meter_id, Meter.mn, Meter.factor_code, Meter.crc, Meter.sm4_key).where(
                Meter.mn.is_not(None)
            )
        ):
            if not meter_mn:
                continue
            passwords.setdefault(meter_mn.encode(), None)
            if factor:
                meters[(meter_mn, factor)] = meter_id
            device = _device(meter_mn, crc, key)
            if device is not None:
                devices.setdefault(meter_mn.encode(), device)
    return RegistrySnapshot(passwords, outlets, meters, devices)
