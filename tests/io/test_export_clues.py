"""``lantian export``: the v2 clue layers round-trip (import → export → same rows)."""

from __future__ import annotations

from pathlib import Path

from clue_fixtures import CLUE_FILES
from io_fixtures import MINI_FILES, write_bundle
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.io import import_bundle
from lantian.io.export import export_registry
from lantian.io.formats import FILES
from lantian.io.parse import convert, read_table

runner = CliRunner()

CLUE_PATHS = (
    "registry/grids.csv",
    "data/grid_hourly.csv",
    "data/met_hourly.csv",
    "data/mobile_track.csv",
    "data/camera_alarms.csv",
    "data/gate_records.csv",
)


def _rows(path: Path, name: str) -> list[tuple[object, ...]]:
    """The file's rows as typed values (the importer's parser), sorted."""
    parsed = convert(read_table(path, name), FILES[name])
    rows = [tuple(r.values()) for r in parsed.table.to_pylist()]
    return sorted(rows, key=repr)


def test_clue_files_round_trip(tmp_path: Path) -> None:
    src = write_bundle(tmp_path / "in", {**MINI_FILES, **CLUE_FILES})
    import_bundle(src)
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "clues", str(out)])
    assert result.exit_code == 0, result.output
    assert "gate_records\t3" in result.output
    for rel in CLUE_PATHS:
        name = Path(rel).stem
        exported = out / rel
        assert exported.is_file(), rel
        header = exported.read_text(encoding="utf-8").splitlines()[0]
        assert header == ",".join(FILES[name].column_names), rel
        assert _rows(exported, name) == _rows(src / rel, name), rel
    assert len(_rows(out / "data/gate_records.csv", "gate_records")) == 3


def test_export_data_camera_alarms_has_the_contract_source_column(tmp_path: Path) -> None:
    import_bundle(write_bundle(tmp_path / "in", {**MINI_FILES, **CLUE_FILES}))
    out = tmp_path / "alarms.csv"
    result = runner.invoke(app, ["export", "data", "camera_alarms", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("alarm_id,source,camera_id,time,")
    assert lines[1].startswith("C1,video,CAM-7,2024-01-15T10:12:00+08:00,")


def test_registry_export_writes_grids_only_when_there_are_any(tmp_path: Path) -> None:
    import_bundle(write_bundle(tmp_path / "v1", MINI_FILES))
    counts = export_registry(tmp_path / "a")
    assert "grids" not in counts and not (tmp_path / "a/registry/grids.csv").exists()
    import_bundle(
        write_bundle(tmp_path / "v2", {"registry/grids.csv": CLUE_FILES["registry/grids.csv"]})
    )
    counts = export_registry(tmp_path / "b")
    assert counts["grids"] == 2
    assert _rows(tmp_path / "b/registry/grids.csv", "grids") == _rows(
        tmp_path / "v2/registry/grids.csv", "grids"
    )
