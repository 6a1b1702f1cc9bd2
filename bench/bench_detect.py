"""Benchmark of lead detection: ``lantian detect`` against the cost of reading the data once.

In ONE run this script

1. generates a city-month bundle with ``lantian demo-city OUT --preset city-month --parquet``
   (or uses ``--city DIR``), converting CSV data files to Parquet when needed;
2. (a) measures how long DuckDB needs to read every data file once: ``count(*)`` plus an
   aggregate over every column (sum of numbers, sum of string lengths, max of times);
3. (b) runs ``lantian detect BUNDLE --engine duckdb`` as a child process: wall time and peak
   RSS (``os.wait4`` → ``ru_maxrss`` of that child);
4. (c) runs ``lantian detect BUNDLE --engine spark`` (local mode) the same way, and checks
   that both engines wrote the same leads;
5. prints the ratio (b)/(a) (target ≤ 15) and the peak RSS (target < 4 GiB);
6. with ``--floors`` (or when the target is missed): the passes every implementation of
   the rules needs (per-meter power histogram, hourly power with those thresholds, hourly
   CEMS table), on the same input views, as multiples of (a);
7. with ``--profile``: the time of each rule alone (in this process, after one load), to
   find what is slow.

Usage::

    .venv/bin/python bench/bench_detect.py                 # generate, measure, print
    .venv/bin/python bench/bench_detect.py --city DIR      # an existing bundle
    .venv/bin/python bench/bench_detect.py --no-spark --profile
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
LANTIAN = str(VENV_BIN / "lantian")
TARGET_RATIO = 15.0
TARGET_RSS_GIB = 4.0


def _run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``cmd``; return (wall seconds, peak RSS GiB of the child, exit code, stderr tail)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-2000:]
    rss_gib = usage.ru_maxrss / (1024 * 1024)  # Linux: KiB
    return wall, rss_gib, proc.returncode, tail


def generate(out: Path, preset: str, env: dict[str, str]) -> None:
    """``lantian demo-city OUT --preset PRESET --parquet`` (the demo generator)."""
    cmd = [LANTIAN, "demo-city", str(out), "--preset", preset, "--parquet", "--overwrite"]
    print(f"generating {preset} city: {' '.join(cmd)}", flush=True)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"demo-city failed ({res.returncode}):\n{res.stderr[-3000:]}")
    print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)


def to_parquet(bundle: Path) -> list[Path]:
    """Convert CSV data files to Parquet (same stem); return the data files (Parquet)."""
    import duckdb

    files: list[Path] = []
    data = bundle / "data"
    for csv in sorted(data.glob("*.csv")):
        target = csv.with_suffix(".parquet")
        if not target.exists():
            print(f"  converting {csv.name} to Parquet", flush=True)
            con = duckdb.connect()
            src = csv.as_posix().replace("'", "''")
            dst = target.as_posix().replace("'", "''")
            con.execute(f"COPY (SELECT * FROM read_csv_auto('{src}')) TO '{dst}' (FORMAT parquet)")
            con.close()
        csv.unlink()
    files = sorted(data.glob("*.parquet"))
    if not files:
        sys.exit(f"{bundle}: no data files")
    return files


def read_once_seconds(files: list[Path]) -> tuple[float, dict[str, int]]:
    """(a): DuckDB reads every file once, touching every column. Returns (s, rows per file)."""
    import duckdb

    rows: dict[str, int] = {}
    con = duckdb.connect()
    t0 = time.perf_counter()
    for path in files:
        src = f"read_parquet('{path.as_posix()}')"
        desc = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
        aggs = ["count(*)"]
        for name, typ, *_ in desc:
            q = f'"{name}"'
            t = str(typ).upper()
            if any(k in t for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL")):
                aggs.append(f"sum({q})")
            elif "VARCHAR" in t or "STRING" in t:
                aggs.append(f"sum(length({q}))")
            elif "TIME" in t or "DATE" in t:
                aggs.append(f"max({q})")
            else:
                aggs.append(f"count({q})")
        row = con.execute(f"SELECT {', '.join(aggs)} FROM {src}").fetchone()
        rows[path.name] = int(row[0]) if row else 0
    seconds = time.perf_counter() - t0
    con.close()
    return seconds, rows


def _rss_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def profile_rules(
    bundle: Path, tmp: Path, memory_limit: str | None = None
) -> list[tuple[str, float, int]]:
    """Time the shared intermediates, then each rule on the shared (cached) context.

    Mirrors one ``lantian detect`` run step by step; prints seconds and the process's peak
    RSS so far after every step (DuckDB spills to ``tmp``; ``memory_limit`` caps it).
    """
    import ibis

    from lantian.rules import catalog
    from lantian.rules.context import Context, StateParams
    from lantian.rules.inputs import load_bundle

    tmp.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"temp_directory": str(tmp)}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = ibis.duckdb.connect(**config)
    t0 = time.perf_counter()
    ctx = Context(load_bundle(bundle, con), StateParams())
    print(f"  {'load_bundle':<28} {time.perf_counter() - t0:7.2f} s  RSS {_rss_gib():.2f} GiB")
    for step in (
        "meter_levels",
        "meter_buckets",
        "meter_hourly",
        "unit_hourly",
        "outlet_state",
        "cems_hourly",
        "outlet_hour_flags",
    ):
        if not hasattr(ctx, step):
            continue
        t0 = time.perf_counter()
        try:
            n = getattr(ctx, step)().count().execute()
        except TypeError:  # the intermediate takes arguments: timed inside the rules
            continue
        print(
            f"  ctx.{step:<24} {time.perf_counter() - t0:7.2f} s  {n:>10,} rows  "
            f"RSS {_rss_gib():.2f} GiB",
            flush=True,
        )
    out = []
    for code, rule in catalog.all_rules().items():
        t0 = time.perf_counter()
        try:
            n = len(rule.detect(ctx, rule.params_type()).execute())
        except Exception as exc:  # report and go on with the next rule
            print(f"  {code:<28} FAILED: {type(exc).__name__}: {str(exc)[:200]}", flush=True)
            continue
        out.append((code, time.perf_counter() - t0, n))
        print(
            f"  {code:<28} {out[-1][1]:7.2f} s  {n:>10,} episodes  RSS {_rss_gib():.2f} GiB",
            flush=True,
        )
    # drop the cached tables while the connection is open (Ibis finalizers drop them)
    del ctx
    gc.collect()
    con.disconnect()
    return out


def floors(bundle: Path, read_s: float) -> float:
    """Time the passes every implementation of the rules needs, on the same input views.

    1. the per-meter power histogram (each meter's own on/off threshold comes from its own
       data: a pass before the next);
    2. the hourly power pass with those thresholds (samples, samples on, kW sum per meter
       and hour), materialised as the rules need it;
    3. the hourly CEMS table (one row per outlet, pollutant and hour), materialised.

    Every rule then still has to run on top of these. Prints each pass and the sum as a
    multiple of (a); returns the sum [s].
    """
    import ibis

    from lantian.rules.inputs import load_bundle

    con = ibis.duckdb.connect()
    inp = load_bundle(bundle, con)
    raw = con.con
    raw.execute("SET enable_progress_bar = false")
    has_power = inp.power.count().execute() > 0
    has_cems = inp.cems.count().execute() > 0
    steps: list[tuple[str, str]] = []
    if has_power:
        steps += [
            (
                "power histogram (every 3rd slot)",
                "CREATE TEMP TABLE f_hist AS SELECT meter_id, "
                "CAST(floor(log10(greatest(kw, 0.01)) * 20) AS BIGINT) AS b, count(*) AS n "
                "FROM power_src WHERE kw IS NOT NULL AND (t // 300) % 3 = 0 GROUP BY ALL",
            ),
            (
                "power hourly with thresholds",
                "CREATE TEMP TABLE f_hour AS SELECT p.meter_id, t // 3600 AS h, count(*) AS n, "
                "count(*) FILTER (WHERE kw > off_kw) AS n_on, sum(kw) AS kw_sum "
                "FROM power_src p JOIN (SELECT meter_id, 1.0 AS off_kw FROM meters_src) m "
                "USING (meter_id) WHERE kw IS NOT NULL GROUP BY ALL",
            ),
        ]
    if has_cems:
        steps.append(
            (
                "CEMS hourly table",
                "CREATE TEMP TABLE f_cems AS SELECT outlet_id, pollutant, t // 3600 AS h, "
                "min(t) AS t, max(value) AS value, max(zs_value) AS zs_value, "
                "min(upper(coalesce(flag, 'N'))) AS flag FROM cems_src "
                "WHERE outlet_id IS NOT NULL AND t IS NOT NULL GROUP BY ALL",
            )
        )
    total = 0.0
    print("floors (passes any implementation needs, same views as detect):", flush=True)
    for label, sql in steps:
        t0 = time.perf_counter()
        raw.execute(sql)
        dt = time.perf_counter() - t0
        total += dt
        print(f"  {label:<34} {dt:6.2f} s  {dt / read_s:5.1f} × (a)", flush=True)
    print(
        f"  {'sum':<34} {total:6.2f} s  {total / read_s:5.1f} × (a)  "
        "(before any rule, process start or lead output)",
        flush=True,
    )
    con.disconnect()
    return total


def _leads(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--city", type=Path, help="existing bundle (default: generate one)")
    ap.add_argument("--preset", default="city-month", help="demo-city preset to generate")
    ap.add_argument("--workdir", type=Path, help="where to generate (default: a temp dir)")
    ap.add_argument("--no-spark", action="store_true", help="skip the Spark run")
    ap.add_argument("--profile", action="store_true", help="time every rule alone")
    ap.add_argument(
        "--floors", action="store_true", help="time the passes every implementation needs"
    )
    ap.add_argument("--memory-limit", help="DuckDB memory_limit for the profile, e.g. 3GB")
    ap.add_argument(
        "--profile-only", action="store_true", help="only the per-rule profile (no (a)-(c))"
    )
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="lantian-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("LANTIAN_HOME", str(work / "home"))
    if args.city is not None:
        src = args.city.resolve()
        bundle = work / "bundle"
        if bundle.resolve() != src:
            if bundle.exists():
                shutil.rmtree(bundle)
            shutil.copytree(src, bundle)
    else:
        bundle = work / "bundle"
        if not (bundle / "registry").exists():
            generate(bundle, args.preset, env)
    files = to_parquet(bundle)
    size = sum(f.stat().st_size for f in files)
    print(f"bundle {bundle}: {len(files)} data files, {size / 2**20:.1f} MiB Parquet", flush=True)

    if args.profile_only:
        print("profile (shared intermediates, then each rule):", flush=True)
        profile_rules(bundle, work / "duckdb-tmp", args.memory_limit)
        return 0

    read_s, rows = read_once_seconds(files)
    read_s2, _ = read_once_seconds(files)  # warm page cache: keep the faster of two
    read_s = min(read_s, read_s2)
    for name, n in rows.items():
        print(f"  {name}: {n:,} rows", flush=True)
    print(f"(a) DuckDB reads every data file once: {read_s:.2f} s", flush=True)

    out_duck = work / "leads-duckdb.jsonl"
    wall, rss, code, err = _run_child(
        [LANTIAN, "detect", str(bundle), "--out", str(out_duck), "--engine", "duckdb"], env
    )
    if code != 0:
        print(f"lantian detect (duckdb) failed with {code}:\n{err}", flush=True)
        return 1
    duck = _leads(out_duck)
    print(
        f"(b) lantian detect --engine duckdb: {wall:.2f} s wall, peak RSS {rss:.2f} GiB, "
        f"{len(duck):,} leads",
        flush=True,
    )
    ratio = wall / read_s if read_s > 0 else float("inf")

    spark_line = "(c) Spark: skipped (--no-spark)"
    parity = None
    if not args.no_spark:
        out_spark = work / "leads-spark.jsonl"
        env_spark = dict(env)
        env_spark.setdefault("LANTIAN_SPARK_MASTER", "local[2]")
        s_wall, s_rss, s_code, s_err = _run_child(
            [LANTIAN, "detect", str(bundle), "--out", str(out_spark), "--engine", "spark"],
            env_spark,
        )
        if s_code != 0:
            spark_line = f"(c) Spark local mode FAILED ({s_code}): {s_err[-800:]}"
        else:
            sp = _leads(out_spark)
            parity = sp == duck
            spark_line = (
                f"(c) lantian detect --engine spark (local[2]): {s_wall:.2f} s wall "
                f"(driver RSS {s_rss:.2f} GiB, JVM not included), {len(sp):,} leads, "
                f"identical to DuckDB: {parity}"
            )
    print(spark_line, flush=True)

    print("", flush=True)
    print(f"ratio (b)/(a) = {wall:.2f} / {read_s:.2f} = {ratio:.1f}  (target ≤ {TARGET_RATIO:g})")
    print(f"peak RSS (b) = {rss:.2f} GiB  (target < {TARGET_RSS_GIB:g} GiB)")
    verdict = ratio <= TARGET_RATIO and rss < TARGET_RSS_GIB
    print("targets met" if verdict else "TARGETS NOT MET", flush=True)

    if args.floors or ratio > TARGET_RATIO:
        print("", flush=True)
        floors(bundle, read_s)
    if args.profile or ratio > TARGET_RATIO:
        print("\nprofile (shared intermediates, then each rule):", flush=True)
        profile_rules(bundle, work / "duckdb-tmp", args.memory_limit)
    if parity is False:
        print("WARNING: Spark and DuckDB leads differ", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
