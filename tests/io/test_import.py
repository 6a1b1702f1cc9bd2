"""``lantian import``: registry to the database (SQLite and PostgreSQL), data to the lake."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from io_fixtures import MINI_FILES, write_bundle
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.io import BundleError, import_bundle, read_bundle
from lantian.lake import Lake
from lantian.registry.models import Alert, Enterprise, Line, Measure, Meter, Outlet, Station
from lantian.settings import Settings, get_settings

runner = CliRunner()


def _count(settings: Settings, model: type) -> int:
    with session_scope(settings) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _lake_count(source: str) -> int:
    con = Lake(get_settings().lake_dir).connect()
    return int(con.sql(f"SELECT count(*) FROM {source}").fetchall()[0][0])


def _csv_rows(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8-sig").splitlines() if line) - 1


# ------------------------------------------------------------------------- dev-city
def test_import_dev_city_cli(dev_city: Path) -> None:
    result = runner.invoke(app, ["import", str(dev_city)])
    assert result.exit_code == 0, result.output
    settings = get_settings()
    reg = dev_city / "registry"
    assert _count(settings, Enterprise) == _csv_rows(reg / "enterprises.csv")
    assert _count(settings, Outlet) == _csv_rows(reg / "outlets.csv")
    assert _count(settings, Meter) == _csv_rows(reg / "meters.csv")
    assert _count(settings, Station) == _csv_rows(reg / "stations.csv")
    assert _count(settings, Measure) == _csv_rows(reg / "measures.csv")
    assert _count(settings, Alert) == _csv_rows(dev_city / "data" / "alerts.csv")
    assert _count(settings, Line) > 0
    assert _lake_count("cems_hourly") == _csv_rows(dev_city / "data" / "cems_hourly.csv")
    assert (
        _lake_count("power")
        == pq.ParquetFile(dev_city / "data" / "power.parquet").metadata.num_rows
    )
    assert _lake_count("ambient_hourly") == _csv_rows(dev_city / "data" / "ambient_hourly.csv")
    assert "cems_hourly.csv" in result.output and "total" in result.output


def test_dev_city_malformed_time_line_5_refuses_file(dev_city_copy: Path) -> None:
    path = dev_city_copy / "data" / "cems_hourly.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[4].split(",")  # line 5 of the file (header = line 1)
    cells[1] = "2024-01-08T0x:00:00"
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")

    result = runner.invoke(app, ["import", str(dev_city_copy)])
    assert result.exit_code == 1
    assert "cems_hourly.csv" in result.output and "line 5" in result.output
    assert "column time" in result.output and "2024-01-08T0x:00:00" in result.output
    lake = Lake(get_settings().lake_dir)
    assert not lake.has_data("cems_hourly")
    assert _lake_count("cems_hourly") == 0
    # the registry before it stays imported; files after it are not imported
    assert _count(get_settings(), Enterprise) > 0
    assert not lake.has_data("power")


# ------------------------------------------------------------------------- registry
def test_registry_import_and_reimport_updates(db_settings: Settings, mini_bundle: Path) -> None:
    report = import_bundle(mini_bundle, db_settings)
    assert [f.name for f in report.files] == [
        "enterprises", "stations", "outlets", "meters", "measures",
        "alerts", "cems_hourly", "power", "ambient_hourly",
    ]  # fmt: skip
    assert _count(db_settings, Enterprise) == 2
    assert _count(db_settings, Line) == 2
    assert _count(db_settings, Measure) == 2
    with session_scope(db_settings) as s:
        e2 = s.get(Enterprise, "E2")
        assert e2 is not None and e2.positive_list is True and e2.grade is None
        p2 = s.get(Outlet, "P2")
        assert p2 is not None and p2.o2_ref_pct == 16.0 and p2.line_id == "E2-L1"
        m3 = s.get(Meter, "M3")
        assert m3 is not None and m3.rated_kw is None
        alert = s.get(Alert, "A1")
        assert alert is not None and alert.end is not None
        assert alert.end.isoformat() == "2024-01-17T08:00:00+08:00"

    changed = dict(MINI_FILES)
    changed["registry/enterprises.csv"] = changed["registry/enterprises.csv"].replace(
        "清河钢铁有限公司", "清河钢铁集团"
    )
    changed["registry/measures.csv"] = changed["registry/measures.csv"].replace(
        "orange,limit,20", "orange,limit,30"
    )
    again = write_bundle(mini_bundle.parent / "again", changed)
    report = import_bundle(again, db_settings)
    ent = next(f for f in report.files if f.name == "enterprises")
    assert (ent.inserted, ent.updated) == (0, 2)
    assert _count(db_settings, Enterprise) == 2
    assert _count(db_settings, Measure) == 2
    with session_scope(db_settings) as s:
        e2 = s.get(Enterprise, "E2")
        assert e2 is not None and e2.name == "清河钢铁集团"
        pct = s.scalar(select(Measure.limit_pct).where(Measure.level == "orange"))
        assert pct == 30.0
    assert _lake_count("cems_hourly") == 5  # re-sent rows replace, never double


def test_registry_file_is_atomic(db_settings: Settings, mini_bundle: Path) -> None:
    meters = mini_bundle / "registry" / "meters.csv"
    meters.write_text(meters.read_text() + "M4,E9,E9-L1,production,x,1\n", encoding="utf-8")
    with pytest.raises(BundleError) as info:
        import_bundle(mini_bundle, db_settings)
    assert info.value.first.line == 5 and info.value.first.column == "enterprise_id"
    assert _count(db_settings, Outlet) == 2  # files before it stay
    assert _count(db_settings, Meter) == 0  # nothing of the refused file
    assert _count(db_settings, Measure) == 0  # nothing after it


def test_credit_code_taken_by_other_enterprise(db_settings: Settings, mini_bundle: Path) -> None:
    import_bundle(mini_bundle, db_settings)
    other = write_bundle(
        mini_bundle.parent / "other",
        {"registry/enterprises.csv": MINI_FILES["registry/enterprises.csv"].replace("E2,", "E3,")},
    )
    with pytest.raises(BundleError) as info:
        import_bundle(other, db_settings)
    assert (info.value.first.line, info.value.first.column) == (3, "credit_code")
    assert "E2" in info.value.first.message
    assert _count(db_settings, Enterprise) == 2


# ------------------------------------------------------------------------- formats
def test_bom_csv(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "bom", MINI_FILES, bom=True)
    report = import_bundle(bundle)
    assert report.warnings == []
    with session_scope() as s:
        assert s.get(Enterprise, "E1") is not None
    assert _lake_count("power") == 3


def test_unknown_column_warns(tmp_path: Path) -> None:
    files = dict(MINI_FILES)
    files["registry/stations.csv"] = "station_id,name,kind,备注\nS1,城东站,national,新建\n"
    report = import_bundle(write_bundle(tmp_path / "b", files))
    warn = [w for w in report.warnings if w.column == "备注"]
    assert len(warn) == 1
    assert warn[0].file == "registry/stations.csv" and warn[0].line == 1
    assert "unknown column" in warn[0].message


def test_unknown_column_warning_in_cli(tmp_path: Path) -> None:
    files = {"registry/enterprises.csv": MINI_FILES["registry/enterprises.csv"]}
    files["registry/enterprises.csv"] = (
        files["registry/enterprises.csv"]
        .replace("positive_list\n", "positive_list,remark\n")
        .replace("false\n", "false,x\n")
        .replace("true\n", "true,y\n")
    )
    result = runner.invoke(app, ["import", str(write_bundle(tmp_path / "b", files))])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "remark" in result.output


def test_wrong_check_character_is_a_warning(tmp_path: Path) -> None:
    files = {
        "registry/enterprises.csv": MINI_FILES["registry/enterprises.csv"].replace(
            "91130100MA0CXXXX1M", "91130100MA0CXXXX1A"
        )
    }
    report = import_bundle(write_bundle(tmp_path / "b", files))
    assert [(w.line, w.column, w.value) for w in report.warnings] == [
        (2, "credit_code", "91130100MA0CXXXX1A")
    ]
    assert "'M'" in report.warnings[0].message
    with session_scope() as s:
        e1 = s.get(Enterprise, "E1")
        assert e1 is not None and e1.credit_code == "91130100MA0CXXXX1A"


def _write_workbook(path: Path, sheets: dict[str, str]) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, text in sheets.items():
        sheet = book.create_sheet(name)
        for line in text.strip("\n").split("\n"):
            cells: list[object] = []
            for cell in line.split(","):
                if cell == "":
                    cells.append(None)
                elif cell.replace(".", "", 1).isdigit() and len(cell) < 10:
                    cells.append(float(cell))  # numbers as Excel numbers
                else:
                    cells.append(cell)
            sheet.append(cells)
    book.save(path)


def _registry_sheets() -> dict[str, str]:
    return {
        rel.split("/")[1].removesuffix(".csv"): text
        for rel, text in MINI_FILES.items()
        if rel.startswith("registry/")
    }


@pytest.mark.parametrize("layout", ["bundle", "bare"])
def test_xlsx_workbook_import(tmp_path: Path, layout: str) -> None:
    if layout == "bundle":
        target = write_bundle(
            tmp_path / "x", {k: v for k, v in MINI_FILES.items() if k.startswith("data/")}
        )
        _write_workbook(target / "registry.xlsx", _registry_sheets())
    else:
        target = tmp_path / "registry.xlsx"
        _write_workbook(target, _registry_sheets())
    result = runner.invoke(app, ["import", str(target)])
    assert result.exit_code == 0, result.output
    settings = get_settings()
    assert _count(settings, Enterprise) == 2
    assert _count(settings, Meter) == 3
    with session_scope(settings) as s:
        m2 = s.get(Meter, "M2")
        assert m2 is not None and m2.rated_kw == 30.5
        p2 = s.get(Outlet, "P2")
        assert p2 is not None and p2.mn == "88888880000002" and p2.limit_so2 == 35.0
    assert _lake_count("cems_hourly") == (5 if layout == "bundle" else 0)


def test_xlsx_error_names_sheet_and_row(tmp_path: Path) -> None:
    sheets = _registry_sheets()
    sheets["meters"] = sheets["meters"].replace("treatment", "cleaning")
    _write_workbook(tmp_path / "r.xlsx", sheets)
    with pytest.raises(BundleError) as info:
        import_bundle(tmp_path / "r.xlsx")
    first = info.value.first
    assert (first.file, first.line, first.column, first.value) == (
        "r.xlsx[meters]", 3, "role", "cleaning",
    )  # fmt: skip


def test_cems_by_mn_and_parquet_input(tmp_path: Path) -> None:
    files = dict(MINI_FILES)
    files["data/cems_hourly.csv"] = (
        "mn,time,pollutant,value,flag\n"
        "88888880000002,2024-01-08T00:00:00+08:00,a34013,4.6,N\n"
        "88888880000001,2024-01-08T00:00:00+08:00,a34013,2.5,\n"
    )
    del files["data/power.csv"]
    bundle = write_bundle(tmp_path / "b", files)
    power = pa.table(
        {
            "meter_id": pa.array(["M1", "M2"]).dictionary_encode(),
            "time": pa.array([1704643200000, 1704643200000], pa.timestamp("ms", tz="+08:00")),
            "kw": pa.array([50.1, 20.3], pa.float32()),
        }
    )
    pq.write_table(power, bundle / "data" / "power.parquet")
    import_bundle(bundle)
    con = Lake(get_settings().lake_dir).connect()
    rows = con.sql("SELECT outlet_id, value FROM cems_hourly ORDER BY outlet_id").fetchall()
    assert rows == [("P1", 2.5), ("P2", 4.6)]
    kw = con.sql("SELECT meter_id, kw, epoch(time) FROM power ORDER BY meter_id").fetchall()
    assert kw == [("M1", 50.1, 1704643200.0), ("M2", 20.3, 1704643200.0)]


def test_times_without_offset_are_cst(mini_bundle: Path) -> None:
    import_bundle(mini_bundle)
    con = Lake(get_settings().lake_dir).connect()
    got = con.sql(
        "SELECT epoch(time) FROM cems_hourly WHERE value = 5.1"
    ).fetchall()  # written as 2024-01-08T01:00:00 (no offset)
    assert got == [(1704646800.0,)]  # 2024-01-07T17:00:00Z


def test_read_bundle_without_database(mini_bundle: Path) -> None:
    bundle = read_bundle(mini_bundle)
    assert set(bundle) == {
        "enterprises", "stations", "outlets", "meters", "measures",
        "alerts", "cems_hourly", "power", "ambient_hourly",
    }  # fmt: skip
    assert bundle["power"].num_rows == 3
    assert bundle["cems_hourly"].column("time").type == pa.timestamp("us", tz="UTC")
    assert not (get_settings().resolved_home / "lantian.db").exists()


def test_missing_bundle_and_empty_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "no such file" in result.output

    (tmp_path / "short" / "registry").mkdir(parents=True)
    (tmp_path / "short" / "registry" / "stations.csv").write_text(
        "station_id,name,kind\nS1,a,national\nS2,b\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["import", str(tmp_path / "short")])
    assert result.exit_code == 1
    assert "registry/stations.csv, line 3: unreadable CSV: 2 fields" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["import", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "no bundle file" in result.output


def test_cli_reimport_compacts_the_lake(mini_bundle: Path) -> None:
    assert runner.invoke(app, ["import", str(mini_bundle)]).exit_code == 0
    lake = Lake(get_settings().lake_dir)
    files = lake.stats()["cems_hourly"]["files"]
    result = runner.invoke(app, ["import", str(mini_bundle)])
    assert result.exit_code == 0, result.output
    assert "compacted" in result.output
    assert lake.stats()["cems_hourly"]["files"] == files
    assert _lake_count("cems_hourly") == 5
    result = runner.invoke(app, ["import", "--no-compact", str(mini_bundle)])
    assert lake.stats()["cems_hourly"]["files"] == 2 * files
    assert _lake_count("cems_hourly") == 5
