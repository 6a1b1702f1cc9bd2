"""Benchmark of the HJ 212 gateway (issue "HJ 212 protocol library and ingest gateway").

Measures, in one run, on loopback (127.0.0.1 only):

1. acknowledged packets/s of ONE gateway process with durability on (fsync group commit,
   archive, lake feeder running) under 2,000 stop-and-wait loggers (closed loop), and the
   same for a null gateway (frames and answers, stores nothing: bench/null_gateway.py);
   ratio gateway / null (targets: >= 8,000/s and >= 40 %);
2. p50/p99 answer latency at 2,000 packets/s offered (open loop; target p99 <= 50 ms);
3. kill -9 of the gateway under load, restart: acknowledged vs archived vs in the lake
   (target: every acknowledged packet archived and in the lake, none doubled).

The load client is C (bench/loadclient/loadclient.c, epoll), compiled here with gcc.

Run: ``.venv/bin/python bench/bench_gateway.py [--seconds 10] [--conns 2000] [--no-uvloop]``
(both the gateway and the null gateway run on uvloop by default, as ``lantian gateway`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PY = sys.executable
PREFIX = "BENCH"


def compile_client(build: Path) -> Path:
    exe = build / "loadclient"
    src = HERE / "loadclient" / "loadclient.c"
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(exe), str(src)], check=True)
    return exe


def make_home(home: Path, conns: int) -> None:
    """A LANTIAN_HOME whose registry has one outlet per simulated logger."""
    os.environ["LANTIAN_HOME"] = str(home)
    from lantian.db.session import dispose_engines, session_scope
    from lantian.registry.models import Enterprise, Outlet
    from lantian.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        s.add(Enterprise(enterprise_id="E", name="bench", credit_code="1" * 18, industry="other"))
        s.flush()
        s.add_all(
            Outlet(
                outlet_id=f"P{i:06d}",
                enterprise_id="E",
                name=str(i),
                mn=f"{PREFIX}{i:06d}",
                pw="123456",  # the PW the load client sends (a logger without one is refused)
            )
            for i in range(conns)
        )
    dispose_engines()


def start_gateway(home: Path, ready: Path, uvloop: bool) -> subprocess.Popen[bytes]:
    ready.unlink(missing_ok=True)
    cmd = [PY, "-c", "from lantian.cli.main import app; app()", "gateway", "--port", "0"]
    cmd += ["--metrics-port", "0", "--ready-file", str(ready), "--rate", "1000"]
    if not uvloop:
        cmd.append("--no-uvloop")
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, "LANTIAN_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=open(home / "gateway.log", "ab"),  # noqa: SIM115
    )
    wait_file(ready, proc)
    return proc


def wait_file(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"server did not start ({path})")
        time.sleep(0.05)


def load(
    exe: Path, port: int, conns: int, seconds: float, rate: float, **kw: str
) -> dict[str, Any]:
    cmd = [str(exe), "127.0.0.1", str(port), str(conns), str(seconds), str(rate), PREFIX]
    for k, v in kw.items():
        cmd += [f"-{k}", v]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 60)
    return dict(json.loads(out.stdout))


def wait_lake(metrics_port: int, limit: float = 120.0) -> float:
    """Wait until the lake feeder has caught up with the archive; return seconds waited."""
    import urllib.request

    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            text = resp.read().decode()
        lag = next(
            float(line.split()[1])
            for line in text.splitlines()
            if line.startswith("lantian_gateway_lake_lag_records ")
        )
        if lag <= 0:
            break
        time.sleep(0.5)
    return round(time.monotonic() - t0, 1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kill_test(exe: Path, home: Path, conns: int, uvloop: bool) -> dict[str, Any]:
    """Load for 4 s, kill -9 the gateway after 2 s, restart (replay), count."""
    ready = home / "ready.json"
    proc = start_gateway(home, ready, uvloop)
    port = json.loads(ready.read_text())["port"]
    log = home / "acked.log"
    client = subprocess.Popen(
        [str(exe), "127.0.0.1", str(port), str(conns), "4", "0", PREFIX, "-o", str(log), "-s", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    client_out = json.loads(client.communicate(timeout=60)[0])
    proc = start_gateway(home, ready, uvloop)  # replays the archive tail into the lake
    stop(proc)
    from lantian.db.session import dispose_engines
    from lantian.gateway.archive import iter_records, verify_archive
    from lantian.lake import Lake
    from lantian.settings import get_settings
    from lantian.timeutil import CST

    get_settings.cache_clear()
    settings = get_settings()
    acked = set(log.read_text().split())
    archived_list = [f"{r['mn']}|{r['data_time']}" for _, r in iter_records(settings.archive_dir)]
    archived = set(archived_list)
    con = Lake(settings.lake_dir).connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.sql(
        "SELECT outlet_id, time, count(*) AS n FROM cems_realtime GROUP BY outlet_id, time"
    ).fetchall()
    in_lake = {f"{PREFIX}{oid[1:]}|{t.astimezone(CST):%Y%m%d%H%M%S}" for oid, t, _ in rows}
    dispose_engines()
    return {
        "client": client_out,
        "acked": len(acked),
        "archived": len(archived_list),
        "archived_distinct": len(archived),
        "in_lake_packets": len(in_lake),
        "acked_missing_from_archive": len(acked - archived),
        "acked_missing_from_lake": len(acked - in_lake),
        "archived_missing_from_lake": len(archived - in_lake),
        "lake_rows_per_packet_max": max((n for _, _, n in rows), default=0),
        "archive_verify_ok": verify_archive(settings.archive_dir).ok,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=2000.0, help="offered rate of the latency run")
    ap.add_argument(
        "--no-uvloop",
        dest="uvloop",
        action="store_false",
        help="run both servers on the stdlib event loop (default: uvloop, as the gateway)",
    )
    ap.add_argument("--skip-kill", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lantian-bench-gw-"))
    exe = compile_client(work)
    results: dict[str, Any] = {"conns": args.conns, "seconds": args.seconds, "uvloop": args.uvloop}
    # the machine is shared: record its load so that figures can be judged
    results["loadavg_start"] = os.getloadavg()
    results["cpus"] = os.cpu_count()

    # null gateway
    port_file = work / "null.json"
    cmd = [PY, str(HERE / "null_gateway.py"), str(port_file)] + (
        ["--uvloop"] if args.uvloop else []
    )
    null = subprocess.Popen(cmd)
    wait_file(port_file, null)
    results["null"] = load(
        exe, json.loads(port_file.read_text())["port"], args.conns, args.seconds, 0
    )
    null.terminate()
    null.wait()

    # the gateway, durability on, lake feeder on
    home = work / "home"
    make_home(home, args.conns)
    ready = home / "ready.json"
    proc = start_gateway(home, ready, args.uvloop)
    info = json.loads(ready.read_text())
    port = info["port"]
    results["gateway"] = load(exe, port, args.conns, args.seconds, 0)
    results["lake_catch_up_s"] = wait_lake(info["metrics_port"])
    results["latency"] = load(exe, port, args.conns, args.seconds, args.rate)
    stop(proc)
    results["ratio"] = round(
        results["gateway"]["acked_per_s"] / max(results["null"]["acked_per_s"], 1e-9), 3
    )
    if not args.skip_kill:
        khome = work / "kill-home"
        make_home(khome, args.conns)
        results["kill9"] = kill_test(exe, khome, args.conns, args.uvloop)
    results["loadavg_end"] = os.getloadavg()
    print(json.dumps(results, indent=1))
    g, n, lat = results["gateway"], results["null"], results["latency"]
    print(
        f"\ngateway {g['acked_per_s']:.0f} acked/s (target >= 8000); null {n['acked_per_s']:.0f}/s;"
        f" ratio {results['ratio']:.0%} (target >= 40 %)\n"
        f"p99 at {args.rate:.0f}/s offered: {lat['p99_ms']:.1f} ms (p50 {lat['p50_ms']:.1f} ms,"
        f" achieved {lat['acked_per_s']:.0f}/s; target <= 50 ms)"
    )
    if "kill9" in results:
        k = results["kill9"]
        print(
            f"kill -9: acked {k['acked']}, archived {k['archived']} "
            f"(acked missing {k['acked_missing_from_archive']}), in lake {k['in_lake_packets']} "
            f"(acked missing {k['acked_missing_from_lake']}), verify ok {k['archive_verify_ok']}"
        )
    print(f"load average start {results['loadavg_start']}, end {results['loadavg_end']}")
    print(f"work dir: {work}")


if __name__ == "__main__":
    main()
