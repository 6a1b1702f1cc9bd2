"""``lantian demo``: the whole platform on embedded defaults with a simulated demo city.

What it does, in order (each step is skipped when already done in ``LANTIAN_HOME``):

1. generate a demo city (``lantian demo-city``) into ``LANTIAN_HOME/demo/city`` whose
   period ends now: its last day is today and measurements after the current hour (CST)
   are cut (:mod:`lantian.demo.today`);
2. split it at ``--live-days`` before its end: the history is imported in bulk
   (registry to the database, measurements to the lake), the rest is kept for streaming;
3. run detection once over the lake and create the demo accounts ``admin``, ``officer``,
   ``district``, ``ent1``, ``ent2`` and a named district officer with a 执法证号 for every
   district (:mod:`lantian.demo.accounts`); the password is ``LANTIAN_DEMO_PASSWORD`` or
   a random one, and either way it is printed;
4. start the HJ 212 gateway and the virtual data loggers, which stream the live days through
   it at ``--speed`` × real time, and detection over the lake every ``--detect-every`` s;
5. serve the web platform on ``LANTIAN_HOST:LANTIAN_PORT`` until Ctrl-C.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from lantian.cli.progress import console
from lantian.settings import Settings, get_settings
from lantian.timeutil import now_cst

DATA_FILES = ("cems_hourly", "power")
"""Data files split between history (imported) and live (streamed through the gateway)."""


def _data_file(bundle: Path, stem: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        path = bundle / "data" / f"{stem}{ext}"
        if path.exists():
            return path
    return None


def _bundle_end(bundle: Path) -> datetime:
    import duckdb

    path = _data_file(bundle, "cems_hourly") or _data_file(bundle, "power")
    if path is None:
        raise typer.BadParameter(f"{bundle} has no cems_hourly or power data")
    con = duckdb.connect()
    con.execute("SET TimeZone='Asia/Shanghai'")
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
    (end,) = con.execute(f"SELECT max(time) FROM {reader}(?)", [str(path)]).fetchone() or (None,)
    if end is None:
        raise typer.BadParameter(f"{path} is empty")
    value: datetime = end
    return value


def split_history(city: Path, history: Path, split: datetime) -> None:
    """Write ``history``: the bundle at ``city`` with measurements before ``split`` only.

    Only series a virtual data logger streams are cut at ``split``: outlets with an MN,
    meters with an MN and a factor code (what :mod:`lantian.simulate.loggers` sends).
    The rows of the others (meters read by the power company, without a logger) are kept
    whole, as a bulk import of theirs would bring them; cut, they would never arrive and
    the incidents they carry (a treatment meter's derating) could never become leads.
    """
    import duckdb

    if history.exists():
        shutil.rmtree(history)
    shutil.copytree(city / "registry", history / "registry")
    (history / "data").mkdir(parents=True)
    streamed = _streamed_series(city)
    con = duckdb.connect()
    con.execute("SET TimeZone='Asia/Shanghai'")
    for src in sorted((city / "data").iterdir()):
        stem = src.stem
        if stem not in DATA_FILES:
            shutil.copy2(src, history / "data" / src.name)
            continue
        reader = "read_parquet" if src.suffix == ".parquet" else "read_csv_auto"
        out = history / "data" / f"{stem}.parquet"
        column, ids = streamed[stem]
        con.execute("CREATE OR REPLACE TEMP TABLE streamed (sid VARCHAR)")
        con.executemany("INSERT INTO streamed VALUES (?)", [[i] for i in sorted(ids)])
        con.execute(
            f"COPY (SELECT * FROM {reader}(?) WHERE time < ? OR CAST({column} AS VARCHAR) "
            f"NOT IN (SELECT sid FROM streamed)) TO '{out}' (FORMAT parquet)",
            [str(src), split],
        )


def _streamed_series(city: Path) -> dict[str, tuple[str, set[str]]]:
    """Data file → (series column, ids a virtual data logger streams)."""
    import csv

    def rows(name: str) -> list[dict[str, str]]:
        path = city / "registry" / f"{name}.csv"
        if not path.exists():
            return []
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    outlets = {r["outlet_id"] for r in rows("outlets") if (r.get("mn") or "").strip()}
    meters = {
        r["meter_id"]
        for r in rows("meters")
        if (r.get("mn") or "").strip() and (r.get("factor_code") or "").strip()
    }
    return {"cems_hourly": ("outlet_id", outlets), "power": ("meter_id", meters)}


def _wait_ready(path: Path, proc: subprocess.Popen[bytes], seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited with code {proc.returncode}")
        if path.exists():
            try:
                data: dict[str, Any] = json.loads(path.read_text())
                return data
            except ValueError:
                pass
        time.sleep(0.2)
    raise RuntimeError("gateway did not start in time")


def _lantian(*args: str) -> list[str]:
    return [sys.executable, "-m", "lantian", *args]


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a process gets when its parent dies (Linux)."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM this (child) process when the demo process dies, even by
    SIGKILL, so no gateway or simulator outlives ``lantian demo``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with stderr appended to ``log`` (the child keeps its own descriptor).

    On Linux the child is bound to this process's life (``PR_SET_PDEATHSIG``); elsewhere
    the ``finally`` clean-up of :func:`demo` stops it on a normal exit or Ctrl-C.
    """
    bind = _die_with_parent if sys.platform.startswith("linux") else None
    with log.open("ab") as err:
        # spawned before the detection thread starts (preexec_fn is not thread-safe)
        return subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=bind
        )


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command."""

    @app.command("demo")
    def demo(
        enterprises: int = typer.Option(40, help="enterprises in the demo city"),
        days: int = typer.Option(14, help="days of data in the demo city"),
        seed: int = typer.Option(2026, help="seed of the demo city"),
        live_days: float = typer.Option(2.0, help="last days streamed live through the gateway"),
        speed: float = typer.Option(900.0, help="live stream speed, × real time"),
        detect_every: float = typer.Option(60.0, help="seconds between detection runs"),
        no_stream: bool = typer.Option(False, "--no-stream", help="import all, no gateway"),
        fresh: bool = typer.Option(False, "--fresh", help="start from an empty demo state"),
    ) -> None:
        """Run the whole platform on this machine with a simulated demo city.

        \b
        Starts (on 127.0.0.1 unless the settings say otherwise):
          web platform    http://127.0.0.1:8000/ (LANTIAN_HOST, LANTIAN_PORT)
          HJ 212 gateway  port 9212 (LANTIAN_GATEWAY_PORT); /metrics and
                          /status on 9213 (LANTIAN_GATEWAY_METRICS_PORT)
          virtual data loggers: stream the last --live-days through the
                          gateway at --speed x real time
          detection over the lake every --detect-every seconds

        \b
        Data: a simulated city (--enterprises, --days, --seed) whose last
        day is today; measurements run up to the current hour (China
        Standard Time), so the dashboard, deadlines and charts are current.
        Kept in LANTIAN_HOME/demo (default ./var/demo): a second start
        reuses it; --fresh starts over (on a later day: a city up to then).

        \b
        Accounts (one password for all, printed at start):
          admin               system administrator (users page)
          officer             city officer: dispatches leads (交办)
          district            district officer of ent1's district
          district-<name>     a named district officer with a 执法证号 for
                              every district, e.g. district-chengdong
          ent1, ent2          the two enterprises with the most leads
        Password: LANTIAN_DEMO_PASSWORD when set, else a random one.

        \b
        Stop: Ctrl-C (the gateway and the data loggers stop with it).
        Settings: LANTIAN_HOME, LANTIAN_DATABASE_URL, LANTIAN_HOST,
        LANTIAN_PORT, LANTIAN_GATEWAY_*, LANTIAN_DEMO_PASSWORD
        (README.md, "Configuration").
        """
        settings = get_settings()
        home = settings.ensure_home()
        demo_dir = home / "demo"
        if fresh and demo_dir.exists():
            shutil.rmtree(demo_dir)
        state_file = demo_dir / "state.json"
        state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
        city = demo_dir / "city"
        if not (city / "registry" / "enterprises.csv").exists():
            _generate(city, enterprises=enterprises, days=days, seed=seed)
        _ensure_boundaries(home, seed)
        end = _bundle_end(city)
        if end.date() < now_cst().date() - timedelta(days=1):
            console.print(
                f"[yellow]演示数据截至 the demo data end at {end.isoformat()}: "
                "run with --fresh to generate a city that ends now[/yellow]"
            )
        split = end + timedelta(hours=1) - timedelta(days=0 if no_stream else live_days)
        if not state.get("imported"):
            _import_history(city, demo_dir / "history", split, settings)
            state["imported"] = True
            state["split"] = split.isoformat()
            state_file.write_text(json.dumps(state))
        _detect_once(settings)
        password = _seed_accounts(settings)
        _serve(
            settings,
            city=city,
            split=datetime.fromisoformat(state["split"]),
            stream=not no_stream,
            speed=speed,
            detect_every=detect_every,
            password=password,
        )


def _generate(city: Path, *, enterprises: int, days: int, seed: int) -> None:
    from lantian.demo import generate_city, preset
    from lantian.demo.boundaries import write_district_boundaries
    from lantian.demo.today import current_hour, end_city_at, start_for_end

    console.print(f"生成演示城市 generating the demo city → {city}")
    if city.exists():
        shutil.rmtree(city)
    now = now_cst()
    cfg = preset(
        "default", enterprises=enterprises, days=days, seed=seed, start=start_for_end(days, now)
    ).validated()
    generate_city(city, cfg)
    write_district_boundaries(city.parent.parent, cfg)
    cut = current_hour(now)
    end_city_at(city, cut)
    console.print(f"  演示数据截至 data end at {cut.isoformat()} (now, CST)")


def _ensure_boundaries(home: Path, seed: int) -> None:
    """District boundaries of the demo city for the map, if a demo home made before they
    existed lacks them (they depend on the seed only)."""
    from lantian.demo import preset
    from lantian.demo.boundaries import BOUNDARIES_FILE, write_district_boundaries

    if not (home / BOUNDARIES_FILE).exists():
        write_district_boundaries(home, preset("default", seed=seed))


def _import_history(city: Path, history: Path, split: datetime, settings: Settings) -> None:
    from lantian.cli.progress import progress
    from lantian.io.importer import import_bundle

    console.print(f"导入历史数据 importing history before {split.isoformat()}")
    split_history(city, history, split)
    with progress(transient=True) as bar:
        task = bar.add_task("import", total=None)

        def listener(label: str, stage: str, rows: int | None) -> None:
            bar.update(task, description=f"import {label} {stage}", advance=0)

        report = import_bundle(history, settings, listener=listener)
    for f in report.files:
        console.print(f"  {f.name}: {f.rows} rows")


def _detect_once(settings: Settings) -> None:
    from lantian.rules.platform import detect_lake_once

    console.print("线索识别 running detection over the lake …")
    report = detect_lake_once(settings)
    console.print(
        f"  {report.status}: {report.leads_found} leads ({report.leads_new} new) "
        f"in {report.seconds:.1f} s {report.message}"
    )


def _seed_accounts(settings: Settings) -> str:
    from lantian.auth.errors import ValidationError
    from lantian.auth.service import seed_demo_users
    from lantian.db.session import session_scope
    from lantian.demo.accounts import seed_demo_notification_prefs, seed_district_officers

    given = settings.demo_password.get_secret_value() if settings.demo_password else ""
    # A random password that always meets the policy (upper, lower, digits, symbol).
    password = given or f"Lt{secrets.token_hex(5)}!"
    try:
        with session_scope(settings) as session:
            users = seed_demo_users(session, password)
            names = [u.username for u in users]
            officers = seed_district_officers(session, password)
            seed_demo_notification_prefs(session)  # NAME@demo.invalid, digest at 07:00
    except ValidationError as exc:
        console.print(f"[red]LANTIAN_DEMO_PASSWORD: {exc}[/red]")
        raise typer.Exit(2) from None
    console.print("演示账号 demo accounts: " + ", ".join(names))
    for o in officers:
        if o.username.startswith("district-"):
            console.print(
                f"  {o.username:<20} {o.display_name} {o.city}{o.district or ''} 区县执法人员"
                f" 执法证号 {o.cert_no or '-'}"
            )
    console.print(banner_password(password, chosen=bool(given)))
    return password


def banner_password(password: str, *, chosen: bool) -> str:
    """The password line of the start banner: the password itself, and where it came from."""
    if chosen:
        return f"  password 密码: [bold]{password}[/bold]  (from LANTIAN_DEMO_PASSWORD)"
    return (
        f"  password 密码: [bold]{password}[/bold]  (random; set LANTIAN_DEMO_PASSWORD to choose)"
    )


def _serve(
    settings: Settings,
    *,
    city: Path,
    split: datetime,
    stream: bool,
    speed: float,
    detect_every: float,
    password: str,
) -> None:
    import uvicorn

    from lantian.rules.platform import start_background_detection
    from lantian.web.app import create_app

    procs: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ, LANTIAN_HOME=str(settings.resolved_home))
    if settings.database_url:
        env["LANTIAN_DATABASE_URL"] = settings.database_url
    logs = settings.resolved_home / "demo"
    try:
        if stream:
            ready = logs / "gateway.ready.json"
            ready.unlink(missing_ok=True)
            gw = _spawn(_lantian("gateway", "--ready-file", str(ready)), env, logs / "gateway.log")
            procs.append(gw)
            info = _wait_ready(ready, gw, 60.0)
            port = int(info.get("port", settings.gateway_port))
            console.print(f"HJ 212 网关 gateway listening on {settings.gateway_host}:{port}")
            sim = _spawn(
                _lantian(
                    "simulate",
                    str(city),
                    "--gateway",
                    f"{settings.gateway_host}:{port}",
                    "--from",
                    split.isoformat(),
                    "--speed",
                    str(speed),
                ),
                env,
                logs / "simulate.log",
            )
            procs.append(sim)
            console.print(f"虚拟数采仪 virtual data loggers streaming from {split.isoformat()}")
        _thread, stop = start_background_detection(detect_every, settings)
        console.print(
            f"[bold green]蓝天 Lantian[/bold green] http://{settings.host}:{settings.port}/  "
            f"(admin / officer / district / district-… / ent1 / ent2, password {password})"
        )
        from lantian.web.limits import uvicorn_options

        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="info",
            **uvicorn_options(settings),  # X-Forwarded-For only from LANTIAN_TRUSTED_PROXIES
        )
        stop.set()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
