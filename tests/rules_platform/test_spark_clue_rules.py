"""The clue-layer rules give the same leads on Spark as on DuckDB (fixture inputs)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from lantian.rules.engine import run_rules
from lantian.rules.spark import inputs_to_spark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))

from test_clue_rules import entry, gate_world

pytestmark = pytest.mark.spark


def test_gate_violation_identical_on_spark(spark: Any) -> None:
    b = gate_world()
    entry(b, "R1", 33.2, "冀A12345", 4)
    entry(b, "R2", 35.5, "冀A67890", 3)
    entry(b, "R3", 36.0, "冀A00001", 5)  # allowed
    entry(b, "R4", 50.1, "冀B11111", 4)
    duck = b.build()
    expected = run_rules(duck, rules=["GATE-VIOLATION"])
    got = run_rules(inputs_to_spark(duck, spark), rules=["GATE-VIOLATION"])
    assert len(expected) == 2
    assert [asdict(a) for a in got] == [asdict(e) for e in expected]
