"""CLI: ``lantian ambient index|rank``, ``lantian rules stats``, ``lantian detect-lake``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.leads.precision import rule_stats
from lantian.settings import Settings
from lantian.timeutil import CST

runner = CliRunner()


def _bundle(root: Path) -> Path:
    (root / "registry").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "registry" / "enterprises.csv").write_text(
        "enterprise_id,name,credit_code,industry,city,district,township,lon,lat,grade,positive_list\n",
        encoding="utf-8",
    )
    (root / "registry" / "outlets.csv").write_text(
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id\n",
        encoding="utf-8",
    )
    (root / "registry" / "meters.csv").write_text(
        "meter_id,enterprise_id,line_id,role,name,rated_kw\n", encoding="utf-8"
    )
    # Excel writes a BOM: accepted
    (root / "registry" / "stations.csv").write_text(
        "\ufeffstation_id,name,kind,city,district,township,lon,lat\n"
        "T1,甲镇站,township,清河市,城东区,甲镇,114.1,36.1\n"
        "T2,乙镇站,township,清河市,城东区,乙镇,114.2,36.2\n",
        encoding="utf-8",
    )
    rows = []
    t0 = datetime(2024, 1, 1)
    for station, pm in (("T1", 70.0), ("T2", 35.0)):
        for h in range(48):
            t = (t0 + timedelta(hours=h)).isoformat()
            rows.append((station, t, "PM2.5", pm))
            rows.append((station, t, "PM10", 70.0))
    pd.DataFrame(rows, columns=["station_id", "time", "pollutant", "value"]).to_csv(
        root / "data" / "ambient_hourly.csv", index=False
    )
    return root


def test_ambient_index_and_rank_commands(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    res = runner.invoke(
        app, ["ambient", "index", str(bundle), "--by", "township", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    by_town = {r["township"]: r for r in rows}
    assert by_town["甲镇"]["composite_index"] == 2 + 1  # PM2.5 70/35 + PM10 70/70
    assert by_town["乙镇"]["rank"] == 1 and by_town["甲镇"]["rank_worst"] == 1
    assert by_town["甲镇"]["first_day"] == "2024-01-01"
    res = runner.invoke(
        app,
        [
            "ambient",
            "rank",
            str(bundle),
            "--top",
            "1",
            "--format",
            "json",
            "--weights",
            '{"PM2.5": 3}',
        ],
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [r["township"] for r in rows] == ["甲镇"]
    assert rows[0]["weighted_index"] == 3 * 2 + 1
    out = tmp_path / "rank.xlsx"
    res = runner.invoke(app, ["ambient", "rank", str(bundle), "--out", str(out)])
    assert res.exit_code == 0 and out.exists()
    assert len(pd.read_excel(out)) == 2


def test_ambient_errors_are_clear(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    res = runner.invoke(app, ["ambient", "index", str(bundle), "--by", "county"])
    assert res.exit_code == 2 and "--by" in res.output
    res = runner.invoke(app, ["ambient", "index", str(bundle), "--weights", "nonsense"])
    assert res.exit_code == 2 and "--weights" in res.output
    res = runner.invoke(app, ["ambient", "index", str(bundle), "--weights", '{"NH3": 1}'])
    assert res.exit_code == 2 and "NH3" in res.output
    res = runner.invoke(app, ["ambient", "index"])
    assert res.exit_code == 2 and "BUNDLE" in res.output
    (bundle / "registry" / "stations.csv").unlink()
    res = runner.invoke(app, ["ambient", "index", str(bundle)])
    assert res.exit_code == 2 and "stations" in res.output


def _lead(lead_id: str, rule: str, outcome: str | None, open_: bool = False) -> Lead:
    t = datetime(2024, 1, 1, tzinfo=CST)
    return Lead(
        lead_id=lead_id,
        rule=rule,
        family="EXCEEDANCE",
        enterprise_id=None,
        subject_type="outlet",
        subject_id="P1",
        pollutant=None,
        start=t,
        end=t + timedelta(hours=1),
        severity=1,
        score=0.5,
        summary="s",
        evidence={},
        open=open_,
        detected_at=t,
        updated_at=t,
        outcome=outcome,
    )


def test_rules_stats(db_settings: Settings) -> None:
    with session_scope(db_settings) as s:
        s.add_all(
            [
                _lead("a", "CEMS-EXCEED", "confirmed"),
                _lead("b", "CEMS-EXCEED", "confirmed"),
                _lead("c", "CEMS-EXCEED", "false_positive"),
                _lead("d", "CEMS-EXCEED", None, open_=True),
                _lead("e", "CEMS-FLATLINE", None),
            ]
        )
    with session_scope(db_settings) as s:
        stats = {r["rule"]: r for r in rule_stats(s)}
    ex = stats["CEMS-EXCEED"]
    assert (ex["leads"], ex["open"], ex["judged"], ex["confirmed"], ex["false_positive"]) == (
        4,
        1,
        3,
        2,
        1,
    )
    assert abs(ex["precision"] - 2 / 3) < 1e-12
    assert stats["CEMS-FLATLINE"]["precision"] is None
    res = runner.invoke(app, ["rules", "stats", "--json"])
    assert res.exit_code == 0, res.output
    assert {r["rule"] for r in json.loads(res.stdout)} == {"CEMS-EXCEED", "CEMS-FLATLINE"}
    res = runner.invoke(app, ["rules", "stats"])
    assert res.exit_code == 0 and "CEMS-EXCEED" in res.stdout and "67%" in res.stdout


def test_detect_lake_on_an_empty_lake_is_skipped() -> None:
    res = runner.invoke(app, ["detect-lake", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["status"] == "skipped" and "no data" in report["message"]
    res = runner.invoke(app, ["detect-lake", "--engine", "flink"])
    assert res.exit_code == 2


def test_detect_lake_refuses_negative_windows() -> None:
    for option, value in (
        ("--baseline-refresh-h", "-1"),
        ("--episode-h", "0"),
        ("--lookback-days", "-2"),
        ("--merge-gap-h", "nan"),
    ):
        res = runner.invoke(app, ["detect-lake", option, value])
        assert res.exit_code == 2, (option, res.output)
        assert "must be" in res.output, (option, res.output)
    res = runner.invoke(app, ["detect-lake", "--baseline-refresh-h", "0", "--json"])
    assert res.exit_code == 0, res.output
