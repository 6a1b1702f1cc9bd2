"""``lantian demo``: the history split, and the whole platform coming up on a tiny city."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from lantian.cli.demo import _bundle_end, split_history
from lantian.demo import generate_city, preset


def _city(root: Path) -> Path:
    city = root / "city"
    generate_city(city, preset("small", enterprises=6, days=3, seed=11).validated())
    return city


def test_split_history_keeps_only_earlier_measurements(tmp_path: Path) -> None:
    city = _city(tmp_path)
    end = _bundle_end(city)
    split = end - timedelta(days=1)
    history = tmp_path / "history"
    split_history(city, history, split)
    assert sorted(p.name for p in (history / "registry").iterdir()) == sorted(
        p.name for p in (city / "registry").iterdir()
    )
    con = duckdb.connect()
    # (power: only meters with a data logger are cut, see the next test)
    for stem in ("cems_hourly",):
        path = history / "data" / f"{stem}.parquet"
        (latest, rows) = con.execute(
            "SELECT max(time), count(*) FROM read_parquet(?)", [str(path)]
        ).fetchone() or (None, 0)
        assert rows > 0 and latest < split, stem
    # files that are not streamed are copied whole
    assert (history / "data" / "alerts.csv").read_bytes() == (
        city / "data" / "alerts.csv"
    ).read_bytes()


def test_split_history_keeps_series_without_a_data_logger_whole(tmp_path: Path) -> None:
    # regression: the demo streamed only meters with an MN, and cut the others at the
    # split, so their live days never reached the lake (L0073, a derated treatment meter
    # of E0018 whose meters have no data logger, never became a lead)
    city = _city(tmp_path)
    meters = (city / "registry" / "meters.csv").read_text(encoding="utf-8-sig").splitlines()
    header = meters[0].split(",")
    mn_at, code_at = header.index("mn"), header.index("factor_code")
    logged = [m.split(",") for m in meters[1:]]
    streamed = {r[0] for r in logged if r[mn_at].strip() and r[code_at].strip()}
    unlogged = {r[0] for r in logged} - streamed
    assert streamed and unlogged, "the small city needs meters with and without a logger"
    split = _bundle_end(city) - timedelta(days=1)
    history = tmp_path / "history"
    split_history(city, history, split)
    con = duckdb.connect()
    got = dict(
        con.execute(
            "SELECT meter_id, max(time) FROM read_parquet(?) GROUP BY meter_id",
            [str(history / "data" / "power.parquet")],
        ).fetchall()
    )
    every = dict(
        con.execute(
            "SELECT meter_id, max(time) FROM read_parquet(?) GROUP BY meter_id",
            [str(city / "data" / "power.parquet")],
        ).fetchall()
    )
    assert any(m in got for m in streamed)
    assert all(got[m] < split for m in streamed if m in got)
    assert {m: got.get(m) for m in unlogged if m in every} == {
        m: every[m] for m in unlogged if m in every
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_and_streams(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port, gw_port, metrics = _free_port(), _free_port(), _free_port()
    env = dict(
        os.environ,
        LANTIAN_HOME=str(home),
        LANTIAN_PORT=str(port),
        LANTIAN_GATEWAY_PORT=str(gw_port),
        LANTIAN_GATEWAY_METRICS_PORT=str(metrics),
        LANTIAN_DEMO_PASSWORD="Demo-Test-2026!",
    )
    env.pop("LANTIAN_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "lantian", "demo", "--enterprises", "6", "--days", "3"]
    cmd += ["--live-days", "1", "--speed", "3600"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        health = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                    break
            except OSError:
                time.sleep(1)
        assert health is not None, proc.stderr.read().decode() if proc.stderr else ""
        assert health["status"] == "ok"
        # the live day arrives through the gateway
        status: dict[str, object] = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=2) as r:
                    text = r.read().decode()
                if 'lantian_gateway_packets_total{cn="2061"}' in text:
                    status["metrics"] = text
                    break
            except OSError:
                pass
            time.sleep(1)
        assert "metrics" in status, "no hourly packet reached the gateway"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_spawned_children_die_with_a_killed_demo(tmp_path: Path) -> None:
    """A gateway or simulator started by the demo must not outlive it, even after SIGKILL."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from lantian.cli.demo import _spawn\n"
        "p = _spawn(['sleep', '60'], {}, Path(sys.argv[1]))\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "child.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait(10)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the child outlived its killed parent"


def _alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")
