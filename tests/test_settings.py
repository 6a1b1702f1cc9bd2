from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.settings import get_settings


def test_defaults_live_in_lantian_home(lantian_home: Path) -> None:
    s = get_settings()
    assert s.resolved_home == lantian_home.resolve()
    assert s.effective_database_url == f"sqlite:///{lantian_home.resolve() / 'lantian.db'}"
    assert s.lake_dir == lantian_home.resolve() / "lake"
    assert s.port == 8000


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_DATABASE_URL", "postgresql+psycopg://u:topsecret@db/lantian")
    monkeypatch.setenv("LANTIAN_SECRET_KEY", "hunter2")
    monkeypatch.setenv("LANTIAN_PORT", "8123")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "topsecret" not in result.output
    assert "hunter2" not in result.output
    assert "8123" in result.output
    assert "LANTIAN_DATABASE_URL" in result.output
