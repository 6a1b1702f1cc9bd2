"""Adversary: the findings about files and the CLI, with the real ``lantian`` as a subprocess.

Issue 11: a NUL byte in an imported name made every export containing it answer 500
(item 10); registry imports wrote no audit rows and deleting the newest audit rows still
verified as intact (item 8); ``lantian export registry`` wrote PWs without
``--with-secrets`` (item 10). Each step runs ``python -m lantian …`` on a real
LANTIAN_HOME (SQLite); the insider's tampering is a plain SQL delete. Bounded: 7 commands.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, func, select, text
from tests.io.io_fixtures import MINI_FILES, write_bundle

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope
from lantian.settings import get_settings

PW = "s3cret-PW-77"
SM4 = "00112233445566778899AABBCCDDEEFF"


def lantian(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI with this test's LANTIAN_HOME (inherited environment)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "lantian", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def with_secrets(files: dict[str, str]) -> dict[str, str]:
    out = dict(files)
    out["registry/outlets.csv"] = (
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id,pw,"
        "sm4_key\n"
        "P1,E1,1#排口,88888880000001,,,,,E1-L1,,\n"
        f"P2,E2,1#烧结机头,88888880000002,16,10,35,50,E2-L1,{PW},{SM4}\n"
    )
    return out


def test_findings_cli_nul_names_secrets_and_audit_tail(lantian_home: Path, tmp_path: Path) -> None:
    settings = get_settings()
    # a NUL byte in a name is refused at the import, naming file, line and column
    files = with_secrets(MINI_FILES)
    files["registry/enterprises.csv"] = files["registry/enterprises.csv"].replace(
        "清河钢铁有限公司", "清河\x00钢铁"
    )
    bad = lantian("import", str(write_bundle(tmp_path / "bad", files)))
    assert bad.returncode != 0
    said = bad.stdout + bad.stderr
    assert "registry/enterprises.csv" in said and "line 3" in said and "name" in said, said
    # the real import is audited (item 8: registry imports wrote no audit rows)
    ok = lantian("import", str(write_bundle(tmp_path / "ok", with_secrets(MINI_FILES))))
    assert ok.returncode == 0, ok.stderr[-2000:]
    with session_scope(settings) as s:
        actions = set(s.scalars(select(AuditLog.action)))
    assert {"import_file", "registry_import"} <= actions
    # PWs and SM4 keys leave only with --with-secrets
    assert lantian("export", "registry", str(tmp_path / "plain")).returncode == 0
    plain = (tmp_path / "plain" / "registry" / "outlets.csv").read_text(encoding="utf-8")
    assert "P2," in plain and PW not in plain and SM4 not in plain
    assert lantian("export", "registry", str(tmp_path / "full"), "--with-secrets").returncode == 0
    full = (tmp_path / "full" / "registry" / "outlets.csv").read_text(encoding="utf-8")
    assert PW in full and SM4 in full
    # an insider deletes the newest audit rows after a checkpoint: verify says so (exit 1)
    assert lantian("audit", "anchor").returncode == 0
    with session_scope(settings) as s:
        top = s.scalar(select(func.max(AuditLog.audit_id)))
        assert top is not None and top > 3
        s.execute(text("DROP TRIGGER audit_log_no_delete"))  # an insider with DDL rights
        s.execute(delete(AuditLog).where(AuditLog.audit_id > top - 2))
    verify = lantian("audit", "verify")
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "checkpoint" in (verify.stdout + verify.stderr).lower()
