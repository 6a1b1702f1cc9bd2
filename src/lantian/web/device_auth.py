"""Whether each device's data logger can authenticate at the gateway (for officers' pages).

The gateway (:func:`lantian.gateway.registry.load_registry`) judges credentials per data
logger (MN), not per device: a logger has a PW when any outlet or meter registered with its
MN has a non-empty one (the meters of one logger share its PW); without one it is refused
unless any of those devices carries ``allow_no_pw``. This module answers the same question
for the pages without reading the PW into anything it returns: only whether one exists.

References
----------
.. [1] HJ 212-2017, §6.3.2 Table 3 (``MN`` data-logger id, ``PW`` access password).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lantian.registry.models import Meter, Outlet

CredentialStatus = Literal["pw", "allow_no_pw", "refused", "no_logger"]
"""``pw``: the logger has a PW; ``allow_no_pw``: none, but accepted by exception (a
warning); ``refused``: none, the gateway refuses its packets; ``no_logger``: the device has
no MN (its data can only be imported)."""


def credential_status(has_pw: bool, allow_no_pw: bool) -> CredentialStatus:
    """The gateway's verdict on one logger from whether it has a PW and the exception flag.

    >>> credential_status(False, True)
    'allow_no_pw'
    """
    if has_pw:
        return "pw"
    return "allow_no_pw" if allow_no_pw else "refused"


def logger_status(session: Session, mns: Collection[str]) -> dict[str, CredentialStatus]:
    """The :func:`credential_status` of each data logger (MN) in ``mns``.

    Every outlet and meter registered with one of the MNs counts, whichever enterprise it
    belongs to, as in the gateway. PWs are compared in SQL, never loaded.
    """
    wanted = sorted({m for m in mns if m})
    if not wanted:
        return {}
    has_pw: dict[str, bool] = dict.fromkeys(wanted, False)
    allowed: dict[str, bool] = dict.fromkeys(wanted, False)
    for model in (Outlet, Meter):
        pw_set = and_(model.pw.is_not(None), model.pw != "")
        for mn, pw, allow in session.execute(
            select(model.mn, pw_set, model.allow_no_pw).where(model.mn.in_(wanted))
        ):
            if mn is None:  # excluded by the IN above; for the type checker
                continue
            has_pw[mn] = has_pw[mn] or bool(pw)
            allowed[mn] = allowed[mn] or bool(allow)
    return {mn: credential_status(has_pw[mn], allowed[mn]) for mn in wanted}


def enterprise_device_status(
    session: Session, enterprise_id: str
) -> dict[str, dict[str, CredentialStatus]]:
    """``{"outlet": {outlet_id: status}, "meter": {meter_id: status}}`` of one enterprise."""
    outlets = session.execute(
        select(Outlet.outlet_id, Outlet.mn).where(Outlet.enterprise_id == enterprise_id)
    ).all()
    meters = session.execute(
        select(Meter.meter_id, Meter.mn).where(Meter.enterprise_id == enterprise_id)
    ).all()
    by_mn = logger_status(session, [mn for _i, mn in [*outlets, *meters] if mn])
    return {
        "outlet": {i: by_mn[mn] if mn else "no_logger" for i, mn in outlets},
        "meter": {i: by_mn[mn] if mn else "no_logger" for i, mn in meters},
    }


__all__ = [
    "CredentialStatus",
    "credential_status",
    "enterprise_device_status",
    "logger_status",
]
