"""``lantian serve`` starts uvicorn on the configured host and port."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lantian.cli.web import register


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command, so "serve" is addressed by name
        """Placeholder."""

    return app


def test_serve_uses_settings_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(target: str, **kw: Any) -> None:
        calls.append({"target": target, **kw})

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setenv("LANTIAN_PORT", "8123")
    from lantian.settings import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(_app(), ["serve"])
    assert result.exit_code == 0, result.output
    assert calls[0]["target"] == "lantian.web.app:create_app" and calls[0]["factory"] is True
    assert calls[0]["port"] == 8123 and calls[0]["host"] == "127.0.0.1"
    # request-head timeout; proxy headers never taken by uvicorn (LANTIAN_TRUSTED_PROXIES)
    from lantian.web.limits import HeaderTimeoutH11Protocol

    assert calls[0]["http"] is HeaderTimeoutH11Protocol and calls[0]["proxy_headers"] is False
    result = CliRunner().invoke(
        _app(), ["serve", "--host", "0.0.0.0", "--port", "9000", "--reload"]
    )
    assert result.exit_code == 0, result.output
    assert calls[1]["port"] == 9000 and calls[1]["host"] == "0.0.0.0" and calls[1]["reload"]
