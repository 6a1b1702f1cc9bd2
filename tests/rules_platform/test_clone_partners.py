"""CEMS-CLONED partners of an incremental run: found from values, without reading the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from lantian.lake import Lake
from lantian.rules.cems_cloned import Params
from lantian.rules.platform import _clone_partners
from lantian.timeutil import CST

T0 = datetime(2025, 1, 6, tzinfo=CST)
NOX, O2 = "a21002", "a19001"


def _rows(outlet: str, pollutant: str, values: dict[int, float]) -> list[dict[str, object]]:
    return [
        {
            "outlet_id": outlet,
            "time": T0 + timedelta(hours=h),
            "pollutant": pollutant,
            "value": v,
            "flag": "N",
        }
        for h, v in values.items()
    ]


def _lake(tmp_path: Path, rows: list[dict[str, object]]) -> Lake:
    lake = Lake(tmp_path / "lake")
    lake.append("cems_hourly", pa.Table.from_pylist(rows), origin="import")
    return lake


def test_a_copied_series_is_a_partner_scattered_equal_readings_are_not(tmp_path: Path) -> None:
    core = {h: 100.0 + (h * 7) % 23 for h in range(200)}
    rows = _rows("P1", NOX, core) + _rows("P1", O2, {h: 9.8 for h in range(200)})
    # P2 copies P1's NOx for 12 h (hours 50-61: many different values)
    rows += _rows("P2", NOX, {h: core[h] if 50 <= h < 62 else core[h] + 1 for h in range(200)})
    # P3 shares P1's O2 reading of 9.8 every hour (a constant: one value, never a copy),
    # and P1's NOx in scattered hours 20 h apart (many values, never a chain)
    rows += _rows("P3", O2, {h: 9.8 for h in range(200)})
    rows += _rows("P3", NOX, {h: core[h] if h % 20 == 0 else core[h] + 2 for h in range(200)})
    # P4 copies only 5 hours (fewer than an episode's identical hours can be)
    rows += _rows("P4", NOX, {h: core[h] if 80 <= h < 85 else core[h] + 3 for h in range(200)})
    lake = _lake(tmp_path, rows)
    window = (T0, T0 + timedelta(hours=200))
    ents = {"P1": "E1", "P2": "E2", "P3": "E3", "P4": "E4"}
    found = _clone_partners(lake, {"P1": window}, ents)
    assert set(found) == {"E2"}
    assert found["E2"] == window
    # the rule's parameters decide: a shorter episode with fewer values makes P4's 5
    # hours (two signatures, ending at hours 83 and 84) enough
    short = Params(min_duration_h=8, min_reported_share=0.5, min_distinct=2)
    assert set(_clone_partners(lake, {"P1": window}, ents, short)) == {"E2", "E4"}
    # outside the changed window nothing pairs
    late = (T0 + timedelta(hours=100), T0 + timedelta(hours=200))
    assert _clone_partners(lake, {"P1": late}, ents) == {}
