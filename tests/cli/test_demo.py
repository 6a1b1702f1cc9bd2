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
from tests.cli.demo_home import DEMO_PASSWORD, DemoHome, build_demo_home

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


# ------------------------------------------------------------------ a demo that tells the truth


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    return build_demo_home(tmp_path_factory.mktemp("demo-truth"))


def test_banner_prints_the_real_password(demo_home: DemoHome) -> None:
    from lantian.cli.demo import banner_password

    assert DEMO_PASSWORD in demo_home.banner
    assert "password 密码: LANTIAN_DEMO_PASSWORD" not in demo_home.banner
    assert "Lt1234abcd!" in banner_password("Lt1234abcd!", chosen=False)


def test_demo_dates_end_today(demo_home: DemoHome) -> None:
    from sqlalchemy import func, select

    from lantian.db.session import session_scope
    from lantian.demo.today import current_hour
    from lantian.leads.models import Lead
    from lantian.timeutil import CST, now_cst

    now = now_cst()
    end = _bundle_end(demo_home.city).astimezone(CST)
    # hourly data up to the hour before the current one (the run may straddle an hour)
    assert current_hour(now) - timedelta(hours=2) <= end < current_hour(now)
    con = duckdb.connect()
    con.execute("SET TimeZone='Asia/Shanghai'")
    (first,) = con.execute(
        "SELECT min(time) FROM read_csv_auto(?)", [str(demo_home.city / "data" / "cems_hourly.csv")]
    ).fetchone() or (None,)
    assert first is not None and first.date() == now.date() - timedelta(days=2)
    with session_scope(demo_home.settings) as db:
        latest = db.scalar(select(func.max(Lead.end)))
    assert latest is not None and latest.astimezone(CST).date() >= now.date() - timedelta(days=1)


def test_every_demo_lead_has_an_assignee_in_its_district(demo_home: DemoHome) -> None:
    from sqlalchemy import select

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.leads.models import Lead
    from lantian.supervision.inspectors.models import InspectorCertificate
    from lantian.workflow import service as ws

    with session_scope(demo_home.settings) as db:
        officer = db.scalar(select(User).where(User.username == "officer"))
        assert officer is not None
        ids = list(db.scalars(select(Lead.lead_id)))
        assert len(ids) >= 5
        regions = ws.lead_regions(db, ids)
        offered = ws.covering_officers(db, officer, "lead", ids)
        for lid in ids:
            district = regions[lid][1]
            names = [(u.role, u.district) for u in offered[lid]]
            assert ("district_officer", district) in names, (lid, district, names)
        # every district officer of the demo is named and has a 执法证号
        officers = list(db.scalars(select(User).where(User.username.like("district-%"))))
        assert officers and all(u.display_name != u.username for u in officers)
        certs = {c.user_id: c.cert_no for c in db.scalars(select(InspectorCertificate))}
        assert all(certs[u.user_id][:2] == "13" for u in officers)  # a real division code
    for u in officers:
        assert u.username in demo_home.banner and u.display_name in demo_home.banner
