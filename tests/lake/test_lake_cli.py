"""``lantian lake stats|compact|query``."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.lake import Lake
from lantian.settings import get_settings
from lantian.timeutil import CST

runner = CliRunner()


def _write_twice() -> Lake:
    lake = Lake(get_settings().lake_dir)
    t = datetime(2024, 1, 8, 9, tzinfo=CST)
    lake.append("power", pa.table({"meter_id": ["M1", "M2"], "time": [t, t], "kw": [1.0, 2.0]}),
                origin="import")  # fmt: skip
    lake.append("power", pa.table({"meter_id": ["M1"], "time": [t], "kw": [5.0]}),
                origin="gateway")  # fmt: skip
    return lake


def test_stats_compact_query() -> None:
    lake = _write_twice()
    result = runner.invoke(app, ["lake", "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["power"]["files"] == 2 and stats["power"]["rows"] == 3
    assert "power" in runner.invoke(app, ["lake", "stats"]).output

    result = runner.invoke(app, ["lake", "query", "SELECT meter_id, kw FROM power ORDER BY 1"])
    assert result.exit_code == 0, result.output
    assert "M1" in result.output and "5.0" in result.output and "1.0" not in result.output

    result = runner.invoke(app, ["lake", "compact", "power", "--grace", "0"])
    assert result.exit_code == 0, result.output
    assert "1 day partition(s) compacted" in result.output
    assert "1 superseded rows dropped" in result.output
    after = lake.stats()["power"]
    assert (after["files"], after["rows"]) == (1, 2)


def test_errors() -> None:
    assert runner.invoke(app, ["lake", "compact", "nope"]).exit_code == 2
    bad = runner.invoke(app, ["lake", "query", "SELECT * FROM no_such_table"])
    assert bad.exit_code == 2 and "error" in bad.output
