"""CAMERA-ALARM gives the same leads on Spark as on DuckDB (fixture inputs)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from lantian.rules.engine import run_rules
from lantian.rules.spark import inputs_to_spark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))

from test_camera_rule import alarm, camera_world

pytestmark = pytest.mark.spark


def test_camera_alarm_identical_on_spark(spark: Any) -> None:
    b = camera_world()
    alarm(b, "A1", 10.2, 0.8)
    alarm(b, "A2", 10.6, 0.75, kind="dust", camera="C2")
    alarm(b, "A3", 12.0, 0.6)  # isolated, low: no lead
    alarm(b, "A4", 14.0, 0.95, enterprise=None, pos=(116.031, 39.001))  # near E2
    alarm(b, "A5", 16.0, 0.95, enterprise=None, pos=(116.090, 39.001))  # grid G1
    alarm(b, "A6", 17.0, 0.99, enterprise=None, pos=(117.0, 40.0))  # near nothing
    duck = b.build()
    expected = run_rules(duck, rules=["CAMERA-ALARM"])
    got = run_rules(inputs_to_spark(duck, spark), rules=["CAMERA-ALARM"])
    assert [(e.subject_type, e.subject_id) for e in expected] == [
        ("enterprise", "E1"),
        ("enterprise", "E2"),
        ("grid", "G1"),
    ]
    assert [asdict(a) for a in got] == [asdict(e) for e in expected]
