"""Small literal bundles for rule fixture tests (hand-built, deterministic)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from lantian.rules.engine import LeadRecord, run_rules
from lantian.rules.inputs import TABLE_COLUMNS, Inputs

T0 = datetime(2024, 1, 8)
"""Fixture time origin (CST wall clock, naive)."""


def t_of(hours: float) -> int:
    """CST epoch seconds of T0 + hours."""
    return int((T0 + timedelta(hours=hours) - datetime(1970, 1, 1)).total_seconds())


def iso(hours: float) -> str:
    """ISO time with +08:00 of T0 + hours (as leads carry it)."""
    return (T0 + timedelta(hours=hours)).isoformat() + "+08:00"


def wiggle(i: int, amp: float = 0.05) -> float:
    """Deterministic pseudo-noise in [-amp, amp]."""
    return amp * math.sin(i * 1.7) * math.cos(i * 0.31)


@dataclass
class Bundle:
    """Builder of an :class:`Inputs` from literal rows."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {k: [] for k in TABLE_COLUMNS}
    )

    def enterprise(self, eid: str, city: str = "清河市", industry: str = "steel") -> Bundle:
        self.rows["enterprises"].append(
            {"enterprise_id": eid, "name": f"{eid}公司", "industry": industry, "city": city}
        )
        return self

    def outlet(
        self,
        oid: str,
        eid: str,
        line: str | None,
        o2_ref: float | None = None,
        limits: tuple[float | None, float | None, float | None] = (10, 35, 50),
    ) -> Bundle:
        self.rows["outlets"].append(
            {
                "outlet_id": oid,
                "enterprise_id": eid,
                "name": f"{oid}排口",
                "o2_ref_pct": o2_ref,
                "limit_pm": limits[0],
                "limit_so2": limits[1],
                "limit_nox": limits[2],
                "line_id": line,
            }
        )
        return self

    def meter(self, mid: str, eid: str, line: str, role: str, rated: float = 100.0) -> Bundle:
        self.rows["meters"].append(
            {
                "meter_id": mid,
                "enterprise_id": eid,
                "line_id": line,
                "role": role,
                "name": f"{role}{mid}",
                "rated_kw": rated,
            }
        )
        return self

    def power(
        self, mid: str, hours: float, kw: Callable[[float], float], step_min: int = 5
    ) -> Bundle:
        """Samples every step_min for ``hours`` from T0; kw(h) gives the level at hour h."""
        n = int(hours * 60 / step_min)
        for i in range(n):
            h = i * step_min / 60
            self.rows["power"].append(
                {"meter_id": mid, "t": t_of(h), "kw": kw(h) * (1 + wiggle(i, 0.03))}
            )
        return self

    def cems(
        self,
        oid: str,
        hours: int,
        pollutant: str,
        value: Callable[[int], float | None],
        flag: Callable[[int], str] = lambda h: "N",
        zs: Callable[[int], float | None] | None = None,
    ) -> Bundle:
        for h in range(hours):
            v = value(h)
            if v is None:
                continue
            self.rows["cems"].append(
                {
                    "outlet_id": oid,
                    "t": t_of(h),
                    "pollutant": pollutant,
                    "value": v,
                    "zs_value": zs(h) if zs else None,
                    "flag": flag(h),
                }
            )
        return self

    def build(self) -> Inputs:
        con = ibis.duckdb.connect()
        tables = {}
        for name, cols in TABLE_COLUMNS.items():
            df = pd.DataFrame(self.rows[name], columns=list(cols))
            for c, typ in cols.items():
                if typ == "float64":
                    df[c] = df[c].astype("float64")
                elif typ == "int64":
                    df[c] = df[c].astype("int64")
                else:
                    df[c] = df[c].astype("object")
            tables[name] = con.create_table(
                f"{name}_fx", ibis.memtable(df, schema=cols), overwrite=True
            )
        return Inputs(**tables)


def day_shift(h: float, start: float = 8, end: float = 20) -> bool:
    """True from start to end o'clock each day."""
    return start <= (h % 24) < end


def standard_line(
    b: Bundle, eid: str = "E1", line: str = "E1-L1", days: int = 3, prefix: str = "M"
) -> Bundle:
    """One day-shift line: production meter (100 kW) + treatment meter (50 kW)."""
    b.meter(f"{prefix}P", eid, line, "production", 120).meter(
        f"{prefix}T", eid, line, "treatment", 60
    )
    b.power(f"{prefix}P", 24 * days, lambda h: 100.0 if day_shift(h) else 1.0)
    b.power(f"{prefix}T", 24 * days, lambda h: 50.0 if day_shift(h) else 0.5)
    return b


def detect(inputs: Inputs, code: str, params: dict[str, Any] | None = None) -> list[LeadRecord]:
    """Run one rule on fixture inputs."""
    return run_rules(inputs, rules=[code], params={code: params} if params else None)
