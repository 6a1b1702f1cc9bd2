"""``lantian users`` and ``lantian audit verify``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lantian.cli.main import app

runner = CliRunner()


def test_users_add_list_passwd_and_audit_verify() -> None:
    r = runner.invoke(
        app,
        ["users", "add", "boss", "--role", "admin", "--password-stdin"],
        input="Strong-Pass-2024\n",
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "users",
            "add",
            "zhang",
            "--role",
            "district_officer",
            "--city",
            "甲市",
            "--password-stdin",
        ],
        input="Strong-Pass-2024\n",
    )
    assert r.exit_code == 2 and "district" in r.output
    r = runner.invoke(
        app, ["users", "add", "weak", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert r.exit_code == 2
    r = runner.invoke(app, ["users", "list", "--json"])
    assert r.exit_code == 0
    users = json.loads(r.stdout)
    assert [u["username"] for u in users] == ["boss"] and users[0]["role"] == "admin"
    r = runner.invoke(
        app, ["users", "passwd", "boss", "--password-stdin"], input="Another-Pass-2025\n"
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["users", "passwd", "ghost", "--password-stdin"], input="Another-Pass-2025\n"
    )
    assert r.exit_code == 2
    r = runner.invoke(app, ["audit", "verify", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["rows"] == 2
