"""GRID-HOTSPOT and MOBILE-HOTSPOT give the same leads on Spark as on DuckDB (fixture inputs)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from lantian.rules.engine import run_rules
from lantian.rules.spark import inputs_to_spark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))

from test_grid_mobile_rules import bg, drive, grid_world, hourly

pytestmark = pytest.mark.spark


def test_grid_and_mobile_hotspots_identical_on_spark(spark: Any) -> None:
    b = grid_world(n=5)

    def pm25(g: str, h: int) -> float | None:
        if g == "G22" and h == 6:
            return None  # a cloud gap inside the episode
        if g == "G22" and 3 <= h < 9:
            return 170.0
        return 40.0 + (h % 3) + int(g[2])

    hourly(b, 12, pm25, lambda g, h: 300.0 if g == "G13" and 2 <= h < 6 else 90.0)
    drive(b, "V1", 9, 1200, lambda s: 200.0 + s % 4 if 930 <= s < 960 else bg(s))
    drive(b, "V2", 9, 1200, lambda s: 300.0 if 600 <= s < 603 else bg(s))  # too short
    duck = b.build()
    codes = ["GRID-HOTSPOT", "MOBILE-HOTSPOT"]
    expected = run_rules(duck, rules=codes)
    got = run_rules(inputs_to_spark(duck, spark), rules=codes)
    assert sorted((ld.rule, ld.subject_id) for ld in expected) == [
        ("GRID-HOTSPOT", "G13"),
        ("GRID-HOTSPOT", "G22"),
        ("MOBILE-HOTSPOT", "G23"),
    ]
    assert [asdict(a) for a in got] == [asdict(e) for e in expected]
