"""Benchmark of bulk import and of reading the measurement lake.

1. ``lantian import dev-city`` into a fresh LANTIAN_HOME, ``--runs`` times (a new process
   each time, so start-up, migrations and imports are included): median seconds, rows/s.
   Target: well under 30 s.
2. ``Lake.connect()`` and a full read of every source of the imported lake.
3. With ``--city-month``: a synthetic city-month lake (``--meters`` meters at 5 min,
   ``--outlets`` outlets hourly × 8 pollutants, 30 days; the full size is 4,000 meters =
   34.5 M power rows and 1,000 outlets) is written through ``Lake.append`` (one write per
   day, as the gateway's daily batches would be, plus re-sent rows that must be
   deduplicated), then read back: full count, hourly mean per meter, and a one-day window;
   before and after compaction.

Figures are printed, nothing is asserted. Usage::

    .venv/bin/python bench/bench_import.py [--runs 3] [--city-month --meters 4000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
DEV_CITY = REPO.parent / "shared" / "datasets" / "dev-city"


def _bundle_rows(bundle: Path) -> int:
    import pyarrow.parquet as pq

    rows = 0
    for path in sorted(bundle.glob("*/*")):
        if path.suffix == ".csv":
            with open(path, "rb") as fh:
                rows += sum(1 for line in fh if line.strip()) - 1
        elif path.suffix == ".parquet":
            rows += pq.ParquetFile(path).metadata.num_rows
    return rows


def _run(args: list[str], home: Path, pycache: Path) -> tuple[float, float]:
    """Run a command; return (wall seconds, CPU seconds of the child: user + system)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTIAN_")}
    env["LANTIAN_HOME"] = str(home)
    # A normal install has compiled byte code; this environment sets
    # PYTHONDONTWRITEBYTECODE, which would make every process compile every module
    # (seconds). Cache byte code outside the project instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr)
        raise SystemExit(f"{' '.join(args)} failed (exit {proc.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def bench_import(runs: int) -> Path | None:
    if not DEV_CITY.exists():
        print(f"skip import benchmark: {DEV_CITY} is absent")
        return None
    rows = _bundle_rows(DEV_CITY)
    lantian = str(Path(sys.executable).with_name("lantian"))
    pycache = Path(tempfile.mkdtemp(prefix="lantian-bench-pycache-"))
    scratch = Path(tempfile.mkdtemp(prefix="lantian-bench-"))
    cold, cold_cpu = _run([lantian, "import", str(DEV_CITY)], scratch / "cold", pycache)
    print(f"  cold run (byte code not cached yet): {cold:.2f} s wall, {cold_cpu:.2f} s CPU")
    startup = statistics.median(
        _run([lantian, "version"], scratch / "v", pycache)[0] for _ in range(3)
    )
    times: list[float] = []
    cpus: list[float] = []
    for i in range(runs):
        seconds, cpu = _run([lantian, "import", str(DEV_CITY)], scratch / f"run{i}", pycache)
        times.append(seconds)
        cpus.append(cpu)
        print(f"  run {i + 1}: {seconds:.2f} s wall, {cpu:.2f} s CPU")
    median = statistics.median(times)
    print(
        f"import dev-city ({rows:,} rows, fresh LANTIAN_HOME, new process): median "
        f"{median:.2f} s wall ({statistics.median(cpus):.2f} s CPU) over {runs} run(s), "
        f"{rows / median:,.0f} rows/s; target < 30 s -> {30 / median:.1f}x headroom "
        f"(process start-up alone, `lantian version`: {startup:.2f} s; load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    shutil.rmtree(pycache, ignore_errors=True)
    for d in scratch.iterdir():
        if d.name != "run0":
            shutil.rmtree(d, ignore_errors=True)
    return scratch / "run0"


def bench_in_process() -> None:
    """The import work alone: modules loaded and the database migrated beforehand."""
    if not DEV_CITY.exists():
        return
    from lantian.db.session import dispose_engines, get_engine
    from lantian.io import import_bundle
    from lantian.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="lantian-bench-inproc-"))
    settings = Settings(home=home)
    get_engine(settings)
    import_bundle(DEV_CITY, Settings(home=home / "warm"))  # loads every lazily imported module
    cpu = time.process_time()
    report = import_bundle(DEV_CITY, settings)
    cpu = time.process_time() - cpu
    per_file = ", ".join(f"{f.name} {f.seconds:.2f}" for f in report.files)
    print(
        f"in-process import_bundle (migrated DB, modules loaded): {report.seconds:.2f} s wall, "
        f"{cpu:.2f} s CPU ({report.rows / report.seconds:,.0f} rows/s); per file: {per_file}"
    )
    dispose_engines()
    shutil.rmtree(home, ignore_errors=True)


def bench_reads(lake_dir: Path, label: str) -> None:
    from lantian.lake import SOURCES, Lake

    lake = Lake(lake_dir)
    began = time.perf_counter()
    con = lake.connect()
    print(f"{label}: Lake.connect() {1000 * (time.perf_counter() - began):.1f} ms")
    for name in SOURCES:
        if not lake.has_data(name):
            continue
        began = time.perf_counter()
        table = con.sql(f"SELECT * FROM {name}").to_arrow_table()
        seconds = time.perf_counter() - began
        print(
            f"  full read {name:<15} {table.num_rows:>11,} rows {seconds:7.2f} s "
            f"({table.num_rows / max(seconds, 1e-9):,.0f} rows/s)"
        )


def _power_day(meters: int, day: datetime, rng: np.random.Generator) -> pa.Table:
    steps = 288
    start = int(day.timestamp() * 1_000_000)
    times = start + np.arange(steps, dtype=np.int64) * 300_000_000
    ids = np.array([f"M{i:05d}" for i in range(meters)], dtype=object)
    return pa.table(
        {
            "meter_id": pa.array(np.repeat(ids, steps), pa.string()),
            "time": pa.array(np.tile(times, meters), pa.timestamp("us", tz="UTC")),
            "kw": rng.gamma(2.0, 50.0, meters * steps),
        }
    )


def _cems_day(outlets: int, day: datetime, rng: np.random.Generator) -> pa.Table:
    codes = ["a34013", "a21026", "a21002", "a19001", "a01012", "a01014", "a01011", "a00000"]
    start = int(day.timestamp() * 1_000_000)
    hours = start + np.arange(24, dtype=np.int64) * 3_600_000_000
    n = outlets * 24 * len(codes)
    ids = np.array([f"P{i:04d}" for i in range(outlets)], dtype=object)
    return pa.table(
        {
            "outlet_id": pa.array(np.repeat(ids, 24 * len(codes)), pa.string()),
            "time": pa.array(
                np.tile(np.repeat(hours, len(codes)), outlets), pa.timestamp("us", tz="UTC")
            ),
            "pollutant": pa.array(np.tile(codes, outlets * 24), pa.string()),
            "value": rng.gamma(2.0, 10.0, n),
            "flag": pa.array(np.full(n, "N", dtype=object), pa.string()),
        }
    )


def bench_city_month(meters: int, outlets: int, days: int) -> None:
    from lantian.lake import Lake
    from lantian.timeutil import CST

    root = Path(tempfile.mkdtemp(prefix="lantian-lake-bench-"))
    lake = Lake(root)
    rng = np.random.default_rng(7)
    first = datetime(2024, 1, 1, tzinfo=CST)
    written = 0
    began = time.perf_counter()
    for d in range(days):
        day = first + timedelta(days=d)
        p = _power_day(meters, day, rng)
        written += lake.append("power", p, origin="import")
        written += lake.append("cems_hourly", _cems_day(outlets, day, rng), origin="import")
        # re-sent values (gateway catching up): 1 % of the day's power rows again
        written += lake.append("power", p.slice(0, max(1, p.num_rows // 100)), origin="gateway")
    seconds = time.perf_counter() - began
    print(
        f"city-month write: {meters:,} meters x {days} d at 5 min + {outlets:,} outlets x 8 "
        f"pollutants hourly = {written:,} rows in {seconds:.1f} s "
        f"({written / seconds:,.0f} rows/s)"
    )
    for phase in ("before compaction", "after compaction"):
        if phase == "after compaction":
            report = lake.compact()
            print(
                f"compaction: {report.files_merged} files merged, {report.rows_removed:,} "
                f"superseded rows dropped in {report.seconds:.1f} s"
            )
        con = lake.connect()
        con.execute(f"SET threads = {os.cpu_count() or 1}")
        for label, sql in (
            ("count(*) power", "SELECT count(*) FROM power"),
            (
                "hourly mean per meter (power)",
                "SELECT count(*) FROM (SELECT meter_id, date_trunc('hour', time) h, avg(kw) "
                "FROM power GROUP BY ALL)",
            ),
            (
                "one day of power (window pruned)",
                "SELECT count(*) FROM "
                + lake.scan_sql("power", first + timedelta(days=10), first + timedelta(days=11)),
            ),
            ("count(*) cems_hourly", "SELECT count(*) FROM cems_hourly"),
        ):
            t0 = time.perf_counter()
            value = con.sql(sql).fetchall()[0][0]
            print(f"  {phase:<18} {label:<34} {value:>12,} {time.perf_counter() - t0:7.2f} s")
        con.close()
    bench_reads(root, "city-month lake")
    shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--city-month", action="store_true")
    parser.add_argument("--meters", type=int, default=4000)
    parser.add_argument("--outlets", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--no-import", action="store_true", help="only the city-month part")
    args = parser.parse_args()
    home = None if args.no_import else bench_import(args.runs)
    if not args.no_import:
        bench_in_process()
    if home is not None:
        bench_reads(home / "lake", "dev-city lake")
        shutil.rmtree(home.parent, ignore_errors=True)
    if args.city_month:
        bench_city_month(args.meters, args.outlets, args.days)


if __name__ == "__main__":
    main()
