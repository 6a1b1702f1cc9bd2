"""Benchmark: generate the city-month preset (1,000 outlets, 4,000 meters at 5 min, 50 stations,
30 days ≈ 34.5 million power rows) and print wall and CPU seconds, rows, rows/s and peak RSS
(CPU seconds beside wall seconds because the machine may be shared).

Usage: .venv/bin/python bench/bench_democity.py [--preset city-month] [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lantian.demo import generate_city, preset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="city-month")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated bundle")
    parser.add_argument("--format", default=None, help="auto | csv | parquet")
    args = parser.parse_args()
    cfg = preset(args.preset, data_format=args.format)
    base = args.out or Path(tempfile.mkdtemp(prefix="bench-democity-"))
    out = base / args.preset
    t0 = time.perf_counter()
    summary = generate_city(out, cfg)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    rows = sum(summary.rows.values())
    result = {
        "preset": args.preset,
        "enterprises": summary.enterprises,
        "outlets": summary.outlets,
        "meters": summary.meters,
        "stations": summary.stations,
        "days": cfg.days,
        "rows": summary.rows,
        "labels": sum(summary.labels.values()),
        "ignore_labels": summary.ignore_labels,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "cpu_seconds": round(cpu, 1),
        "rows_per_cpu_second": round(rows / cpu),
        "peak_rss_mb": round(peak_mb),
        "bundle_mb": round(size_mb, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if not args.keep:
        shutil.rmtree(base if args.out is None else out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
