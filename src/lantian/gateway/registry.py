"""What the gateway needs from the registry: which MNs are known and their access passwords.

Loaded from the operational database (``outlets.mn/pw``, ``meters.mn/factor_code``) and
reloaded periodically, so registry changes reach a running gateway without a restart.

References
----------
.. [1] HJ 212-2017, §6.3.2 Table 3 (``MN`` data-logger id, ``PW`` access password).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lantian.settings import Settings

__all__ = ["RegistrySnapshot", "load_registry"]


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
    """

    passwords: dict[bytes, bytes | None] = field(default_factory=dict)
    outlets: dict[str, str] = field(default_factory=dict)
    meters: dict[tuple[str, str], str] = field(default_factory=dict)

    def kind(self, mn: str) -> str:
        """``outlet``, ``meter`` or ``unknown``."""
        if mn in self.outlets:
            return "outlet"
        if mn.encode() in self.passwords:
            return "meter"
        return "unknown"


def load_registry(settings: Settings) -> RegistrySnapshot:
    """Read outlets and meters with an MN from the database (blocking; run in a thread)."""
    from sqlalchemy import select

    from lantian.db.session import session_scope
    from lantian.registry.models import Meter, Outlet

    passwords: dict[bytes, bytes | None] = {}
    outlets: dict[str, str] = {}
    meters: dict[tuple[str, str], str] = {}
    with session_scope(settings) as session:
        for outlet_id, mn, pw in session.execute(select(Outlet.outlet_id, Outlet.mn, Outlet.pw)):
            if not mn:
                continue
            outlets[mn] = outlet_id
            passwords[mn.encode()] = pw.encode() if pw else None
        for meter_id, meter_mn, factor in session.execute(
            select(Meter.meter_id, Meter.mn, Meter.factor_code).where(Meter.mn.is_not(None))
        ):
            if not meter_mn:
                continue
            passwords.setdefault(meter_mn.encode(), None)
            if factor:
                meters[(meter_mn, factor)] = meter_id
    return RegistrySnapshot(passwords, outlets, meters)
