"""Run every benchmark under bench/ one after another and print their figures.

``make bench`` calls this. Each benchmark is a standalone script that prints what it
measured (figures and ratios from one run); nothing here asserts a timing. Select some
with ``--only import,detect``; pass ``--quick`` for smaller sizes where a script has them.
The PostgreSQL benchmarks use ``LANTIAN_BENCH_POSTGRES_URL`` or ``LANTIAN_TEST_POSTGRES_URL``
and are skipped with a message when neither is set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# name -> (script, full arguments, quick arguments, needs PostgreSQL)
BENCHMARKS: dict[str, tuple[str, list[str], list[str], bool]] = {
    "import": ("bench_import.py", ["--runs", "3", "--city-month"], ["--runs", "1"], False),
    "hj212": ("bench_hj212_decode.py", ["--repeat", "5"], ["--repeat", "1"], False),
    "democity": ("bench_democity.py", [], ["--preset", "default"], False),
    "gateway": ("bench_gateway.py", [], ["--seconds", "5", "--skip-kill"], False),
    "detect": ("bench_detect.py", [], ["--preset", "default", "--no-spark"], False),
    "clues": ("bench_clues.py", [], ["--scale", "0.1"], False),
    "platform": ("bench_platform.py", [], ["--preset", "default", "--lookback-days", "7"], False),
    "demo-stream": (
        "bench_demo_stream.py",
        [],
        ["--enterprises", "12", "--days", "5", "--speed", "3600", "--detect-every", "20"],
        False,
    ),
    "inbox": ("bench_inbox.py", [], ["--leads", "20000", "--enterprises", "1000"], True),
    "web": ("bench_web.py", [], [], True),
    "leadpage": ("bench_lead_page.py", [], ["--preset", "default", "--per-family", "3"], False),
    "digest": ("bench_digest.py", [], ["--enterprises", "5000", "--users", "500"], False),
    "report": ("bench_report.py", [], ["--preset", "default"], False),
    "plan": (
        "bench_plan.py",
        [],
        ["--enterprises", "5000", "--inspectors", "200", "--repeat", "1"],
        False,
    ),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated names: " + ", ".join(BENCHMARKS))
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    pg = os.environ.get("LANTIAN_BENCH_POSTGRES_URL") or os.environ.get("LANTIAN_TEST_POSTGRES_URL")
    failed: list[str] = []
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}", file=sys.stderr)
            return 2
        script, full, quick, needs_pg = BENCHMARKS[name]
        path = BENCH / script
        if not path.exists():
            print(f"== {name}: {script} not present, skipped")
            continue
        if needs_pg and not pg:
            print(f"== {name}: skipped (set LANTIAN_BENCH_POSTGRES_URL)")
            continue
        cmd = [sys.executable, str(path), *(quick if args.quick else full)]
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        began = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"== {name}: exit {rc} after {time.perf_counter() - began:.1f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
