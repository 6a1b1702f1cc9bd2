"""Benchmark: every labelled incident of the demo's streamed window becomes a lead in time.

In ONE run this script does what ``lantian demo`` does, without the web server:

1. generates the demo city (the ``default`` preset, ``--enterprises``, ``--days``,
   ``--seed``: the demo's defaults) into a fresh ``LANTIAN_HOME``;
2. splits it ``--live-days`` before its end (:func:`lantian.cli.demo.split_history`),
   imports the history and runs detection once;
3. starts the HJ 212 gateway (loopback, a free port) and the virtual data loggers
   (``lantian simulate --from SPLIT --speed S``), and runs
   :func:`lantian.rules.platform.detect_lake_once` every ``--detect-every`` seconds until
   the loggers are done, the gateway's feeder has written every acknowledged packet to
   the lake and one more run has judged it (at most
   ``--max-seconds``);
4. for every labelled incident overlapping the streamed window (labels without
   ``ignore``), prints the run before which its data had arrived in the lake (a row of its
   outlet, meters or station at or after its last hour), the run that first stored an
   active lead for it, and the lag in runs (0: the first run after its data arrived found
   it, i.e. within one detection interval), and whether ``lantian detect`` on the whole
   bundle finds it.

Figures come from this one run; nothing asserts a timing. Only 127.0.0.1 is used.

Usage::

    .venv/bin/python bench/bench_demo_stream.py                   # demo defaults
    .venv/bin/python bench/bench_demo_stream.py --speed 3600 --detect-every 20
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
LANTIAN = str(VENV_BIN / "lantian")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=40)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--live-days", type=float, default=2.0)
    ap.add_argument("--speed", type=float, default=900.0)
    ap.add_argument("--detect-every", type=float, default=60.0)
    ap.add_argument("--max-seconds", type=float, default=1200.0)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lantian-bench-demo-stream-"))
    home = work / "home"
    for key in [k for k in os.environ if k.startswith("LANTIAN_")]:
        os.environ.pop(key)
    os.environ["LANTIAN_HOME"] = str(home)
    try:
        return _run(work, home, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _subjects(subject_id: str, evidence: dict[str, Any] | None) -> set[str]:
    """A lead's subject and the outlets it names (both outlets of a CLONED pair)."""
    return {subject_id, *str((evidence or {}).get("outlet_ids") or "").split("|")}


def _covered(leads: list[Any], label: dict[str, Any]) -> bool:
    lo, hi = datetime.fromisoformat(label["start"]), datetime.fromisoformat(label["end"])
    for ld in leads:
        named = label["subject_id"] in _subjects(ld.subject_id, ld.evidence)
        if named and ld.family == label["family"] and ld.start < hi and ld.end > lo:
            return True
    return False


def _fed(home: Path, sim_log: Path) -> bool:
    """The gateway's lake feeder has written every packet the loggers got acknowledged."""
    lines = sim_log.read_text(errors="replace").strip().splitlines()
    try:
        acked = int(json.loads(lines[-1])["acked"])
        seq = int(json.loads((home / "wal" / "lake.checkpoint").read_text())["seq"])
    except (IndexError, KeyError, ValueError, OSError):
        return False
    return seq >= acked


def _arrived(con: Any, lake: Any, label: dict[str, Any]) -> bool:
    """A row of the label's series at or after its last hour is in the lake (MISSING: a
    row of any series of its source)."""
    last = datetime.fromisoformat(label["end"]) - timedelta(hours=1)
    kind = label["subject_type"]
    if kind == "outlet":
        source, column, ids = "cems_hourly", "outlet_id", [label["subject_id"]]
    elif kind == "station":
        source, column, ids = "ambient_hourly", "station_id", [label["subject_id"]]
    else:
        source, column, ids = "power", "meter_id", list(label.get("meters") or [])
    if label["family"] == "MISSING":
        ids = []  # its own rows are what is missing: the other series' rows tell the time
    if not ids:
        src = lake.scan_sql(source, last, None)
        row = con.execute(f"SELECT count(*) FROM {src}").fetchone()
        return bool(row and row[0] > 0)
    listing = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    src = lake.scan_sql(source, last, None)
    row = con.execute(f"SELECT count(*) FROM {src} WHERE {column} IN ({listing})").fetchone()
    return bool(row and row[0] > 0)


def _run(work: Path, home: Path, args: argparse.Namespace) -> int:
    import duckdb
    from sqlalchemy import select

    from lantian.cli.demo import _bundle_end, split_history
    from lantian.db.session import session_scope
    from lantian.demo import generate_city, preset
    from lantian.io.importer import import_bundle
    from lantian.lake import Lake
    from lantian.leads.models import Lead
    from lantian.rules.engine import run_rules
    from lantian.rules.inputs import load_bundle
    from lantian.rules.platform import detect_lake_once
    from lantian.settings import get_settings

    city = work / "city"
    cfg = preset("default", enterprises=args.enterprises, days=args.days, seed=args.seed)
    generate_city(city, cfg.validated())
    split = _bundle_end(city) + timedelta(hours=1) - timedelta(days=args.live_days)
    labels = [
        lab
        for lab in (json.loads(line) for line in (city / "labels.jsonl").open(encoding="utf-8"))
        if not lab.get("ignore") and datetime.fromisoformat(lab["end"]) > split
    ]
    bundle_leads = run_rules(load_bundle(city))
    get_settings.cache_clear()
    settings = get_settings()
    split_history(city, work / "history", split)
    import_bundle(work / "history", settings)
    first = detect_lake_once(settings)
    print(f"history before {split.isoformat()} imported; first run: {first.leads_new} leads")
    lake = Lake(settings.lake_dir)
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    port = _free_port()
    env = dict(os.environ, LANTIAN_GATEWAY_PORT=str(port), LANTIAN_GATEWAY_METRICS_PORT="-1")
    ready = home / "gateway.ready.json"
    logs = open(work / "gateway.log", "wb")  # noqa: SIM115 - closed below
    sim_log = open(work / "simulate.log", "wb")  # noqa: SIM115 - closed below
    gw = subprocess.Popen(
        [LANTIAN, "gateway", "--host", "127.0.0.1", "--ready-file", str(ready)],
        env=env,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    sim: subprocess.Popen[bytes] | None = None
    arrived_at: dict[str, int] = {}
    found_at: dict[str, int] = {}
    began = time.monotonic()
    try:
        while not ready.exists():
            if gw.poll() is not None or time.monotonic() - began > 120:
                raise SystemExit("the gateway did not start (see its log)")
            time.sleep(0.5)
        sim = subprocess.Popen(
            [
                LANTIAN,
                "simulate",
                str(city),
                "--gateway",
                f"127.0.0.1:{port}",
                "--from",
                split.isoformat(),
                "--speed",
                str(args.speed),
            ],
            env=env,
            stdout=sim_log,
            stderr=subprocess.STDOUT,
        )
        run = 0
        after_done = 0
        while time.monotonic() - began < args.max_seconds and after_done < 2:
            tick = time.monotonic()
            if sim.poll() is not None and _fed(home, work / "simulate.log"):
                after_done += 1  # every acknowledged packet is in the lake: run once more
            run += 1
            for lab in labels:
                if lab["label_id"] not in arrived_at and _arrived(con, lake, lab):
                    arrived_at[lab["label_id"]] = run
            rep = detect_lake_once(settings)
            with session_scope(settings) as s:
                leads = list(s.scalars(select(Lead).where(Lead.status == "active")))
                for lab in labels:
                    if lab["label_id"] not in found_at and _covered(leads, lab):
                        found_at[lab["label_id"]] = run
            print(
                f"run {run} at {time.monotonic() - began:.0f} s: {rep.status} "
                f"{rep.mode} {rep.seconds:.1f} s, data to {rep.data_to}, "
                f"leads new {rep.leads_new} extended {rep.leads_extended} "
                f"withdrawn {rep.leads_withdrawn} {rep.message}",
                flush=True,
            )
            time.sleep(max(0.0, args.detect_every - (time.monotonic() - tick)))
    finally:
        for proc in (sim, gw):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        logs.close()
        sim_log.close()
    tail = (work / "simulate.log").read_text(errors="replace").strip().splitlines()[-1:]
    print(f"loggers: {tail[0] if tail else '(no output)'}")
    with session_scope(settings) as s:
        final = list(s.scalars(select(Lead).where(Lead.status == "active")))
        kept = {lab["label_id"] for lab in labels if _covered(final, lab)}
    print(f"labelled incidents overlapping the streamed window: {len(labels)}")
    in_time = 0
    for lab in labels:
        lid = lab["label_id"]
        arrived, found = arrived_at.get(lid), found_at.get(lid)
        lag = None if arrived is None or found is None else max(0, found - arrived)
        in_time += lag == 0
        lo, hi = datetime.fromisoformat(lab["start"]), datetime.fromisoformat(lab["end"])
        by_bundle = any(
            lab["subject_id"] in _subjects(ld.subject_id, ld.evidence)
            and ld.family == lab["family"]
            and datetime.fromisoformat(ld.start) < hi
            and datetime.fromisoformat(ld.end) > lo
            for ld in bundle_leads
        )
        print(
            f"  {lid} {lab['family']:<16} {lab['subject_id']:<10} {lab['start']}: "
            f"data before run {arrived}, lead after run {found}, lag {lag} run(s), "
            f"{'active' if lid in kept else 'NOT active'} at the end; "
            f"lantian detect {'finds' if by_bundle else 'misses'} it"
        )
    print(
        f"summary: {sum(1 for lab in labels if lab['label_id'] in found_at)} of {len(labels)} "
        f"labelled incidents became leads ({len(kept)} active at the end), {in_time} "
        "within one detection interval after "
        f"their data arrived (detect every {args.detect_every:g} s, speed {args.speed:g}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
