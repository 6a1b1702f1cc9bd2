"""Imports are audited; bad input (control characters, future data time) is refused or
quarantined; ``lantian export registry`` writes secrets only with ``--with-secrets``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from io_fixtures import MINI_FILES, write_bundle
from sqlalchemy import select
from typer.testing import CliRunner

from lantian.auth.audit import verify_audit_chain
from lantian.auth.models import AuditLog
from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.io import BundleError, import_bundle, read_bundle
from lantian.io.importer import quarantine_dir
from lantian.lake import Lake
from lantian.registry.models import Outlet
from lantian.settings import Settings, get_settings

runner = CliRunner()

PW = "s3cret-PW-77"
SM4 = "00112233445566778899AABBCCDDEEFF"


@dataclass(frozen=True)
class WebUser:
    user_id: int
    username: str


def _audit_rows(settings: Settings, action: str | None = None) -> list[AuditLog]:
    with session_scope(settings) as s:
        q = select(AuditLog).order_by(AuditLog.audit_id)
        if action is not None:
            q = q.where(AuditLog.action == action)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def _with_secrets(files: dict[str, str]) -> dict[str, str]:
    out = dict(files)
    out["registry/outlets.csv"] = (
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id,pw,"
        "sm4_key\n"
        "P1,E1,1#排口,88888880000001,,,,,E1-L1,,\n"
        f"P2,E2,1#烧结机头,88888880000002,16,10,35,50,E2-L1,{PW},{SM4}\n"
    )
    return out


def test_each_import_file_is_audited_with_hash_and_counts(
    db_settings: Settings, mini_bundle: Path
) -> None:
    report = import_bundle(mini_bundle, db_settings)
    rows = _audit_rows(db_settings, "import_file")
    assert len(rows) == len(report.files) == 9
    by_file = {r.after["file"]: r for r in rows if r.after is not None}
    ent = by_file["registry/enterprises.csv"]
    expected = hashlib.sha256((mini_bundle / "registry/enterprises.csv").read_bytes()).hexdigest()
    assert ent.after is not None and ent.after["sha256"] == expected == ent.object_id
    assert (ent.after["inserted"], ent.after["updated"]) == (2, 0)
    assert ent.actor_name.startswith("cli:") and ent.actor_id is None
    cems = by_file["data/cems_hourly.csv"]
    assert cems.after is not None and cems.after["inserted"] == 5
    again = import_bundle(mini_bundle, db_settings, actor=WebUser(7, "officer1"))
    assert again.rows == report.rows
    rows = _audit_rows(db_settings, "import_file")[9:]
    ent2 = next(r for r in rows if r.after and r.after["table"] == "enterprises")
    assert ent2.actor_name == "officer1" and ent2.actor_id == 7
    assert ent2.after is not None and (ent2.after["inserted"], ent2.after["updated"]) == (0, 2)
    with session_scope(db_settings) as s:
        assert verify_audit_chain(s, settings=db_settings).ok


def test_registry_changes_of_limits_mn_pw_and_keys_are_audited_masked(
    db_settings: Settings, tmp_path: Path
) -> None:
    first = write_bundle(tmp_path / "a", _with_secrets(MINI_FILES))
    import_bundle(first, db_settings)
    created = {r.object_id: r for r in _audit_rows(db_settings, "registry_import")}
    assert created["P2"].before is None
    assert created["P2"].after == {
        "mn": "88888880000002",
        "pw": "********",
        "sm4_key": "********",
        "limit_pm": 10.0,
        "limit_so2": 35.0,
        "limit_nox": 50.0,
        "o2_ref_pct": 16.0,
    }
    changed = _with_secrets(MINI_FILES)
    changed["registry/outlets.csv"] = (
        changed["registry/outlets.csv"]
        .replace("16,10,35,50", "16,10,35,100")
        .replace("88888880000002", "88888880000099")
        .replace(PW, "new-PW-88")
    )
    second = write_bundle(tmp_path / "b", changed)
    n_before = len(_audit_rows(db_settings, "registry_import"))
    import_bundle(second, db_settings)
    rows = _audit_rows(db_settings, "registry_import")[n_before:]
    assert [r.object_id for r in rows] == ["P2"]  # P1 unchanged: no entry
    assert rows[0].object_type == "outlet"
    assert rows[0].before == {"mn": "88888880000002", "limit_nox": 50.0, "pw": "********"}
    assert rows[0].after == {
        "mn": "88888880000099",
        "limit_nox": 100.0,
        "pw": "******** (changed)",
    }
    everything = json.dumps([[r.before, r.after, r.note] for r in _audit_rows(db_settings)])
    assert PW not in everything and "new-PW-88" not in everything and SM4 not in everything


@pytest.mark.parametrize(
    ("char", "code"), [("\x00", "U+0000"), ("\t", "U+0009"), ("\x1b", "U+001B"), ("\x85", "U+0085")]
)
def test_control_characters_in_names_are_refused(tmp_path: Path, char: str, code: str) -> None:
    files = dict(MINI_FILES)
    files["registry/enterprises.csv"] = files["registry/enterprises.csv"].replace(
        "清河钢铁有限公司", f"清河{char}钢铁"
    )
    bundle = write_bundle(tmp_path / "b", files)
    with pytest.raises(BundleError) as exc:
        import_bundle(bundle)
    first = exc.value.first
    assert (first.file, first.line, first.column) == ("registry/enterprises.csv", 3, "name")
    assert first.value == f"清河{char}钢铁" and code in first.message
    with pytest.raises(BundleError) as exc2:  # the same verdict without a database
        read_bundle(bundle)
    assert str(exc2.value.first) == str(first)


def test_future_rows_are_quarantined_not_stored(tmp_path: Path) -> None:
    files = dict(MINI_FILES)
    files["data/cems_hourly.csv"] += "P2,2099-12-31T23:00:00+08:00,a34013,777.7,,N\n"
    bundle = write_bundle(tmp_path / "b", files)
    result = runner.invoke(app, ["import", str(bundle), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["quarantined"] == 1
    cems = next(f for f in summary["files"] if f["name"] == "cems_hourly")
    assert cems["rows"] == 5 and cems["quarantined"] == 1
    assert any("quarantined" in w and "line 7" in w for w in summary["warnings"])
    con = Lake(get_settings().lake_dir).connect()
    assert con.sql("SELECT max(value) FROM cems_hourly").fetchall()[0][0] < 700
    kept = list(quarantine_dir(get_settings()).glob("*.parquet"))
    assert len(kept) == 1 and Path(cems["quarantine_file"]) == kept[0]
    table = pq.read_table(kept[0])
    assert table.column("value").to_pylist() == [777.7]
    assert table.column("line").to_pylist() == [7]
    assert "LANTIAN_FUTURE_MARGIN_H" in table.column("reason")[0].as_py()


def test_future_margin_setting_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from lantian.io.bundle import find_files
    from lantian.io.importer import split_future
    from lantian.io.parse import convert

    files = dict(MINI_FILES)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:00:00Z")
    files["data/power.csv"] += f"M1,{soon},10\n"
    bundle = write_bundle(tmp_path / "c", files)

    spec_file = next(f for f in find_files(bundle)[0] if f.spec.name == "power")
    table = convert(spec_file.load(), spec_file.spec)
    _, future, _ = split_future(table, get_settings())
    assert future is not None and future.num_rows == 1
    monkeypatch.setenv("LANTIAN_FUTURE_MARGIN_H", "5")
    get_settings.cache_clear()
    _, future, _ = split_future(table, get_settings())
    assert future is None


def test_export_writes_pw_and_keys_only_with_secrets(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", _with_secrets(MINI_FILES))
    import_bundle(bundle)
    out = tmp_path / "out"
    assert runner.invoke(app, ["export", "registry", str(out)]).exit_code == 0
    text = (out / "registry" / "outlets.csv").read_text(encoding="utf-8")
    assert PW not in text and SM4 not in text
    assert "P2,E2,1#烧结机头,88888880000002,16,10,35,50,E2-L1,false,,,,\n" in text
    # re-importing an export without secrets keeps the stored PW and key
    import_bundle(out)
    with session_scope() as s:
        p2 = s.get(Outlet, "P2")
        assert p2 is not None and p2.pw == PW and p2.sm4_key == SM4
    full = tmp_path / "full"
    assert runner.invoke(app, ["export", "registry", str(full), "--with-secrets"]).exit_code == 0
    text = (full / "registry" / "outlets.csv").read_text(encoding="utf-8")
    assert PW in text and SM4 in text
