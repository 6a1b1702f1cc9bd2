"""`lantian notify test` and `lantian notify send` against a real local SMTP server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.notify.conftest import free_port
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.settings import get_settings


def test_notify_test_email_and_dead_server(
    lantian_home: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("LANTIAN_SMTP_URL", f"smtp://127.0.0.1:{smtp_server.port}")
    get_settings.cache_clear()
    ok = runner.invoke(app, ["notify", "test", "--channel", "email", "--to", "x@demo.invalid"])
    assert ok.exit_code == 0, ok.output
    [(rcpt, msg)] = smtp_server.messages
    assert rcpt == ["x@demo.invalid"] and msg["Subject"] == "【测试】蓝天平台通知测试"
    monkeypatch.setenv("LANTIAN_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    dead = runner.invoke(app, ["notify", "test", "--channel", "email", "--to", "y@demo.invalid"])
    assert dead.exit_code == 1 and "kept in the outbox" in dead.output
    # the kept message is retried later by `notify send` (not due yet: back-off)
    out = runner.invoke(app, ["notify", "send", "--no-jobs", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout.splitlines()[0])["delivered"] == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
    }
    bad = runner.invoke(app, ["notify", "test", "--channel", "pigeon"])
    assert bad.exit_code == 2
