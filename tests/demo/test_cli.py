"""``lantian demo-city`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lantian.cli.main import app


def test_demo_city_writes_a_bundle_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "city"
    args = ["demo-city", str(out), "--enterprises", "6", "--days", "2", "--stations", "4"]
    result = CliRunner().invoke(app, [*args, "--seed", "9", "--parquet", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["enterprises"] == 6 and summary["stations"] == 4
    assert summary["rows"]["power"] > 0 and summary["rows"]["cems_hourly"] >= 0
    for name in ("power", "cems_hourly", "ambient_hourly", "alerts"):
        assert (out / "data" / f"{name}.parquet").exists()
    assert (out / "labels.jsonl").exists()
    # Not empty any more: refused without --overwrite, replaced with it.
    again = CliRunner().invoke(app, [*args, "--seed", "9"])
    assert again.exit_code == 2
    replaced = CliRunner().invoke(app, [*args, "--seed", "9", "--csv", "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert (out / "data" / "cems_hourly.csv").exists()
    assert not (out / "data" / "cems_hourly.parquet").exists()


def test_demo_city_rejects_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_start = runner.invoke(app, ["demo-city", str(tmp_path / "a"), "--start", "2025/01/01"])
    assert bad_start.exit_code == 2
    bad_interval = runner.invoke(
        app, ["demo-city", str(tmp_path / "b"), "--power-interval-min", "7"]
    )
    assert bad_interval.exit_code == 2
    assert "power_interval_min" in bad_interval.output
    both = runner.invoke(app, ["demo-city", str(tmp_path / "c"), "--csv", "--parquet"])
    assert both.exit_code == 2
    assert not any(tmp_path.iterdir())
