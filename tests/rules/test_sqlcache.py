"""Compiled SQL kept between runs: same leads, compiled once, a changed parameter recompiles."""

from __future__ import annotations

from typing import Any

from rules_fixtures import Bundle, standard_line, wiggle

from lantian.rules import sqlcache
from lantian.rules.engine import run_rules
from lantian.rules.inputs import Inputs

SO2 = "a21026"
RULES = ["CEMS-EXCEED"]  # reads the shared intermediates (CEMS, line state, meters)


def _bundle(spike_p2: tuple[int, int] = (30, 33)) -> Bundle:
    b = Bundle().enterprise("E1", industry="steel").enterprise("E2", industry="cement")
    b.outlet("P1", "E1", "E1-L1").outlet("P2", "E2", "E2-L1")
    standard_line(b, "E1", "E1-L1", prefix="A")
    standard_line(b, "E2", "E2-L1", prefix="B")
    lo, hi = spike_p2
    b.cems("P1", 72, SO2, lambda h: 40.0 if 10 <= h < 12 else 20.0 + wiggle(h, 3))
    b.cems("P2", 72, SO2, lambda h: 40.0 if lo <= h < hi else 21.0 + wiggle(h + 7, 3))
    return b


def _on(backend: Any, bundle: Bundle) -> Inputs:
    """The bundle's tables copied to ``backend`` under fixed names (as a platform run)."""
    inputs = bundle.build()
    tables = {
        name: sqlcache.arrow_table(backend, f"lake_{name}", getattr(inputs, name).to_pyarrow())
        for name in inputs.names()
    }
    return Inputs(**tables)


def _keys(leads: list[Any]) -> list[str]:
    return [ld.to_json() for ld in leads]


def test_second_run_reuses_sql_and_finds_the_same_leads() -> None:
    import ibis

    backend = ibis.duckdb.connect()
    memo = sqlcache.memoize_compiler(backend)
    assert sqlcache.memoize_compiler(backend) is memo  # installed once
    first = run_rules(_on(backend, _bundle()), rules=RULES)
    misses = memo.misses
    assert misses > 0 and memo.hits == 0
    # new data (another episode), same tables and parameters: nothing compiled again
    second = run_rules(_on(backend, _bundle(spike_p2=(40, 45))), rules=RULES)
    assert memo.misses == misses
    assert memo.hits >= misses
    assert _keys(first) == _keys(run_rules(_bundle().build(), rules=RULES))
    assert _keys(second) == _keys(run_rules(_bundle(spike_p2=(40, 45)).build(), rules=RULES))
    assert _keys(first) != _keys(second)
    # a changed parameter is a different expression: compiled anew, its own verdict
    strict = run_rules(
        _on(backend, _bundle()),
        rules=["CEMS-EXCEED"],
        params={"CEMS-EXCEED": {"min_duration_h": 3}},
    )
    assert memo.misses > misses
    assert [ld.subject_id for ld in strict] == ["P2"]


def test_memo_is_bounded() -> None:
    import ibis

    backend = ibis.duckdb.connect()
    memo = sqlcache.MemoCompiler(backend.compile, size=2)
    t = ibis.table({"x": "int64"}, name="t")
    sqls = [memo(t.filter(t.x > k)) for k in range(4)]
    assert memo.misses == 4 and len(memo._memo) == 2
    assert memo(t.filter(t.x > 3)) == sqls[3] and memo.hits == 1
    assert "> 3" in sqls[3] and "> 2" in sqls[2]


def test_materialised_tables_keep_the_ibis_types() -> None:
    import ibis
    import pyarrow as pa

    backend = ibis.duckdb.connect()
    sqlcache.memoize_compiler(backend)
    t = sqlcache.arrow_table(backend, "t", pa.table({"g": ["a", "a", "b"], "x": [1, 2, 3]}))
    expr = t.group_by("g").aggregate(s=t.x.sum(), n=t.count(), m=t.x.mean())
    # a plain CREATE TABLE AS would type sum(BIGINT) as HUGEINT (read back as a decimal)
    made = sqlcache.create_as(backend, "agg", expr)
    assert made.schema() == expr.schema()
    assert made.order_by("g").execute()["s"].tolist() == [3, 3]
