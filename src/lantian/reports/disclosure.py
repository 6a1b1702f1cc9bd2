"""Public disclosure (信息公开): key dischargers' latest hourly online data with their limits,
and closed cases' outcomes, with only the fields the province's rules publish.

*Key dischargers* (重点排污单位) are the enterprises with a CEMS outlet in the registry; no
data of any other enterprise is published. A case is published only once it is closed
(``status = 'closed'``): open cases and false positives never are. Which case fields are
published is configuration (``disclosure.toml`` in this package, replaced by
``LANTIAN_DISCLOSURE_CONFIG``), validated at load with errors naming the entry; the
publishable fields (:data:`lantian.vocab.disclosure.CASE_FIELDS`) contain nothing personal.

References
----------
.. [1] 《企业环境信息依法披露管理办法》(生态环境部令第24号, 2021), 第十二条 (unverified wording).
.. [2] 《中华人民共和国政府信息公开条例》(2019 修订), 第二十条 (unverified wording).
.. [3] HJ 212-2017 §6.6.4, data flags: only ``N`` marks a valid hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.registry.models import Enterprise, Outlet
from lantian.settings import Settings
from lantian.timeutil import isoformat_cst, now_cst, to_cst
from lantian.tomlconfig import load_toml_config
from lantian.vocab import disclosure as dv
from lantian.vocab import families, pollutants
from lantian.vocab import registry as rv
from lantian.workflow.models import Case

SETTING = "LANTIAN_DISCLOSURE_CONFIG"
LIMIT_COLUMN: dict[str, str] = {"a34013": "limit_pm", "a21026": "limit_so2", "a21002": "limit_nox"}
"""The registry column of an outlet's emission limit per CEMS factor code."""
VALID_FLAG = "N"
"""The only HJ 212 data flag of a valid hour (a missing flag counts as valid)."""
ONLINE_FIELDS: tuple[str, ...] = (
    "enterprise_id",
    "enterprise_name",
    "district",
    "outlet_id",
    "outlet_name",
    "pollutant",
    "pollutant_name",
    "unit",
    "hour",
    "value",
    "zs_value",
    "limit",
    "exceeds",
    "flag",
    "flag_name",
    "valid",
)
"""Fields of one published online row (per outlet and pollutant, its latest hour)."""
_KEYS = frozenset({"case_fields", "case_days", "max_cases", "online_lookback_hours"})


class DisclosureConfigError(ValueError):
    """Malformed disclosure configuration; the message names the entry."""


@dataclass(frozen=True)
class DisclosureConfig:
    """What is published: case fields, how long, how many; the online data's look-back."""

    case_fields: tuple[str, ...]
    case_days: int
    max_cases: int
    online_lookback_hours: int


def _positive_int(data: dict[str, Any], key: str, upper: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise DisclosureConfigError(f"{key}: an integer from 1 to {upper} (got {value!r})")
    return value


def parse_config(data: dict[str, Any]) -> DisclosureConfig:
    """Validate a parsed TOML document.

    Raises
    ------
    DisclosureConfigError
        naming the entry: an unknown key, a missing key, a field that is not publishable
        (``case_fields[2] = 'assignee'``), a duplicate field, a count out of range.
    """
    for key in data:
        if key not in _KEYS:
            raise DisclosureConfigError(f"{key}: unknown key (allowed: {', '.join(sorted(_KEYS))})")
    fields = data.get("case_fields")
    if not isinstance(fields, list) or not fields:
        raise DisclosureConfigError("case_fields: a non-empty list of field names")
    seen: list[str] = []
    for i, name in enumerate(fields):
        if not isinstance(name, str) or name not in dv.CASE_FIELDS:
            raise DisclosureConfigError(
                f"case_fields[{i}] = {name!r}: not a publishable field "
                f"(allowed: {', '.join(dv.CASE_FIELDS.codes())})"
            )
        if name in seen:
            raise DisclosureConfigError(f"case_fields[{i}] = {name!r}: listed twice")
        seen.append(name)
    return DisclosureConfig(
        case_fields=tuple(seen),
        case_days=_positive_int(data, "case_days", 3660),
        max_cases=_positive_int(data, "max_cases", 1000),
        online_lookback_hours=_positive_int(data, "online_lookback_hours", 24 * 31),
    )


def load_config(path: Path | None = None) -> DisclosureConfig:
    """The shipped rules, or those at ``path`` (default: ``LANTIAN_DISCLOSURE_CONFIG``)."""
    if path is None:
        from lantian.settings import get_settings

        path = get_settings().disclosure_config
    return load_toml_config(
        path,
        package="lantian.reports",
        resource="disclosure.toml",
        setting=SETTING,
        error=DisclosureConfigError,
        parse=parse_config,
    )


def outcome_code(fix_path: str | None) -> str:
    """The published outcome of a closed case (:data:`lantian.vocab.disclosure.OUTCOMES`)."""
    if fix_path == "immediate_fix":
        return "immediate_fix"
    if fix_path == "supervision_order":
        return "rectified"
    return "closed"


def exceeds_limit(
    value_mg_m3: float | None, limit_mg_m3: float | None, flag: str | None
) -> bool | None:
    """Whether a valid hour's concentration [mg/m³] is above the outlet's limit [mg/m³].

    None when there is no limit, no value, or the hour is not valid (flag other than ``N``):
    an invalid hour is marked as such, never called an exceedance or compliant.
    """
    if value_mg_m3 is None or limit_mg_m3 is None or (flag not in (None, "", VALID_FLAG)):
        return None
    return value_mg_m3 > limit_mg_m3


def key_dischargers(db: Session) -> list[Enterprise]:
    """Enterprises with at least one CEMS outlet, by name."""
    has_outlet = select(Outlet.enterprise_id).distinct()
    stmt = select(Enterprise).where(Enterprise.enterprise_id.in_(has_outlet))
    return list(db.scalars(stmt.order_by(Enterprise.name, Enterprise.enterprise_id)))


def key_discharger_count(db: Session) -> int:
    """Number of key dischargers (enterprises with at least one CEMS outlet)."""
    stmt = select(func.count(func.distinct(Outlet.enterprise_id)))
    return int(db.scalar(stmt) or 0)


def latest_online(
    db: Session,
    settings: Settings,
    config: DisclosureConfig,
    enterprise_id: str | None = None,
    now: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]] | None:
    """Latest hour per outlet and pollutant of the key dischargers (or one of them).

    Without ``enterprise_id``, the key dischargers ``offset`` to ``offset + limit`` by name
    (a page: a province has thousands).

    Reads ``cems_hourly`` over the last ``online_lookback_hours`` (only those day files and
    those outlets). The published concentration is the corrected (折算) one where the data
    carry it, else the measured one, compared with the outlet's limit. Returns None when
    ``enterprise_id`` is given and is not a key discharger.
    """
    stmt = select(Outlet, Enterprise).join(
        Enterprise, Enterprise.enterprise_id == Outlet.enterprise_id
    )
    if enterprise_id is not None:
        stmt = stmt.where(Outlet.enterprise_id == enterprise_id)
    else:
        page = (
            select(Enterprise.enterprise_id)
            .where(Enterprise.enterprise_id.in_(select(Outlet.enterprise_id).distinct()))
            .order_by(Enterprise.name, Enterprise.enterprise_id)
            .limit(limit)
            .offset(offset)
        )
        stmt = stmt.where(Outlet.enterprise_id.in_(list(db.scalars(page))))
    pairs = list(db.execute(stmt.order_by(Enterprise.name, Outlet.name, Outlet.outlet_id)))
    if not pairs:
        return None if enterprise_id is not None else []
    outlets = {o.outlet_id: (o, e) for o, e in pairs}
    end = to_cst(now or now_cst()).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=config.online_lookback_hours)
    rows = _latest_rows(settings, list(outlets), start, end)
    out: list[dict[str, Any]] = []
    for outlet_id, pol, time, value, zs_value, flag in rows:
        outlet, ent = outlets[str(outlet_id)]
        column = LIMIT_COLUMN.get(str(pol))
        limit_mg_m3 = getattr(outlet, column) if column else None
        shown = zs_value if zs_value is not None else value
        valid = flag in (None, "", VALID_FLAG)
        out.append(
            {
                "enterprise_id": ent.enterprise_id,
                "enterprise_name": ent.name,
                "district": ent.district,
                "outlet_id": outlet.outlet_id,
                "outlet_name": outlet.name,
                "pollutant": str(pol),
                "pollutant_name": pollutants.name(str(pol)),
                "unit": pollutants.unit(str(pol)) or "",
                "hour": isoformat_cst(time),
                "value": None if value is None else float(value),
                "zs_value": None if zs_value is None else float(zs_value),
                "limit": None if limit_mg_m3 is None else float(limit_mg_m3),
                "exceeds": exceeds_limit(shown, limit_mg_m3, flag),
                "flag": flag,
                "flag_name": rv.HJ212_FLAGS.name(flag) if flag else "",
                "valid": valid,
            }
        )
    order = {oid: i for i, oid in enumerate(outlets)}
    out.sort(key=lambda r: (order[r["outlet_id"]], r["pollutant"]))
    return out


def _latest_rows(
    settings: Settings, ids: Sequence[str], start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """(outlet, pollutant, time, value, zs_value, flag) of each series' latest hour."""
    if not settings.lake_dir.exists():
        return []
    from lantian.lake import Lake
    from lantian.lake.store import shared_cursor

    lake = Lake(settings.lake_dir)
    if not lake.has_data("cems_hourly"):
        return []
    src = lake.scan_sql("cems_hourly", start, end, ids=ids)
    con = shared_cursor()
    try:
        rows = con.execute(
            "SELECT outlet_id, pollutant, time, value, zs_value, flag FROM "
            f"{src} QUALIFY row_number() OVER (PARTITION BY outlet_id, pollutant "
            "ORDER BY time DESC) = 1 ORDER BY outlet_id, pollutant"
        ).fetchall()
    finally:
        con.close()
    return [tuple(r) for r in rows]


def closed_cases(
    db: Session, config: DisclosureConfig, now: datetime | None = None, lang: str = "zh_CN"
) -> list[dict[str, Any]]:
    """Closed cases of key dischargers within ``case_days``, newest first, with only the
    configured fields (names in ``lang``)."""
    since = to_cst(now or now_cst()) - timedelta(days=config.case_days)
    key = select(Outlet.enterprise_id).distinct()
    stmt = (
        select(Case, Enterprise)
        .join(Enterprise, Enterprise.enterprise_id == Case.enterprise_id)
        .where(Case.status == "closed", Case.closed_at.is_not(None), Case.closed_at >= since)
        .where(Case.enterprise_id.in_(key))
        .order_by(Case.closed_at.desc(), Case.case_id.desc())
        .limit(config.max_cases)
    )
    out: list[dict[str, Any]] = []
    for case, ent in db.execute(stmt):
        closed = case.closed_at
        full: dict[str, Any] = {
            "enterprise_name": ent.name,
            "city": case.city or ent.city,
            "district": case.district or ent.district,
            "problem_type": families.FAMILIES.name(case.family, lang),
            "pollutant": pollutants.POLLUTANTS.name(case.pollutant, lang) if case.pollutant else "",
            "closed_date": to_cst(closed).date().isoformat() if closed else "",
            "outcome": dv.OUTCOMES.name(outcome_code(case.fix_path), lang),
        }
        out.append({f: full[f] for f in config.case_fields})
    return out
