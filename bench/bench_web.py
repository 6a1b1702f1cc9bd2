"""Web latency: the lead inbox page and ``GET /api/leads`` under 20 concurrent users.

Target (issue "Closed-loop case workflow and web platform"): 100,000 leads and 5,000
enterprises in PostgreSQL, 20 concurrent users, p95 ≤ 200 ms.

Builds the synthetic region of ``bench_inbox.py`` in a fresh PostgreSQL schema (dropped at
the end), gives its accounts a real password, runs ``lantian.web.app:create_app`` under
uvicorn in a separate process, logs 20 simulated users in (admin, work group, city and
district officers, enterprise) and has them request the inbox page (HTML) and the API
(JSON) with varied filters, sorts and pages through httpx (async). Two phases: no think
time (saturation: every user fires its next request as soon as the last one returns) and
a think time (exponential, mean ``--think`` seconds, like people clicking). In each phase
all users log in first; the timed requests (and the CPU accounting) start once they are
in (an argon2 login costs far more CPU than an inbox request). ``--schema NAME`` keeps
the built data for the next run (and ``bench/profile_web.py``). Prints
p50/p95/p99 per phase, per endpoint and per filter, and the time spent inside the app
(``Server-Timing``) to tell queueing from work; nothing here asserts a timing.

    LANTIAN_BENCH_POSTGRES_URL=postgresql+psycopg://lantian:lantian@127.0.0.1:5432/lantian_test \\
        .venv/bin/python bench/bench_web.py [--leads 100000] [--enterprises 5000] \\
        [--users 20] [--requests 30] [--think 1.0] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text, update
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_inbox import build

from lantian.auth.models import User
from lantian.auth.passwords import hash_password
from lantian.db.session import make_engine, migrate
from lantian.registry.vocab import LEAD_FAMILIES

PASSWORD = "Bench-Pass-2024!"
ROLES_MIX = ("admin", "wg", "city", "city", "dist", "dist", "ent")
"""Account of each simulated user, round-robin (officers dominate, as in real use)."""
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def filters(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One varied filter set of the inbox: (category, query parameters)."""
    r = rng.random()
    if r < 0.3:
        return "default", {}
    if r < 0.45:
        return "status+severity", {"status": "new", "severity": rng.choice((2, 3))}
    if r < 0.6:
        return "family", {"family": rng.choice(LEAD_FAMILIES), "sort": "-severity"}
    if r < 0.7:
        return "date+positive list", {"date_from": "2024-06-01", "positive_list": "true"}
    if r < 0.8:
        return "deep page", {"offset": rng.randrange(0, 20) * 50}
    if r < 0.9:
        return "status, oldest", {"status": "dispatched", "sort": "start"}
    return "text search", {"q": f"企业{rng.randrange(5000):05d}"}


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``xs``."""
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def login(client: httpx.AsyncClient, username: str) -> tuple[str, str]:
    """Log in through the form; return (CSRF token, bearer token)."""
    page = await client.get("/login")
    m = CSRF_RE.search(page.text)
    assert m, "no CSRF token on the login page"
    r = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": m.group(1)}
    )
    assert r.status_code == 303, f"login of {username} failed: {r.status_code}"
    tok = await client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    tok.raise_for_status()
    return m.group(1), tok.json()["access_token"]


async def run_phase(
    base_url: str,
    n_users: int,
    n_requests: int,
    think_s: float,
    seed: int,
    on_start: Any = None,
) -> tuple[dict[str, list[float]], float]:
    """Every user logs in, then (once all are in) makes ``n_requests`` requests.

    Return the latencies [ms] per endpoint and the wall time of the requests [s] (logins
    excluded: an argon2 verification costs far more CPU than an inbox request, and 20
    of them at once would show up as queueing in the first requests). ``on_start`` is
    called when the logins are done and the timed requests begin.
    """
    lat: dict[str, list[float]] = {"page": [], "api": [], "server": []}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=n_users * 2)
    clients = [
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) for _ in range(n_users)
    ]
    try:
        tokens = await asyncio.gather(
            *(login(c, ROLES_MIX[k % len(ROLES_MIX)]) for k, c in enumerate(clients))
        )

        async def user(k: int) -> None:
            rng = random.Random(seed + k)
            client, token = clients[k], tokens[k][1]
            for _ in range(n_requests):
                if think_s:
                    await asyncio.sleep(rng.expovariate(1 / think_s))
                category, params = filters(rng)
                kind = "page" if rng.random() < 0.5 else "api"
                t = time.perf_counter()
                if kind == "page":
                    r = await client.get("/leads", params=params)
                else:
                    r = await client.get(
                        "/api/leads", params=params, headers={"Authorization": f"Bearer {token}"}
                    )
                ms = (time.perf_counter() - t) * 1000
                lat[kind].append(ms)
                lat.setdefault(f"filter: {category}", []).append(ms)
                timing = r.headers.get("server-timing", "")
                if timing.startswith("app;dur="):
                    lat["server"].append(float(timing.split("=", 1)[1]))
                if r.status_code != 200:
                    errors.append(f"{kind} {params} -> {r.status_code}")

        if on_start is not None:
            on_start()
        t0 = time.perf_counter()
        await asyncio.gather(*(user(k) for k in range(n_users)))
        wall = time.perf_counter() - t0
    finally:
        for c in clients:
            await c.aclose()
    if errors:
        print(f"  {len(errors)} errors, e.g. {errors[:3]}", file=sys.stderr)
    return lat, wall


APP_NAME = "lantian_bench_web"
"""``application_name`` of the server's database connections (to find their backends)."""


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid``; 0 if it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(admin: Any, server_pid: int) -> dict[str, float]:
    """CPU seconds so far of: this process (client), the web server, its PG backends."""
    with admin.connect() as conn:
        pids = conn.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": APP_NAME}
        ).all()
    children: list[int] = []
    try:
        with open(f"/proc/{server_pid}/task/{server_pid}/children") as fh:
            children = [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return {
        "client": time.process_time(),
        "server": sum(_proc_cpu_s(p) for p in [server_pid, *children]),
        **{f"pg{p}": _proc_cpu_s(p) for p in pids},
    }


def snapshot_into(out: dict[str, float], admin: Any, server_pid: int) -> None:
    """:func:`cpu_snapshot` into ``out`` (called when a phase's timed requests start)."""
    out.update(cpu_snapshot(admin, server_pid))


def cpu_per_request(before: dict[str, float], after: dict[str, float], n: int) -> str:
    """``client + server + PostgreSQL = total`` CPU milliseconds per request."""
    client = (after["client"] - before["client"]) / n * 1000
    server = (after["server"] - before["server"]) / n * 1000
    pg = sum(v - before.get(k, 0.0) for k, v in after.items() if k.startswith("pg")) / n * 1000
    total = client + server + pg
    return (
        f"    CPU per request: client {client:.1f} ms + web server {server:.1f} ms + "
        f"PostgreSQL {pg:.1f} ms = {total:.1f} ms (2 idle cores: about "
        f"{2000 / total if total else float('nan'):.0f} req/s)"
    )


def report(label: str, lat: dict[str, list[float]], wall_s: float) -> None:
    every = lat["page"] + lat["api"]
    if not every:
        return
    p95 = pct(every, 95)
    print(
        f"{label}: n={len(every)}  p50 {pct(every, 50):.0f} ms  p95 {p95:.0f} ms  "
        f"p99 {pct(every, 99):.0f} ms  max {max(every):.0f} ms  "
        f"{len(every) / wall_s:.1f} req/s  target p95 <= 200 ms: "
        f"{'MET' if p95 <= 200 else 'NOT MET'}"
    )
    names = {"page": "inbox page /leads", "api": "GET /api/leads", "server": "in the app"}
    for kind, xs in lat.items():
        print(
            f"    {names.get(kind, kind):28s} n={len(xs):4d}  p50 {pct(xs, 50):5.0f} ms  "
            f"p95 {pct(xs, 95):5.0f} ms  p99 {pct(xs, 99):5.0f} ms"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--leads", type=int, default=100_000)
    ap.add_argument("--enterprises", type=int, default=5_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--requests", type=int, default=30, help="requests per user and phase")
    ap.add_argument("--think", type=float, default=1.0, help="mean think time [s], phase 2")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--schema", default=None, help="reuse/keep this schema (not dropped)")
    args = ap.parse_args()
    base = os.environ.get("LANTIAN_BENCH_POSTGRES_URL") or os.environ.get(
        "LANTIAN_TEST_POSTGRES_URL"
    )
    if not base:
        print("set LANTIAN_BENCH_POSTGRES_URL or LANTIAN_TEST_POSTGRES_URL", file=sys.stderr)
        return 2
    schema = args.schema or f"bench_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        if not exists:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    proc: subprocess.Popen[bytes] | None = None
    try:
        migrate(engine)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        t0 = time.perf_counter()
        if not exists:
            with factory() as s:
                build(s, args.enterprises, args.leads, random.Random(1))
                s.execute(update(User).values(password_hash=hash_password(PASSWORD)))
                s.commit()
            print(
                f"built {args.leads} leads, {args.enterprises} enterprises in "
                f"{time.perf_counter() - t0:.1f} s (schema {schema})"
            )
        port = free_port()
        home = tempfile.mkdtemp(prefix="lantian-bench-web-")
        env = os.environ | {
            "LANTIAN_DATABASE_URL": f"{url}&application_name={APP_NAME}",
            "LANTIAN_HOME": home,
            "LANTIAN_SECRET_KEY": uuid.uuid4().hex,
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "lantian.web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the web server did not start")
            time.sleep(0.3)
        print(f"uvicorn: {args.workers} worker(s) on {base_url}")
        # warm-up and single-user baseline
        asyncio.run(run_phase(base_url, 2, 10, 0.0, seed=3))  # warm-up
        phases = [("1 user, no think time", 1, 40, 0.0, 7)]
        phases += [
            (f"{args.users} users, no think time", args.users, args.requests, 0.0, 100),
            (
                f"{args.users} users, think {args.think:.1f} s",
                args.users,
                args.requests,
                args.think,
                100,
            ),
        ]
        for label, n_users, n_req, think, seed in phases:
            c0: dict[str, float] = {}
            lat, wall = asyncio.run(
                run_phase(
                    base_url,
                    n_users,
                    n_req,
                    think,
                    seed,
                    on_start=functools.partial(snapshot_into, c0, admin, proc.pid),
                )
            )
            report(label, lat, wall)
            n = len(lat["page"]) + len(lat["api"])
            print(cpu_per_request(c0, cpu_snapshot(admin, proc.pid), max(1, n)))
        load = os.getloadavg()
        print(
            f"machine load average (1/5/15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
            f"on {os.cpu_count()} cores (shared with the benchmark client and PostgreSQL)"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        engine.dispose()
        if not args.schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
