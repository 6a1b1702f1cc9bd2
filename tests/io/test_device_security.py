"""Optional ``crc`` and ``sm4_key`` columns of outlets and meters: checks and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_fixtures import MINI_FILES, write_bundle
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.io import import_bundle, read_bundle
from lantian.io.errors import BundleError
from lantian.io.export import export_registry
from lantian.registry.models import Meter, Outlet
from lantian.settings import Settings

KEY = "00112233445566778899AABBCCDDEEFF"


def _bundle(root: Path, outlet_extra: str, meter_extra: str = ",") -> Path:
    files = dict(MINI_FILES)
    files["registry/outlets.csv"] = (
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id,"
        "crc,sm4_key\n"
        f"P1,E1,1#排口,88888880000001,,,,,E1-L1,{outlet_extra}\n"
        "P2,E2,1#烧结机头,88888880000002,16,10,35,50,E2-L1,,\n"
    )
    files["registry/meters.csv"] = (
        "meter_id,enterprise_id,line_id,role,name,rated_kw,mn,factor_code,crc,sm4_key\n"
        f"M1,E1,E1-L1,production,印刷机1,55,MNE1,d20105,{meter_extra}\n"
        "M2,E1,E1-L1,treatment,RTO焚烧炉,30.5,MNE1,d30106,,\n"
    )
    return write_bundle(root, files)


def test_crc_and_sm4_key_import_and_export(db_settings: Settings, tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "in", f"modbus,{KEY}", f"hj212,{KEY.lower()}")
    import_bundle(bundle, db_settings)
    with session_scope(db_settings) as s:
        p1, p2, m1 = s.get(Outlet, "P1"), s.get(Outlet, "P2"), s.get(Meter, "M1")
        assert p1 is not None and (p1.crc, p1.sm4_key) == ("modbus", KEY)
        assert p2 is not None and (p2.crc, p2.sm4_key) == (None, None)
        assert m1 is not None and (m1.crc, m1.sm4_key) == ("hj212", KEY.lower())

    # without the explicit flag the keys stay out of the export; crc is not a secret
    export_registry(tmp_path / "plain", db_settings)
    outlets = (tmp_path / "plain" / "registry" / "outlets.csv").read_text(encoding="utf-8")
    assert outlets.splitlines()[0].endswith(",pw,crc,sm4_key")
    assert KEY not in outlets and ",modbus,\n" in outlets
    meters = (tmp_path / "plain" / "registry" / "meters.csv").read_text(encoding="utf-8")
    assert KEY.lower() not in meters

    # with secrets: round trip of every registry file
    export_registry(tmp_path / "full", db_settings, with_secrets=True)
    original, exported = read_bundle(bundle), read_bundle(tmp_path / "full")
    for name in ("outlets", "meters"):
        key = "outlet_id" if name == "outlets" else "meter_id"
        a = original[name].sort_by(key)
        b = exported[name].sort_by(key)
        assert a.equals(b), name


def test_export_cli_with_secrets(tmp_path: Path) -> None:
    import_bundle(_bundle(tmp_path / "in", f",{KEY}"))
    runner = CliRunner()
    assert runner.invoke(app, ["export", "registry", str(tmp_path / "a")]).exit_code == 0
    assert KEY not in (tmp_path / "a" / "registry" / "outlets.csv").read_text(encoding="utf-8")
    args = ["export", "registry", str(tmp_path / "b"), "--with-secrets"]
    assert runner.invoke(app, args).exit_code == 0
    assert KEY in (tmp_path / "b" / "registry" / "outlets.csv").read_text(encoding="utf-8")
    args = ["export", "registry", str(tmp_path / "c"), "--xlsx"]
    assert runner.invoke(app, args).exit_code == 0
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "c" / "registry.xlsx")["outlets"]
    assert all(KEY not in str(cell.value) for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("extra", "column"),
    [
        ("crc16,", "crc"),
        (f",{KEY[:-1]}", "sm4_key"),  # 31 hex digits
        (f",{KEY[:-1]}G", "sm4_key"),  # not hex
        (f",{KEY}00", "sm4_key"),  # 34 digits
    ],
)
def test_bad_crc_or_key_refused(tmp_path: Path, extra: str, column: str) -> None:
    with pytest.raises(BundleError) as info:
        import_bundle(_bundle(tmp_path / "in", extra))
    first = info.value.first
    assert first.file.endswith("outlets.csv") and first.line == 2 and first.column == column
    with session_scope() as s:
        assert s.query(Outlet).count() == 0  # nothing of the refused file
    if column == "sm4_key":  # the message says what a key must look like
        assert "SM4" in first.message or "longer than 32" in first.message


def test_reimport_of_export_without_secrets_keeps_keys(
    db_settings: Settings, tmp_path: Path
) -> None:
    import_bundle(_bundle(tmp_path / "in", f"modbus,{KEY}", f"hj212,{KEY}"), db_settings)
    export_registry(tmp_path / "plain", db_settings)  # keys left empty
    import_bundle(tmp_path / "plain", db_settings)
    with session_scope(db_settings) as s:
        p1, m1 = s.get(Outlet, "P1"), s.get(Meter, "M1")
        assert p1 is not None and (p1.crc, p1.sm4_key) == ("modbus", KEY)
        assert m1 is not None and m1.sm4_key == KEY


def test_modbus_swapped_crc_imported_and_read_by_the_gateway(
    db_settings: Settings, tmp_path: Path
) -> None:
    # 14 characters: the column is wide enough on PostgreSQL too (migration 0015)
    import_bundle(_bundle(tmp_path / "in", "modbus_swapped,", "modbus_swapped,"), db_settings)
    with session_scope(db_settings) as s:
        p1, m1 = s.get(Outlet, "P1"), s.get(Meter, "M1")
        assert p1 is not None and p1.crc == "modbus_swapped"
        assert m1 is not None and m1.crc == "modbus_swapped"
    from lantian.gateway.registry import load_registry

    snap = load_registry(db_settings)
    assert snap.crc_kind("88888880000001") == "modbus_swapped"
    assert snap.crc_kind("MNE1") == "modbus_swapped"
