"""Demo truck gates (``data/gate_records.csv``) with labelled GATE_VIOLATION incidents.

Key transport users (重点用车单位: steel, coking, cement, glass, power, chemical, …) have
gates that record every vehicle entering and leaving. Most of those with emergency measures
also restrict trucks during alerts (``measures.truck_min_standard``: 国四 at yellow, 国五 at
orange and red, see :func:`truck_min_standards`); compliant enterprises then admit only
diesel heavy trucks of the allowed standard. An incident (labelled ``GATE_VIOLATION``,
subject the enterprise) is one to three restricted diesel heavy trucks entering on one alert
day (between 09:00 and 15:00 CST). Benign look-alikes: allowed trucks and other fuels or
vehicle types during alerts, restricted trucks outside alerts, restricted trucks that came in
before the alert and leave during it, and old trucks at enterprises without a restriction.

References
----------
.. [1] 环办大气函〔2020〕340号《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》
   (运输管控 during alerts; 门禁系统 records of heavy vehicles). The per-level standards
   here are this project's demo choice (unverified as any province's rule).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from lantian.demo.bundle import write_csv_rows
from lantian.demo.incidents import Label
from lantian.demo.registry import Registry
from lantian.timeutil import isoformat_cst

if TYPE_CHECKING:
    from lantian.demo.clues import ClueContext

TRANSPORT_INDUSTRIES = frozenset(
    {
        "steel",
        "coking",
        "cement",
        "glass",
        "coal_power",
        "petrochem",
        "chemical",
        "waste_incineration",
        "industrial_boiler",
    }
)
"""Industries whose enterprises are key transport users with gates."""
LEVEL_STANDARD: dict[str, int] = {"yellow": 4, "orange": 5, "red": 5}
"""Lowest diesel heavy-truck standard allowed in, by alert level (demo choice)."""
RANK = {"yellow": 1, "orange": 2, "red": 3}
TRIPS_PER_DAY = 12.0
"""Mean truck visits per gated enterprise and day."""
VIOLATION_P = 0.3
"""Chance that a restricted enterprise lets restricted trucks in on one alert day."""
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

Truck = tuple[str, str, str, int | None]
"""(plate, vehicle_type, fuel, emission_standard)."""
Record = tuple[int, str, str, Truck, str]
"""(minute from the period start, enterprise_id, gate_id, truck, direction)."""


def _gated(reg: Registry, seed: int) -> tuple[list[int], set[int]]:
    """Indices of gated enterprises and the subset that restricts trucks."""
    rng = np.random.default_rng([seed, 0xC1, 5])
    ents = reg.enterprises
    gated = [i for i, e in enumerate(ents) if e.industry in TRANSPORT_INDUSTRIES]
    with_measures = [i for i in gated if any(ln.measures for ln in ents[i].lines)]
    restricted = {i for i in with_measures if rng.random() < 0.75}
    if with_measures and not restricted:
        restricted.add(with_measures[0])
    return gated, restricted


def truck_min_standards(reg: Registry, seed: int) -> dict[tuple[str, str], int]:
    """``(line_id, level) → truck_min_standard`` for the measures of restricting enterprises."""
    _, restricted = _gated(reg, seed)
    out: dict[tuple[str, str], int] = {}
    for i in sorted(restricted):
        for ln in reg.enterprises[i].lines:
            for level in ln.measures:
                out[(ln.line_id, level)] = LEVEL_STANDARD[level]
    return out


def allowed_standard(
    reg: Registry, standards: dict[tuple[str, str], int], ent: int, level: str
) -> int | None:
    """Lowest standard allowed into enterprise ``ent`` at alert ``level`` (None = no limit).

    The measure of the alert level applies, else of the highest lower level that has one;
    over the enterprise's lines the strictest counts (as GATE-VIOLATION reads it).
    """
    rows = [
        (RANK[lv], std)
        for ln in reg.enterprises[ent].lines
        for lv in ln.measures
        if (std := standards.get((ln.line_id, lv))) is not None and RANK[lv] <= RANK[level]
    ]
    if not rows:
        return None
    best = max(r for r, _ in rows)
    return max(s for r, s in rows if r == best)


def _plate(rng: np.random.Generator) -> str:
    return "冀D" + "".join(PLATE_CHARS[int(i)] for i in rng.integers(0, len(PLATE_CHARS), 5))


def _fleet(rng: np.random.Generator, n: int) -> list[Truck]:
    out: list[Truck] = []
    for _ in range(n):
        u = rng.random()
        if u < 0.8:
            fuel = str(rng.choice(["diesel", "gas", "electric"], p=[0.75, 0.2, 0.05]))
            vtype = "heavy_truck"
        elif u < 0.95:
            fuel = str(rng.choice(["diesel", "gasoline"], p=[0.7, 0.3]))
            vtype = "light_truck"
        else:
            fuel, vtype = "diesel", "non_road"
        std: int | None = (
            None
            if fuel == "electric"
            else int(rng.choice([3, 4, 5, 6], p=[0.12, 0.25, 0.35, 0.28]))
        )
        out.append((_plate(rng), vtype, fuel, std))
    return out


def _restricted(truck: Truck, allowed: int | None) -> bool:
    return (
        allowed is not None
        and truck[1] == "heavy_truck"
        and truck[2] == "diesel"
        and truck[3] is not None
        and truck[3] < allowed
    )


def simulate_gates(
    ctx: ClueContext, standards: dict[tuple[str, str], int]
) -> tuple[list[Record], list[Label]]:
    """Gate records and the labels of the incidents."""
    seed = int(ctx.cfg.seed)
    rng = np.random.default_rng([seed, 0xC1, 6])
    reg = ctx.reg
    alerts = ctx.weather.alerts
    days = int(ctx.cfg.days)
    gated, restricted = _gated(reg, seed)
    records: list[Record] = []
    labels: list[Label] = []

    def alert_at(minute: int) -> tuple[str, str] | None:
        h = minute // 60
        for a in alerts:
            if a.start <= h < a.end:
                return a.alert_id, a.level
        return None

    for i in gated:
        e = reg.enterprises[i]
        fleet = _fleet(rng, 40)
        gates = [f"{e.enterprise_id}-G1", f"{e.enterprise_id}-G2"]
        limit = i in restricted
        for d in range(days):
            for _ in range(int(rng.poisson(TRIPS_PER_DAY))):
                t_in = d * 1440 + int(rng.integers(6 * 60, 21 * 60))
                al = alert_at(t_in) if limit else None
                allowed = allowed_standard(reg, standards, i, al[1]) if al else None
                truck = fleet[int(rng.integers(len(fleet)))]
                for _ in range(50):
                    if not _restricted(truck, allowed):
                        break
                    truck = fleet[int(rng.integers(len(fleet)))]
                if _restricted(truck, allowed):
                    continue
                t_out = t_in + int(rng.integers(30, 180))
                gate = gates[int(rng.integers(2))]
                records.append((t_in, e.enterprise_id, gate, truck, "in"))
                if t_out < days * 1440:
                    records.append((t_out, e.enterprise_id, gate, truck, "out"))
        if not limit:
            continue
        for a in alerts:
            allowed = allowed_standard(reg, standards, i, a.level)
            if allowed is None:
                continue
            old = [t for t in fleet if _restricted(t, allowed)]
            if not old:
                old = [(_plate(rng), "heavy_truck", "diesel", allowed - 1)]
                fleet.extend(old)
            # Benign: a restricted truck in before the alert, leaving during it.
            t_in = a.start * 60 - int(rng.integers(40, 120))
            if t_in >= 0:
                t_out = a.start * 60 + int(rng.integers(20, 90))
                truck = old[int(rng.integers(len(old)))]
                records.append((t_in, e.enterprise_id, gates[0], truck, "in"))
                records.append((t_out, e.enterprise_id, gates[0], truck, "out"))
            for d in range(a.start // 24, -(-a.end // 24)):
                lo = max(a.start, d * 24 + 9)
                hi = min(a.end, d * 24 + 15)
                if hi - lo < 1 or (labels and rng.random() >= VIOLATION_P):
                    continue
                count = int(rng.integers(1, 4))
                span = hi * 60 - lo * 60
                first = lo * 60 + int(rng.integers(0, max(1, span - 60)))
                ts = sorted(min(hi * 60 - 1, first + int(x)) for x in rng.integers(0, 120, count))
                ts[0] = first
                plates = []
                for t in ts:
                    truck = old[int(rng.integers(len(old)))]
                    plates.append(truck[0])
                    records.append((t, e.enterprise_id, gates[0], truck, "in"))
                    if t + 60 < days * 1440:
                        records.append((t + 60, e.enterprise_id, gates[0], truck, "out"))
                labels.append(
                    Label(
                        "GATE_VIOLATION",
                        e.enterprise_id,
                        "enterprise",
                        e.enterprise_id,
                        None,
                        (ts[0] // 60) * 60,
                        (ts[-1] // 60 + 1) * 60,
                        {"alert_id": a.alert_id, "entries": len(ts), "allowed": allowed},
                    )
                )
    records.sort(key=lambda r: (r[0], r[1], r[4], r[3][0]))
    return records, labels


def write_gates(ctx: ClueContext, standards: dict[tuple[str, str], int]) -> tuple[int, list[Label]]:
    """Write ``data/gate_records.csv``; rows written and the labels."""
    records, labels = simulate_gates(ctx, standards)
    base = ctx.start
    rows = [
        {
            "record_id": f"GR{k:06d}",
            "enterprise_id": eid,
            "gate_id": gate,
            "time": isoformat_cst(base + timedelta(minutes=t)),
            "plate": truck[0],
            "vehicle_type": truck[1],
            "fuel": truck[2],
            "emission_standard": truck[3],
            "direction": direction,
        }
        for k, (t, eid, gate, truck, direction) in enumerate(records, 1)
    ]
    write_csv_rows(
        ctx.root / "data" / "gate_records.csv",
        [
            "record_id",
            "enterprise_id",
            "gate_id",
            "time",
            "plate",
            "vehicle_type",
            "fuel",
            "emission_standard",
            "direction",
        ],
        rows,
    )
    return len(rows), labels
