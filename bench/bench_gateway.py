"""Benchmark of the HJ 212 gateway (issue "HJ 212 protocol library and ingest gateway").

Measures, in one run, on loopback (127.0.0.1 only):

1. acknowledged packets/s of ONE gateway process with durability on (fsync group commit,
   archive, lake feeder running) under 2,000 stop-and-wait loggers (closed loop), and the
   same for a null gateway (frames and answers, stores nothing: bench/null_gateway.py);
   ratio gateway / null (targets: >= 8,000/s and >= 40 %);
2. p50/p99 answer latency at 2,000 packets/s offered (open loop; target p99 <= 50 ms);
3. kill -9 of the gateway under load, restart: acknowledged vs archived vs in the lake
   (target: every acknowledged packet archived and in the lake, none doubled);
4. with ``--after-burst``: a saturation burst (a fleet's backlog resend, closed loop for
   ``--burst-seconds``) followed at once by 2,000 packets/s offered from other loggers while
   the lake feeder catches up; p50/p99 per 1-s window of send time, the lake lag at each
   second and the worst 1-s p99 after the burst (target <= 50 ms).

The load client is C (bench/loadclient/loadclient.c, epoll), compiled here with gcc.

Run: ``.venv/bin/python bench/bench_gateway.py [--seconds 10] [--conns 2000] [--no-uvloop]``
or ``.venv/bin/python bench/bench_gateway.py --after-burst [--burst-seconds 15]
[--seconds 30]`` (only scenario 4; ``--seconds`` is then the length after the burst)
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


def start_gateway(
    home: Path, ready: Path, uvloop: bool, extra: list[str] | None = None
) -> subprocess.Popen[bytes]:
    ready.unlink(missing_ok=True)
    cmd = [PY, "-c", "from lantian.cli.main import app; app()", "gateway", "--port", "0"]
    cmd += ["--metrics-port", "0", "--ready-file", str(ready), "--rate", "1000"]
    from lantian.gateway.server import GatewayConfig

    if "max_conns_per_ip" in GatewayConfig.__dataclass_fields__:  # (older gateways: none)
        # every simulated logger connects from 127.0.0.1: lift the per-address limits
        cmd += ["--max-conns-per-ip", "100000", "--ip-max-bytes", str(1 << 40)]
    if not uvloop:
        cmd.append("--no-uvloop")
    cmd += extra or []
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


def scrape(metrics_port: int) -> str:
    """The gateway's /metrics text."""
    import urllib.request

    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as resp:
        return str(resp.read().decode())


def histogram(text: str, name: str) -> dict[str, int]:
    """Cumulative bucket counts (``le`` -> count) of histogram ``name`` in /metrics text."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="')[1].split('"')[0]
            out[le] = int(line.split()[-1])
    return out


def hist_quantiles(before: dict[str, int], after: dict[str, int]) -> dict[str, Any]:
    """Observations between two scrapes: count and the bucket bounds of p50/p99/max."""
    diff = {le: after[le] - before.get(le, 0) for le in after}
    total = diff.get("+Inf", 0)
    out: dict[str, Any] = {"n": total}
    for q, label in ((0.5, "p50_le_s"), (0.99, "p99_le_s"), (1.0, "max_le_s")):
        out[label] = next((le for le, n in diff.items() if total and n >= q * total), None)
    return out


def lake_lag(metrics_port: int) -> float:
    """The gateway's ``lantian_gateway_lake_lag_records`` gauge."""
    text = scrape(metrics_port)
    return next(
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("lantian_gateway_lake_lag_records ")
    )


def windows(latlog: Path) -> list[dict[str, float]]:
    """p50/p99 (ms) of the answers per 1-s window of their send time."""
    by_second: dict[int, list[float]] = {}
    for line in latlog.read_text().split("\n"):
        if line:
            sent, lat = line.split()
            by_second.setdefault(int(float(sent)), []).append(float(lat))
    out = []
    for sec in sorted(by_second):
        lats = sorted(by_second[sec])
        n = len(lats)
        out.append(
            {
                "s": sec,
                "n": n,
                "p50_ms": round(lats[n // 2], 2),
                "p99_ms": round(lats[min(n - 1, (n * 99) // 100)], 2),
            }
        )
    return out


def after_burst(
    exe: Path,
    work: Path,
    conns: int,
    burst_s: float,
    after_s: float,
    rate: float,
    uvloop: bool,
    extra: list[str] | None = None,
) -> dict[str, Any]:
    """Saturate for ``burst_s``, then offer ``rate``/s from other loggers for ``after_s``."""
    import threading

    home = work / "burst-home"
    make_home(home, 2 * conns)
    ready = home / "ready.json"
    proc = start_gateway(home, ready, uvloop, extra)
    info = json.loads(ready.read_text())
    lags: list[tuple[float, float]] = []
    done = threading.Event()
    t_after = [0.0]

    def poll() -> None:
        while not done.wait(1.0):
            if t_after[0]:
                lags.append(
                    (round(time.monotonic() - t_after[0], 1), lake_lag(info["metrics_port"]))
                )

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    burst = load(exe, info["port"], conns, burst_s, 0)
    latlog = work / "after-burst-latency.txt"
    t_after[0] = time.monotonic()
    m0 = scrape(info["metrics_port"])
    after = load(exe, info["port"], conns, after_s, rate, s=str(conns), w=str(latlog))
    m1 = scrape(info["metrics_port"])
    done.set()
    poller.join()
    stop(proc)
    wins = windows(latlog)
    # the client's first second after connecting is its warm-up: windows start there
    return {
        "burst": burst,
        "after": after,
        "windows": wins,
        "lake_lag": lags,
        "worst_1s_p99_ms": max((w["p99_ms"] for w in wins), default=None),
        # where the time goes after the burst: group commits (write + fdatasync) and the
        # lateness of the gateway's event loop (CPU, GIL)
        "commit_after": hist_quantiles(
            histogram(m0, "lantian_gateway_commit_seconds"),
            histogram(m1, "lantian_gateway_commit_seconds"),
        ),
        "loop_lag_after": hist_quantiles(
            histogram(m0, "lantian_gateway_loop_lag_seconds"),
            histogram(m1, "lantian_gateway_loop_lag_seconds"),
        ),
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
    ap.add_argument(
        "--after-burst",
        action="store_true",
        help="only scenario 4: latency at --rate right after a saturation burst",
    )
    ap.add_argument("--burst-seconds", type=float, default=15.0)
    ap.add_argument(
        "--lake-max-hold",
        default=None,
        help="passed to the gateway (0 = never hold the lake feeder back; A/B of that control)",
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lantian-bench-gw-"))
    exe = compile_client(work)
    results: dict[str, Any] = {"conns": args.conns, "seconds": args.seconds, "uvloop": args.uvloop}
    # the machine is shared: record its load so that figures can be judged
    results["loadavg_start"] = os.getloadavg()
    results["cpus"] = os.cpu_count()
    if args.after_burst:
        extra = [] if args.lake_max_hold is None else ["--lake-max-hold", args.lake_max_hold]
        ab = after_burst(
            exe, work, args.conns, args.burst_seconds, args.seconds, args.rate, args.uvloop, extra
        )
        results.update(ab)
        results["loadavg_end"] = os.getloadavg()
        print(json.dumps(results))
        b = ab["burst"]
        print(
            f"\nburst: {b['acked_per_s']:.0f} acked/s for {args.burst_seconds:.0f} s (closed loop)"
        )
        print(f"then {args.rate:.0f}/s offered, per 1-s window of send time (from the warm-up):")
        lag = dict(ab["lake_lag"])
        for w in ab["windows"]:
            near = min(lag, key=lambda t: abs(t - w["s"]), default=None)
            lag_txt = f"lake lag {lag[near]:.0f}" if near is not None else ""
            print(
                f"  s={w['s']:>3} n={w['n']:>5} p50 {w['p50_ms']:7.2f} ms"
                f"  p99 {w['p99_ms']:7.2f} ms  {lag_txt}"
            )
        a = ab["after"]
        print(
            f"after the burst: p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms overall, "
            f"worst 1-s p99 {ab['worst_1s_p99_ms']} ms (target <= 50 ms); "
            f"achieved {a['acked_per_s']:.0f}/s, dead {a['dead']}"
        )
        print(f"group commits after the burst: {ab['commit_after']}")
        print(f"event-loop lag (50 ms tick) after the burst: {ab['loop_lag_after']}")
        print(f"load average start {results['loadavg_start']}, end {results['loadavg_end']}")
        print(f"work dir: {work}")
        return

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
