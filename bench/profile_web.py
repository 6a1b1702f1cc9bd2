"""Profile the inbox request path in-process (cProfile) on a schema kept by ``bench_web.py``.

Build the data once with ``bench_web.py --schema NAME`` (kept), then::

    LANTIAN_BENCH_POSTGRES_URL=postgresql+psycopg://lantian:lantian@127.0.0.1:5432/lantian_test \\
        .venv/bin/python bench/profile_web.py --schema NAME [--requests 200] [--kind page|api|both]

The app runs in this process behind ``httpx.ASGITransport``; the thread pool of sync
routes is bypassed (functions run inline) so cProfile sees the whole request. Prints the
mean wall time per request without and with the profiler, then the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import ROLES_MIX, filters, login

TIMED: dict[str, list[float]] = {}
"""Seconds spent in each wrapped function (``--breakdown``): [total CPU, total wall, calls]."""


def _timed(name: str, func: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            acc = TIMED.setdefault(name, [0.0, 0.0, 0])
            acc[0] += time.process_time() - c0
            acc[1] += time.perf_counter() - t0
            acc[2] += 1

    return wrapper


def wrap_for_breakdown() -> None:
    """Time the main steps of the inbox request path (module attributes replaced)."""
    from lantian.web import deps, templating
    from lantian.web.pages import leads as pages_leads
    from lantian.workflow import queries as wq

    wq.list_leads = _timed("list_leads", wq.list_leads)
    pages_leads.render = _timed("render", pages_leads.render)
    pages_leads.dispatch_context = _timed("dispatch_context", pages_leads.dispatch_context)
    pages_leads.filter_choices = _timed("filter_choices", pages_leads.filter_choices)
    deps._resolve = _timed("auth (_resolve)", deps._resolve)
    templating.render = pages_leads.render


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args)


async def run(clients: list[tuple[httpx.AsyncClient, str]], n: int, kind: str, seed: int) -> float:
    rng = random.Random(seed)
    c0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        c, token = clients[i % len(clients)]
        _cat, params = filters(rng)
        k = kind if kind != "both" else ("page" if rng.random() < 0.5 else "api")
        if k == "page":
            r = await c.get("/leads", params=params)
        else:
            r = await c.get(
                "/api/leads", params=params, headers={"Authorization": f"Bearer {token}"}
            )
        assert r.status_code == 200, (k, params, r.status_code, r.text[:300])
    dt = (time.perf_counter() - t0) / n * 1000
    print(f"    CPU of this process: {(time.process_time() - c0) / n * 1000:.2f} ms per request")
    return dt


async def session(app: Any, args: argparse.Namespace) -> None:
    """Log the users in, warm up, time without then with the profiler."""
    transport = httpx.ASGITransport(app=app)
    clients = []
    for role in ROLES_MIX:
        c = httpx.AsyncClient(transport=transport, base_url="http://test")
        _csrf, token = await login(c, role)
        clients.append((c, token))
    await run(clients, 60, args.kind, 1)  # warm-up
    TIMED.clear()
    plain = await run(clients, args.requests, args.kind, 2)
    for name, (cpu, wall, calls) in TIMED.items():
        print(
            f"    {name:20s} CPU {cpu / args.requests * 1000:6.2f} ms  "
            f"wall {wall / args.requests * 1000:6.2f} ms per request ({calls} calls)"
        )
    print(f"{args.kind}: {plain:.2f} ms per request (in-process, no profiler)")
    if not args.no_profile:
        prof = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        prof.enable()
        profiled = await run(clients, args.requests, args.kind, 2)
        prof.disable()
        print(f"{args.kind}: {profiled:.2f} ms per request under cProfile")
        stats = pstats.Stats(prof)
        stats.sort_stats(*args.sort.split(",")).print_stats(args.top)
    for c, _ in clients:
        await c.aclose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--schema", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--kind", default="both", choices=("page", "api", "both"))
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--cpu", action="store_true", help="profile CPU time (not wall time)")
    ap.add_argument("--breakdown", action="store_true", help="time the main steps")
    args = ap.parse_args()
    base = os.environ.get("LANTIAN_BENCH_POSTGRES_URL") or os.environ["LANTIAN_TEST_POSTGRES_URL"]
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{args.schema}"
    os.environ["LANTIAN_DATABASE_URL"] = url
    os.environ["LANTIAN_HOME"] = tempfile.mkdtemp(prefix="lantian-profile-web-")
    os.environ["LANTIAN_SECRET_KEY"] = uuid.uuid4().hex
    os.environ["LANTIAN_JOBS_INTERVAL_S"] = "0"
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]

    if args.breakdown:
        wrap_for_breakdown()
    from lantian.web.app import create_app

    asyncio.run(session(create_app(), args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
