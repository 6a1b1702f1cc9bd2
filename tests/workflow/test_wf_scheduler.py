"""The scheduled jobs outside requests: one committed run, the background loop, the CLI."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lantian.db.session import session_factory
from lantian.settings import Settings
from lantian.timeutil import now_cst
from lantian.workflow import jobs
from lantian.workflow.models import Case


def test_run_jobs_once_commits(world: Any, db_settings: Settings) -> None:
    s = world.session
    case = W.drive(s, world, "dispatched")  # check deadline now + 5 d
    s.commit()
    report = jobs.run_jobs_once(db_settings, now_cst() + timedelta(days=6))
    assert [e.case_id for e in report.escalated] == [case.case_id]
    fresh = session_factory(db_settings)()
    try:  # visible from another session: committed
        level = fresh.scalar(select(Case.escalation_level).where(Case.case_id == case.case_id))
        assert level == 1
    finally:
        fresh.close()
    again = jobs.run_jobs_once(db_settings, now_cst() + timedelta(days=6))
    assert again.escalated == []  # idempotent


def test_loop_logs_errors_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def flaky(settings: Settings) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")

    monkeypatch.setattr(jobs, "run_jobs_once", flaky)

    async def main() -> None:
        task = asyncio.create_task(jobs.jobs_loop(Settings(), 0.01, first_delay_s=0))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if len(calls) >= 3:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.ERROR, logger="lantian.jobs"):
        asyncio.run(main())
    assert len(calls) >= 3
    assert "scheduled jobs failed" in caplog.text


def test_web_lifespan_starts_and_stops_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from lantian.web.app import create_app

    monkeypatch.setenv("LANTIAN_JOBS_INTERVAL_S", "900")
    app = create_app(Settings())
    with TestClient(app):
        task = app.state.jobs_task
        assert task is not None and not task.done()
    assert task.cancelled() or task.done()
    monkeypatch.setenv("LANTIAN_JOBS_INTERVAL_S", "0")
    app = create_app(Settings())
    with TestClient(app):
        assert app.state.jobs_task is None


def test_cli_jobs_run(world: Any, db_settings: Settings) -> None:
    from lantian.cli.main import app

    s = world.session
    W.drive(s, world, "closed")
    s.commit()
    result = CliRunner().invoke(app, ["jobs", "run", "--json"])
    assert result.exit_code == 0, result.output
    assert '"escalated": []' in result.stdout and "login_attempts_pruned" in result.stdout
    assert '"converted_to_supervision": []' in result.stdout
