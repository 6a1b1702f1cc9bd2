"""Cost of the lake feeder's device-integrity checks (issue 11: rewrites and clock drift).

In one run, on one archive of real-time packets (CN 2011, 5 pollutants each, N outlets):

1. the feeder's catch-up into an empty lake with the checks (rewrite lookup per batch and
   clock watch) and with the rewrite lookup bypassed: ratio;
2. the same archive fed again into the now full lake (every row an identical resend that
   the check drops): records/s.

Figures are from one run on a shared machine: compare ratios, not absolute rates.

Run: ``.venv/bin/python bench/bench_device_integrity.py [--outlets 200] [--packets 100]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any


def make_home(home: Path, outlets: int, packets: int) -> Any:
    os.environ["LANTIAN_HOME"] = str(home)
    from lantian.db.session import session_scope
    from lantian.gateway.archive import ArchiveWriter
    from lantian.protocol.hj212.packet import build_packet
    from lantian.registry.models import Enterprise, Outlet
    from lantian.settings import get_settings
    from lantian.timeutil import CST

    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        s.add(Enterprise(enterprise_id="E", name="bench", credit_code="1" * 18, industry="other"))
        s.flush()
        s.add_all(
            Outlet(outlet_id=f"P{i:05d}", enterprise_id="E", name=str(i), mn=f"B{i:05d}", pw="1")
            for i in range(outlets)
        )
    writer = ArchiveWriter(settings.archive_dir, fsync=False)
    base = datetime(2024, 1, 8, tzinfo=CST).timestamp()
    for k in range(packets):
        for i in range(outlets):
            t = base + k * 30
            dt = datetime.fromtimestamp(t, CST).strftime("%Y%m%d%H%M%S")
            cp = f"DataTime={dt};" + ";".join(
                f"a{code}-Rtd={(i + k + j) % 97}.5,a{code}-Flag=N"
                for j, code in enumerate(("21026", "21002", "34013", "19001", "01012"))
            )
            raw = build_packet("31", "2011", f"B{i:05d}", cp, pw="1")
            writer.add(t + 2, "127.0.0.1:1", "ok", f"B{i:05d}", "q", "31", "2011", dt, raw)
        batch, seq, _ = writer.take()
        writer.write(batch)
    writer.close()
    return settings, writer.durable, seq


def feed(settings: Any, durable: Any, seq: int, *, bypass: bool) -> float:
    from lantian.gateway import lakefeed
    from lantian.gateway.registry import load_registry

    original = lakefeed.check_rewrites
    if bypass:
        lakefeed.check_rewrites = lambda lake, source, rows, metas, horizon=None: (rows, [])  # type: ignore[assignment]
    try:
        registry = load_registry(settings)
        feeder = lakefeed.LakeFeeder(settings, lambda: registry)
        feeder.pos, feeder.done_seq = type(feeder.pos)("", 0), 0
        feeder.notify(durable, seq)
        t0 = time.perf_counter()
        n = 0
        while True:
            got = feeder.run_once(5_000)
            if not got:
                break
            n += got
        return n / (time.perf_counter() - t0)
    finally:
        lakefeed.check_rewrites = original


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--outlets", type=int, default=200)
    ap.add_argument("--packets", type=int, default=100, help="packets per outlet")
    args = ap.parse_args()
    import duckdb  # noqa: F401  (one-time imports outside the timed runs)
    import pandas  # noqa: F401

    import lantian.db.models
    import lantian.leads.device  # noqa: F401

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        s2, d2, q2 = make_home(Path(b), args.outlets, args.packets)
        bypassed = feed(s2, d2, q2, bypass=True)
        s1, d1, q1 = make_home(Path(a), args.outlets, args.packets)
        checked = feed(s1, d1, q1, bypass=False)
        again = feed(s1, d1, q1, bypass=False)
    total = args.outlets * args.packets
    print(f"{total} records ({args.outlets} outlets x {args.packets} packets, 5 pollutants)")
    print(f"feeder with checks:        {checked:9.0f} records/s")
    print(f"feeder, rewrite lookup off: {bypassed:9.0f} records/s")
    print(f"ratio with/without:        {checked / bypassed:9.2f}")
    print(f"identical resend of all:   {again:9.0f} records/s (every row dropped)")


if __name__ == "__main__":
    main()
