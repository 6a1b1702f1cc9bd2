"""Benchmark of arrival-driven platform detection (``lantian detect-lake``) on a city-month.

In ONE run this script

1. generates a city-month bundle (``lantian demo-city OUT --preset city-month --parquet``)
   or uses ``--city DIR``;
2. imports its registry (``lantian import`` of a copy without data) into a fresh
   ``LANTIAN_HOME`` and appends its data to the lake, all but the last ``--new-hours`` + 1;
3. (a) times the first run, a **full** run over the whole lake (it stores the per-series
   baselines, ``LANTIAN_HOME/baselines.parquet``);
4. (b0) appends the first of the held-back hours and times that run: the first incremental
   run of the process, which also compiles the SQL of the stored-baseline expressions;
5. (b) appends the next ``--new-hours`` hours (default 3) one at a time, for every device
   (all outlets, meters, stations), and times each **incremental** run that judges one
   with the stored baselines (the median is the figure); then checks them with a forced
   full re-judgement of the whole lake, which must change no stored lead within the hours
   the incremental runs read (a lead ending before them that changes is listed: the full
   run's medians over all the data moved with the new hours; no incremental run judged it);
6. (b') for comparison, re-sends that hour and judges it the old way, re-reading
   ``--lookback-days`` of every changed enterprise (``baseline_refresh_h=0``);
7. (c) re-sends 1,000 hours of one outlet's CEMS data and times that run, reporting what
   it judged (enterprises, CEMS-CLONED partners, episodes found, leads re-judged among all
   stored) and that no lead was created or withdrawn;
8. prints (b)/(a) in wall and CPU seconds (target <= 0.1) and (c)/(a). Figures come from
   this one run; nothing asserts a timing (other processes share the CPU: ratios are what
   to compare).

Usage::

    .venv/bin/python bench/bench_platform.py                  # generate, measure, print
    .venv/bin/python bench/bench_platform.py --city DIR       # an existing bundle
    .venv/bin/python bench/bench_platform.py --preset default # small and quick
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

VENV_BIN = Path(sys.executable).parent
LANTIAN = str(VENV_BIN / "lantian")
TARGET = 0.1
SOURCES = {"cems_hourly": "outlet_id", "power": "meter_id", "ambient_hourly": "station_id"}


def _data_file(bundle: Path, stem: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        path = bundle / "data" / f"{stem}{ext}"
        if path.exists():
            return path
    return None


def _read(con: Any, path: Path, where: str) -> Any:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
    return con.sql(f"SELECT * FROM {reader}('{path}') WHERE {where}").to_arrow_table()


class Phases:
    """Seconds spent per phase of the platform runs (wraps the functions a run calls)."""

    NAMES: ClassVar[dict[str, tuple[str, str]]] = {
        "plan": ("lantian.rules.platform", "_plan"),
        "read": ("lantian.rules.platform", "plan_inputs"),
        "rules": ("lantian.rules.engine", "run_rules"),
        "merge": ("lantian.leads.store", "merge_episodes"),
    }

    def __init__(self) -> None:
        import importlib

        self.seconds: dict[str, float] = dict.fromkeys(self.NAMES, 0.0)
        for phase, (module, name) in self.NAMES.items():
            mod = importlib.import_module(module)
            setattr(mod, name, self._timed(phase, getattr(mod, name)))

    def _timed(self, phase: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - began

        return wrapper

    def take(self, total: float) -> str:
        """The phases since the last call, as text, and reset them."""
        parts = [f"{k} {v:.1f} s" for k, v in self.seconds.items()]
        other = total - sum(self.seconds.values())
        self.seconds = dict.fromkeys(self.NAMES, 0.0)
        return ", ".join([*parts, f"other {other:.1f} s"])


def _cpu_run(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(...)`` and the CPU seconds this process spent in it (all threads, DuckDB's
    included): less disturbed than wall time when other processes share the cores."""
    began = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - began


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--city", type=Path, help="an existing bundle (default: generate)")
    ap.add_argument("--preset", default="city-month", help="demo-city preset to generate")
    ap.add_argument("--lookback-days", default="7", help="lookbacks of the comparison runs (b')")
    ap.add_argument("--resend-hours", type=int, default=1000)
    ap.add_argument(
        "--new-hours", type=int, default=3, help="new hours judged one run each (b): the median"
    )
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lantian-bench-platform-"))
    home = work / "home"
    env = dict(os.environ, LANTIAN_HOME=str(home))
    for key in list(env):
        if key.startswith("LANTIAN_") and key not in ("LANTIAN_HOME",):
            env.pop(key)
    os.environ.update({"LANTIAN_HOME": str(home)})
    for key in [k for k in os.environ if k.startswith("LANTIAN_") and k != "LANTIAN_HOME"]:
        os.environ.pop(key)
    try:
        bundle = args.city
        if bundle is None:
            bundle = work / "city"
            cmd = [LANTIAN, "demo-city", str(bundle), "--preset", args.preset, "--parquet"]
            print(f"generating: {' '.join(cmd)}", flush=True)
            subprocess.run(cmd, env=env, check=True, capture_output=True)
        registry_only = work / "registry-bundle"
        shutil.copytree(bundle / "registry", registry_only / "registry")
        (registry_only / "data").mkdir()
        alerts = bundle / "data" / "alerts.csv"
        if alerts.exists():
            shutil.copy(alerts, registry_only / "data" / "alerts.csv")
        subprocess.run(
            [LANTIAN, "import", str(registry_only)], env=env, check=True, capture_output=True
        )
        return _measure(bundle, home, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _leads(settings: Any) -> dict[str, tuple[Any, ...]]:
    """Stored leads: id -> (rule, subject, start, end, status)."""
    from sqlalchemy import select

    from lantian.db.session import session_scope
    from lantian.leads.models import Lead
    from lantian.timeutil import to_cst

    with session_scope(settings) as s:
        rows = s.execute(
            select(Lead.lead_id, Lead.rule, Lead.subject_id, Lead.start, Lead.end, Lead.status)
        ).all()
    return {r[0]: (r[1], r[2], to_cst(r[3]), to_cst(r[4]), r[5]) for r in rows}


def _show(lead: tuple[Any, ...] | None) -> str:
    if lead is None:
        return "(none)"
    rule, subject, start, end, status = lead
    return f"{rule} {subject} {start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M} {status}"


def _measure(bundle: Path, home: Path, args: argparse.Namespace) -> int:
    import duckdb
    from sqlalchemy import func, select

    from lantian.db.session import session_scope
    from lantian.lake import Lake
    from lantian.leads.models import Lead
    from lantian.rules.platform import PlatformParams, detect_lake_once
    from lantian.settings import get_settings

    settings = get_settings()
    lake = Lake(settings.lake_dir)
    phases = Phases()
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    files = {s: _data_file(bundle, s) for s in SOURCES}
    last = max(
        con.sql(
            f"SELECT max(time) FROM "
            f"{'read_parquet' if p.suffix == '.parquet' else 'read_csv_auto'}('{p}')"
        ).fetchone()[0]  # type: ignore[index]
        for p in files.values()
        if p is not None
    )
    cut = last.replace(minute=0, second=0, microsecond=0)
    first = cut - timedelta(hours=args.new_hours)
    print(f"bundle {bundle}: last hour {cut.isoformat()}", flush=True)
    t0 = time.perf_counter()
    for source, path in files.items():
        if path is not None:
            lake.append(source, _read(con, path, f"time < '{first.isoformat()}'"), origin="import")
    print(f"lake written in {time.perf_counter() - t0:.1f} s", flush=True)
    full, full_cpu = _cpu_run(detect_lake_once, settings)
    print(
        f"(a) full run: {full.seconds:.1f} s (CPU {full_cpu:.1f} s), "
        f"{full.enterprises_judged} enterprises, "
        f"{full.leads_found} episodes, {full.leads_new} leads",
        flush=True,
    )
    print(f"    phases: {phases.take(full.seconds)}", flush=True)

    def hour_of(lo: Any, hi: Any | None) -> dict[str, Any]:
        where = f"time >= '{lo.isoformat()}'" + (f" AND time < '{hi.isoformat()}'" if hi else "")
        return {s: _read(con, p, where) for s, p in files.items() if p is not None}

    for source, table in hour_of(first, first + timedelta(hours=1)).items():
        lake.append(source, table, origin="gateway")
    warm, warm_cpu = _cpu_run(detect_lake_once, settings)
    print(
        f"(b0) the hour {first.isoformat()}, the first incremental run of this process (it "
        f"also compiles the SQL of the stored-baseline expressions): {warm.seconds:.1f} s = "
        f"{warm.seconds / full.seconds:.3f} of (a); CPU {warm_cpu / full_cpu:.3f} of (a)'s",
        flush=True,
    )
    print(f"    phases: {phases.take(warm.seconds)}", flush=True)
    runs: list[tuple[float, float, Any]] = []
    for i in range(args.new_hours, 0, -1):
        lo = cut - timedelta(hours=i - 1)
        hour = hour_of(lo, None if i == 1 else lo + timedelta(hours=1))
        for source, table in hour.items():
            lake.append(source, table, origin="gateway")
        inc, inc_cpu = _cpu_run(detect_lake_once, settings)
        runs.append((inc.seconds, inc_cpu, inc.data_from))
        print(
            f"(b) new hour {lo.isoformat()}, stored baselines: {inc.seconds:.1f} s = "
            f"{inc.seconds / full.seconds:.3f} of (a) (target <= {TARGET}); CPU "
            f"{inc_cpu:.1f} s = {inc_cpu / full_cpu:.3f} of (a)'s CPU; {inc.series_changed} "
            f"series changed, {inc.enterprises_judged} enterprises ({inc.enterprises_reused} "
            f"with stored baselines, {inc.baselines_stored} re-read whole) and "
            f"{inc.stations_judged} stations judged, data {inc.data_from} -> {inc.data_to}; "
            f"leads new {inc.leads_new}, extended {inc.leads_extended}, "
            f"withdrawn {inc.leads_withdrawn}",
            flush=True,
        )
        print(f"    phases: {phases.take(inc.seconds)}", flush=True)
    inc_s = statistics.median(r[0] for r in runs)
    inc_cpu = statistics.median(r[1] for r in runs)
    read_from = min(r for r in (warm.data_from, *(x[2] for x in runs)) if r is not None)
    before_check = _leads(settings)
    check = detect_lake_once(settings, force=True)
    after_check = _leads(settings)
    diff = sorted(k for k in after_check if before_check.get(k) != after_check[k])
    # a lead that ends before every hour the incremental runs read was not judged by them:
    # it changed because the full run's statistics (medians over all the data) moved with
    # the new hours, not because an incremental run judged it otherwise
    inside = [k for k in diff if after_check[k][3] >= read_from]
    print(
        f"(b) check: a full re-judgement of the whole lake afterwards ({check.seconds:.1f} s, "
        f"compiled SQL warm) finds {check.leads_found} episodes and changes {len(diff)} stored "
        f"leads (new {check.leads_new}, extended {check.leads_extended}, "
        f"withdrawn {check.leads_withdrawn}); {len(inside)} of them within the hours the "
        f"incremental runs read (from {read_from:%Y-%m-%d %H:%M}): "
        f"{'identical leads' if not inside else 'LEADS DIFFER'}",
        flush=True,
    )
    for k in diff:
        where = "within" if k in inside else "before"
        print(f"    {where}: {_show(before_check.get(k))} -> {_show(after_check[k])}", flush=True)
    changed = len(inside)
    phases.take(check.seconds)
    reread: dict[float, tuple[float, float, Any]] = {}
    for lookback in [float(x) for x in args.lookback_days.split(",") if x]:
        for source, table in hour.items():
            lake.append(source, table, origin="gateway")
        params = PlatformParams(lookback_days=lookback, baseline_refresh_h=0)
        rep, cpu = _cpu_run(detect_lake_once, settings, params=params)
        reread[lookback] = (rep.seconds, cpu, rep)
        print(
            f"(b') for comparison, the same hour judged by re-reading {lookback:g} d of every "
            f"changed enterprise (baseline_refresh_h=0): {rep.seconds:.1f} s = "
            f"{rep.seconds / full.seconds:.3f} of (a); CPU {cpu / full_cpu:.3f} of (a)'s; "
            f"leads new {rep.leads_new}, extended {rep.leads_extended}, "
            f"withdrawn {rep.leads_withdrawn}",
            flush=True,
        )
        print(f"    phases: {phases.take(rep.seconds)}", flush=True)
    cems = files["cems_hourly"]
    assert cems is not None
    outlet = con.sql(
        f"SELECT outlet_id FROM "
        f"{'read_parquet' if cems.suffix == '.parquet' else 'read_csv_auto'}('{cems}') "
        "GROUP BY outlet_id ORDER BY count(*) DESC, outlet_id LIMIT 1"
    ).fetchone()[0]  # type: ignore[index]
    resend_from = con.sql(
        f"SELECT min(time) FROM "
        f"{'read_parquet' if cems.suffix == '.parquet' else 'read_csv_auto'}('{cems}') "
        f"WHERE outlet_id = '{outlet}'"
    ).fetchone()[0]  # type: ignore[index]
    until = resend_from + timedelta(hours=args.resend_hours)
    resend = _read(
        con,
        cems,
        f"outlet_id = '{outlet}' AND time >= '{resend_from.isoformat()}' "
        f"AND time < '{until.isoformat()}'",
    )
    lake.append("cems_hourly", resend, origin="gateway")
    rep = detect_lake_once(settings)
    with session_scope(settings) as s:
        total = s.scalar(select(func.count()).select_from(Lead)) or 0
    rejudged = rep.leads_new + rep.leads_extended + rep.leads_unchanged + rep.leads_withdrawn
    print(
        f"(c) {args.resend_hours} h of outlet {outlet} re-sent ({resend.num_rows} rows): "
        f"{rep.seconds:.1f} s = {rep.seconds / full.seconds:.3f} of (a); "
        f"{rep.enterprises_judged} enterprise(s) judged, {rep.partners_read} CLONED partner "
        f"enterprise(s) read, {rep.leads_found} episodes found, {rejudged} of {total} stored "
        f"leads re-judged (new {rep.leads_new}, extended {rep.leads_extended}, "
        f"withdrawn {rep.leads_withdrawn}, unchanged {rep.leads_unchanged})",
        flush=True,
    )
    print(f"    phases: {phases.take(rep.seconds)}", flush=True)
    print(
        "summary: full {:.1f} s; one new hour {:.1f} s ({:.3f}, median of {}); {}; "
        "resend {:.1f} s".format(
            full.seconds,
            inc_s,
            inc_s / full.seconds,
            len(runs),
            ", ".join(
                f"re-reading {k:g} d {v[0]:.1f} s ({v[0] / full.seconds:.3f})"
                for k, v in reread.items()
            ),
            rep.seconds,
        )
    )
    ratio, ratio_cpu = inc_s / full.seconds, inc_cpu / full_cpu
    print(
        f"target (b)/(a) <= {TARGET} (medians of {len(runs)} new hours): wall {ratio:.3f} "
        f"({'met' if ratio <= TARGET else 'MISSED'}),"
        f" CPU {ratio_cpu:.3f} ({'met' if ratio_cpu <= TARGET else 'MISSED'}); leads "
        f"{'identical' if changed == 0 else 'DIFFERENT'} to a full re-judgement within the hours "
        f"judged; against the "
        f"warm full re-judgement (b check) the wall ratio is {inc_s / check.seconds:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
