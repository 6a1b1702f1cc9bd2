"""Stored per-series baselines: the store, its reuse rule, and ``Context.baseline``."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.rules.rules_fixtures import Bundle

from lantian.rules import baselines as bl
from lantian.rules.context import Context
from lantian.rules.inputs import TABLE_COLUMNS, empty_table
from lantian.timeutil import CST

T0 = datetime(2025, 1, 1, tzinfo=CST)


Row = tuple[str, str, str | None, str, float | None, str | None]


def _stored(rows: list[Row]) -> ir.Table:
    cols = list(TABLE_COLUMNS["baselines"])
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    return ibis.memtable(data, schema=TABLE_COLUMNS["baselines"])


def _ctx(rows: list[Row]) -> Context:
    inputs = Bundle().build()
    return Context(replace(inputs, baselines=_stored(rows)))


def test_stored_statistics_replace_computed_ones_for_their_series_only() -> None:
    ctx = _ctx(
        [
            ("o2", "P1", None, "o2_median", 11.5, None),
            ("o2", "P1", None, "o2_sigma", 0.25, None),
            ("other", "P2", None, "o2_median", 99.0, None),
        ]
    )
    computed = ibis.memtable(
        {"outlet_id": ["P1", "P2"], "o2_median": [9.0, 10.0], "o2_sigma": [1.0, 2.0]}
    )
    got = ctx.baseline("o2", ["outlet_id"], computed).execute()
    got = got.sort_values("outlet_id").to_dict("records")
    assert got == [
        {"outlet_id": "P1", "o2_median": 11.5, "o2_sigma": 0.25},
        {"outlet_id": "P2", "o2_median": 10.0, "o2_sigma": 2.0},
    ]


def test_a_stored_series_absent_from_the_rows_read_is_kept_with_its_types() -> None:
    # two keys (one an integer), a boolean, a string and a null value
    ctx = _ctx(
        [
            ("k", "L1", "7", "kw", 120.0, None),
            ("k", "L1", "7", "on", 1.0, None),
            ("k", "L1", "7", "line", None, "E1-L1"),
            ("k", "L1", "7", "n", None, None),
        ]
    )
    computed = ibis.memtable(
        {"line_id": ["L2"], "hod": [3], "kw": [5.0], "on": [False], "line": ["x"], "n": [4]},
        schema={
            "line_id": "string",
            "hod": "int64",
            "kw": "float64",
            "on": "boolean",
            "line": "string",
            "n": "int64",
        },
    )
    out = ctx.baseline("k", ["line_id", "hod"], computed)
    assert out.schema() == computed.schema()
    got = out.execute().sort_values("line_id").to_dict("records")
    assert got[0]["line_id"] == "L1" and got[0]["hod"] == 7 and got[0]["kw"] == 120.0
    assert bool(got[0]["on"]) is True and got[0]["line"] == "E1-L1"
    assert got[0]["n"] is None or got[0]["n"] != got[0]["n"]  # null (None or NaN)
    assert got[1]["line_id"] == "L2" and got[1]["kw"] == 5.0


def test_without_stored_rows_the_computed_table_is_returned_as_is() -> None:
    ctx = Context(Bundle().build())
    computed = ibis.memtable({"meter_id": ["M1"], "r_med": [0.8]})
    assert ctx.baseline("treatment_share", ["meter_id"], computed) is computed


def test_collected_statistics_become_store_rows_of_their_enterprise() -> None:
    collect: list[tuple[str, tuple[str, ...], object]] = []
    ctx = Context(Bundle().build(), collect=collect)  # type: ignore[arg-type]
    ctx.baseline(
        "treatment_share",
        ["meter_id"],
        ibis.memtable({"meter_id": ["M1", "M9"], "r_med": [0.8, 0.5], "r_mad": [0.1, None]}),
    )
    rows = bl.long_rows(collect, {"meter_id": {"M1": "E1"}})  # type: ignore[arg-type]
    assert rows.to_pylist() == [
        {
            "enterprise_id": "E1",
            "kind": "treatment_share",
            "k1": "M1",
            "k2": None,
            "name": "r_med",
            "value": 0.8,
            "text": None,
        },
        {
            "enterprise_id": "E1",
            "kind": "treatment_share",
            "k1": "M1",
            "k2": None,
            "name": "r_mad",
            "value": 0.1,
            "text": None,
        },
    ]  # M9 belongs to no known enterprise: not stored


def _rows(ent: str, value: float) -> pa.Table:
    return pa.table(
        {
            "enterprise_id": [ent],
            "kind": ["o2"],
            "k1": [f"P-{ent}"],
            "k2": [None],
            "name": ["o2_median"],
            "value": [value],
            "text": [None],
        },
        schema=bl.SCHEMA,
    )


def test_store_round_trip_and_replacement_per_enterprise(tmp_path: Path) -> None:
    assert bl.load(tmp_path).entries == {}
    store = bl.Store()
    e1 = bl.Entry(T0, T0 + timedelta(days=7), "r1")
    store.replace("p", pa.concat_tables([_rows("E1", 1.0), _rows("E2", 2.0)]), {"E1": e1, "E2": e1})
    bl.save(tmp_path, store)
    again = bl.load(tmp_path)
    assert again.params == "p" and again.entries == {"E1": e1, "E2": e1}
    assert again.rows_of(["E2"]).column("value").to_pylist() == [2.0]
    # E1 recomputed: its rows replaced, E2's kept
    e1b = bl.Entry(T0, T0 + timedelta(days=8), "r1")
    again.replace("p", _rows("E1", 5.0), {"E1": e1b})
    assert sorted(again.rows.column("value").to_pylist()) == [2.0, 5.0]
    assert again.entries["E1"] == e1b
    # other rule parameters: nothing stored before is kept
    again.replace("q", _rows("E2", 3.0), {"E2": e1})
    assert again.entries == {"E2": e1} and again.rows.column("value").to_pylist() == [3.0]
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
        lambda path: path.write_bytes(b"not parquet"),
        lambda path: pq.write_table(
            pa.table({"x": [1]}).replace_schema_metadata({bl.META_KEY: b"{not json"}), path
        ),
        lambda path: pq.write_table(
            pa.table({"x": [1]}).replace_schema_metadata(
                {bl.META_KEY: json.dumps({"format": bl.FORMAT, "entries": {"E1": {}}}).encode()}
            ),
            path,
        ),
    ],
    ids=["truncated", "garbage", "bad-metadata", "entry-without-window"],
)
def test_an_unreadable_store_counts_as_absent(
    tmp_path: Path, damage: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = bl.Store()
    store.replace("p", _rows("E1", 1.0), {"E1": bl.Entry(T0, T0 + timedelta(days=7), "r")})
    bl.save(tmp_path, store)
    damage(tmp_path / bl.STORE_NAME)
    with caplog.at_level(logging.WARNING):
        again = bl.load(tmp_path)
    assert again.entries == {} and again.rows.num_rows == 0
    assert "unreadable" in caplog.text


@pytest.mark.parametrize(
    ("lo_h", "hi_h", "registry", "refresh_h", "ok"),
    [
        (0, 1, "r", 24, True),  # the next hour
        (-2, 1, "r", 24, True),  # a short backlog inside the window
        (23, 24, "r", 24, True),  # a day later, still within the refresh
        (24, 25, "r", 24, False),  # more than a day after: refresh
        (-30, -29, "r", 24, False),  # a resend reaching back further than the refresh
        (0, 1, "other", 24, False),  # the registry changed
        (0, 1, "r", 0, False),  # refresh 0: always recompute
        (-24 * 8, -24 * 8 + 1, "r", 10_000, False),  # before the data they summarise
    ],
)
def test_when_stored_baselines_may_judge_a_change(
    lo_h: int, hi_h: int, registry: str, refresh_h: float, ok: bool
) -> None:
    end = T0 + timedelta(days=7)
    entry = bl.Entry(T0, end, "r")
    lo, hi = end + timedelta(hours=lo_h), end + timedelta(hours=hi_h)
    assert entry.reusable(lo, hi, registry, timedelta(hours=refresh_h)) is ok


def test_registry_fingerprint_changes_with_any_row_of_the_enterprise() -> None:
    def tables(rated: float) -> dict[str, pa.Table]:
        return {
            "enterprises": pa.table({"enterprise_id": ["E1", "E2"], "name": ["a", "b"]}),
            "outlets": pa.table({"outlet_id": ["P1"], "enterprise_id": ["E1"]}),
            "meters": pa.table(
                {"meter_id": ["M1", "M2"], "enterprise_id": ["E1", "E2"], "rated_kw": [1.0, rated]}
            ),
        }

    a, b = bl.registry_fingerprints(tables(2.0)), bl.registry_fingerprints(tables(3.0))
    assert a["E1"] == b["E1"] and a["E2"] != b["E2"]


def test_empty_baselines_input_has_the_canonical_columns() -> None:
    assert list(empty_table("baselines").columns) == list(TABLE_COLUMNS["baselines"])
