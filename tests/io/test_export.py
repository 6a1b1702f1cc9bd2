"""``lantian export``: the registry round-trips, lake data comes back out in contract form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from io_fixtures import MINI_FILES
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.io import import_bundle, read_bundle
from lantian.io.formats import REGISTRY_FILES
from lantian.lake import Lake
from lantian.settings import get_settings

runner = CliRunner()


def _sorted(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in key])


@pytest.mark.parametrize("xlsx", [False, True])
def test_dev_city_registry_round_trip(dev_city: Path, tmp_path: Path, xlsx: bool) -> None:
    source = tmp_path / "src"
    shutil.copytree(dev_city / "registry", source / "registry")
    assert runner.invoke(app, ["import", str(source)]).exit_code == 0
    out = tmp_path / "out"
    args = ["export", "registry", str(out)] + (["--xlsx"] if xlsx else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "registry.xlsx").exists() == xlsx

    original, exported = read_bundle(source), read_bundle(out)
    for spec in REGISTRY_FILES:
        if spec.name not in original:
            continue
        a = _sorted(original[spec.name], spec.key)
        b = _sorted(exported[spec.name], spec.key)
        assert a.num_rows > 0
        assert a.equals(b), spec.name


def test_mini_registry_round_trip_text(mini_bundle: Path, tmp_path: Path) -> None:
    import_bundle(mini_bundle)
    runner.invoke(app, ["export", "registry", str(tmp_path / "out")])
    text = (tmp_path / "out" / "registry" / "meters.csv").read_text(encoding="utf-8")
    assert text.splitlines() == [
        "meter_id,enterprise_id,line_id,role,name,rated_kw,mn,factor_code,"
        "allow_no_pw,registered_at,pw,crc,sm4_key",
        "M1,E1,E1-L1,production,印刷机1,55,,,false,,,,",
        "M2,E1,E1-L1,treatment,RTO焚烧炉,30.5,,,false,,,,",
        "M3,E2,E2-L1,production,烧结机,,,,false,,,,",
    ]
    ent = (tmp_path / "out" / "registry" / "enterprises.csv").read_text(encoding="utf-8")
    assert "E2,清河钢铁有限公司,91130100700000000B,steel,清河市,北山区,,114.5,36.7,,true" in ent


def test_export_data_csv_and_parquet(mini_bundle: Path, tmp_path: Path) -> None:
    import_bundle(mini_bundle)
    out_csv = tmp_path / "x" / "cems_hourly.csv"
    result = runner.invoke(
        app,
        ["export", "data", "cems_hourly", str(out_csv), "--from", "2024-01-08T01:00",
         "--to", "2024-01-09"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out_csv.read_text(encoding="utf-8").splitlines() == [
        "outlet_id,time,pollutant,value,zs_value,flag",
        "P2,2024-01-08T01:00:00+08:00,a34013,5.1,4.0,N",
        "P2,2024-01-08T23:00:00+08:00,a34013,6.0,,F",
    ]
    out_pq = tmp_path / "power.parquet"
    assert runner.invoke(app, ["export", "data", "power", str(out_pq)]).exit_code == 0
    table = pq.read_table(out_pq)
    assert table.column_names == ["meter_id", "time", "kw"]
    assert table.schema.field("time").type == pa.timestamp("us", tz="+08:00")
    assert table.column("kw").to_pylist() == [50.5, 51.0, 20.0]

    out_alerts = tmp_path / "alerts.csv"
    assert runner.invoke(app, ["export", "data", "alerts", str(out_alerts)]).exit_code == 0
    assert out_alerts.read_text(encoding="utf-8").splitlines()[1] == (
        "A1,清河市,orange,2024-01-14T20:00:00+08:00,2024-01-17T08:00:00+08:00"
    )
    bad = runner.invoke(app, ["export", "data", "nope", str(tmp_path / "n.csv")])
    assert bad.exit_code == 2 and "unknown lake source" in bad.output


def test_exported_data_reimports_identically(mini_bundle: Path, tmp_path: Path) -> None:
    import_bundle(mini_bundle)
    out = tmp_path / "again"
    for source in ("cems_hourly", "power", "ambient_hourly"):
        runner.invoke(app, ["export", "data", source, str(out / "data" / f"{source}.csv")])
    con = Lake(get_settings().lake_dir).connect()
    query = "SELECT * EXCLUDE (ingested_at, seq) FROM cems_hourly ORDER BY ALL"
    before = con.sql(query).fetchall()
    assert len(before) == MINI_FILES["data/cems_hourly.csv"].count("\n") - 1
    import_bundle(out)  # the same values again: they replace, never double
    assert con.sql(query).fetchall() == before
    assert Lake(get_settings().lake_dir).stats()["cems_hourly"]["rows"] == 2 * len(before)


def test_registry_workbook_stores_formula_like_names_as_text(
    mini_bundle: Path, tmp_path: Path
) -> None:
    """A registry name beginning with '=' is exported as quoted text, never as a formula."""
    from openpyxl import load_workbook
    from sqlalchemy import update

    from lantian.db.session import session_scope
    from lantian.registry.models import Enterprise

    import_bundle(mini_bundle)
    hostile = '=HYPERLINK("http://example.invalid","点此")'
    with session_scope(get_settings()) as s:
        s.execute(update(Enterprise).where(Enterprise.enterprise_id == "E1").values(name=hostile))
    result = runner.invoke(app, ["export", "registry", str(tmp_path / "out"), "--xlsx"])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(tmp_path / "out" / "registry.xlsx")["enterprises"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "E1"]
    assert cells and cells[0].value == hostile and cells[0].data_type == "s"
    assert cells[0].quotePrefix
