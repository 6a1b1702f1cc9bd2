"""The upwind-candidate hook gives the same candidates on Spark as on DuckDB."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from lantian.rules.engine import run_rules
from lantian.rules.spark import inputs_to_spark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))

from test_upwind import hot_world

pytestmark = pytest.mark.spark


def test_upwind_candidates_identical_on_spark(spark: Any) -> None:
    duck = hot_world().build()
    expected = run_rules(duck, rules=["AMB-HOTSPOT"])
    got = run_rules(inputs_to_spark(duck, spark), rules=["AMB-HOTSPOT"])
    assert [c["enterprise_id"] for c in expected[0].evidence["candidates"]] == ["E_UP", "E_UNK"]
    assert [asdict(a) for a in got] == [asdict(e) for e in expected]
