"""Daily digest for a province (issue #16 target: 20,000 enterprises, 2,000 users <= 60 s).

Generates, in a temporary ``LANTIAN_HOME`` on SQLite, a province register of
``--enterprises`` enterprises (one outlet each) in 11 cities of 10 districts, two days of
hourly CEMS data (SO2, NOx, particulate matter and flow, compacted as the feeder leaves
the lake), ``--stations`` ambient stations with townships and a day of their hourly
data, new leads of the day, overdue cases, a heavy-pollution alert with measures, and
``--users`` accounts (work groups, city and district officers, enterprise accounts) with
e-mail preferences. Then it measures, in one run:

* (a) ``compute_day``: the one pass over the lake (loads per enterprise and day, station
  PM means, township composite index and ranking);
* (b) ``send_digests`` for every user: per distinct scope one digest, then one
  notification per user and channel stored in the outbox, audited, committed.

Wall-clock and CPU seconds of this process are printed; on a shared machine the wall
clock includes waiting for a core (say so with the figures).

Run: ``.venv/bin/python bench/bench_digest.py [--enterprises 20000] [--users 2000]``
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from typing import Any

TARGET_S = 60.0
CITIES = 11
DISTRICTS = 10
DAY = date(2026, 11, 30)


def _fill(n_ent: int, n_users: int, n_stations: int, seed: int) -> dict[str, int]:
    import pyarrow as pa
    from sqlalchemy import insert, select

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.lake import Lake
    from lantian.leads.models import Lead
    from lantian.notify.models import NotificationPreference
    from lantian.registry.models import Alert, Enterprise, Line, Measure, Outlet, Station
    from lantian.settings import get_settings
    from lantian.timeutil import CST
    from lantian.workflow.models import Case

    rng = random.Random(seed)
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=CST)
    city = [f"{c:02d}市" for c in range(CITIES)]

    def region(i: int) -> tuple[str, str]:
        c = i % CITIES
        return city[c], f"{city[c]}{(i // CITIES) % DISTRICTS}区"

    ents, outlets, lines, measures = [], [], [], []
    for i in range(n_ent):
        c, d = region(i)
        eid = f"E{i:05d}"
        ents.append(
            {
                "enterprise_id": eid,
                "name": f"企业{i:05d}有限公司",
                "credit_code": f"9113{i % CITIES:02d}00MA{i:07d}X"[:18],
                "industry": "steel",
                "city": c,
                "district": d,
                "positive_list": False,
                "grade": "B",
            }
        )
        outlets.append(
            {"outlet_id": f"P{i:05d}", "enterprise_id": eid, "name": "1号排口", "mn": f"MN{i:08d}"}
        )
        if i % 5 == 0:
            lines.append({"line_id": f"LN{i:05d}", "enterprise_id": eid, "name": "1号线"})
            measures.append(
                {
                    "enterprise_id": eid,
                    "line_id": f"LN{i:05d}",
                    "level": "orange",
                    "action": "limit",
                    "limit_pct": 50.0,
                }
            )
    stations = []
    for k in range(n_stations):
        c, d = region(k)
        stations.append(
            {
                "station_id": f"S{k:04d}",
                "name": f"站点{k:04d}",
                "kind": "township",
                "city": c,
                "district": d,
                "township": f"{d}{k % 7}镇",
            }
        )
    leads, cases = [], []
    for j in range(n_ent // 4):
        i = rng.randrange(n_ent)
        c, d = region(i)
        t = start + timedelta(hours=rng.randrange(20))
        fam = rng.choice(["EXCEEDANCE", "FLATLINE", "PINNED", "MISSING", "EMERGENCY_VIOLATION"])
        leads.append(
            {
                "lead_id": f"L{j:06d}",
                "rule": "CEMS-EXCEED",
                "family": fam,
                "enterprise_id": f"E{i:05d}",
                "subject_type": "outlet",
                "subject_id": f"P{i:05d}",
                "pollutant": "a21026",
                "start": t,
                "end": t + timedelta(hours=3),
                "severity": 1 + j % 3,
                "score": 0.5,
                "summary": f"企业{i:05d} SO2 折算浓度超标",
                "evidence": {},
                "open": False,
                "detected_at": t + timedelta(hours=4),
                "updated_at": t + timedelta(hours=4),
                "status": "active",
            }
        )
        if j % 5 == 0:
            cases.append(
                {
                    "status": "dispatched",
                    "title": f"企业{i:05d} 超标",
                    "enterprise_id": f"E{i:05d}",
                    "province": "13",
                    "city": c,
                    "district": d,
                    "rule": "CEMS-EXCEED",
                    "family": "EXCEEDANCE",
                    "subject_type": "outlet",
                    "subject_id": f"P{i:05d}",
                    "severity": 2,
                    "created_at": start - timedelta(days=5),
                    "updated_at": start - timedelta(days=5),
                    "deadline": start - timedelta(days=rng.randrange(3)),
                    "escalation_level": 0,
                    "reopen_count": 0,
                    "kind": "lead",
                }
            )
    users = [("admin", "admin", {})]
    for w in range(20):
        users.append(
            (f"wg{w}", "work_group", {"province": "13"} if w % 2 else {"city": city[w % CITIES]})
        )
    while len(users) < n_users:
        k = len(users)
        c, d = region(k)
        if k % 10 == 0:
            users.append((f"ent{k}", "enterprise", {"enterprise_id": f"E{k % n_ent:05d}"}))
        elif k % 4 == 0:
            users.append((f"city{k}", "city_officer", {"city": c}))
        else:
            users.append((f"dist{k}", "district_officer", {"city": c, "district": d}))
    with session_scope() as s:
        s.execute(insert(Enterprise), ents)
        s.execute(insert(Line), lines)
        s.execute(insert(Outlet), outlets)
        s.execute(insert(Measure), measures)
        s.execute(insert(Station), stations)
        s.execute(insert(Lead), leads)
        if cases:
            s.execute(insert(Case), cases)
        s.add(Alert(alert_id="A1", city=city[0], level="orange", start=start, end=None))
        now = datetime.now(CST)
        rows = [
            {
                "username": u,
                "display_name": u,
                "role": r,
                "password_hash": "x",
                "active": True,
                "created_at": now,
                "password_changed_at": now,
                **kw,
            }
            for u, r, kw in users
        ]
        s.execute(insert(User), rows)
        ids = dict(s.execute(select(User.username, User.user_id)).all())
        s.execute(
            insert(NotificationPreference),
            [
                {
                    "user_id": ids[u],
                    "email": f"{u}@demo.invalid",
                    "channels": ["email"],
                    "events_off": [],
                    "digest": True,
                    "digest_hour": 7,
                }
                for u, _r, _kw in users
            ],
        )
    lake = Lake(get_settings().lake_dir)
    hours = [start - timedelta(days=1) + timedelta(hours=h) for h in range(48)]
    batch = 2000
    for lo in range(0, n_ent, batch):
        ids_ = [f"P{i:05d}" for i in range(lo, min(n_ent, lo + batch))]
        cols: dict[str, list[Any]] = {
            "outlet_id": [],
            "time": [],
            "pollutant": [],
            "value": [],
            "flag": [],
        }
        for oid in ids_:
            base = rng.uniform(10, 80)
            for h, t in enumerate(hours):
                day2 = h >= 24
                for pol, v in (
                    ("a00000", 80_000.0),
                    ("a21026", base * (1.6 if day2 and oid.endswith("7") else 1.0)),
                    ("a21002", base * 2),
                    ("a34013", base / 5),
                ):
                    cols["outlet_id"].append(oid)
                    cols["time"].append(t)
                    cols["pollutant"].append(pol)
                    cols["value"].append(v)
                    cols["flag"].append("N")
        lake.append("cems_hourly", pa.table(cols), origin="import", assume_unique=True)
    amb: dict[str, list[Any]] = {"station_id": [], "time": [], "pollutant": [], "value": []}
    for st in stations:
        lvl = rng.uniform(0.5, 2.0)
        for h in range(24):
            for pol, v in (
                ("PM2.5", 60),
                ("PM10", 100),
                ("SO2", 15),
                ("NO2", 40),
                ("CO", 1.0),
                ("O3", 90),
            ):
                amb["station_id"].append(st["station_id"])
                amb["time"].append(start + timedelta(hours=h))
                amb["pollutant"].append(pol)
                amb["value"].append(v * lvl)
    lake.append("ambient_hourly", pa.table(amb), origin="import")
    lake.compact(grace_seconds=0)  # as the feeder leaves it: one file per day partition
    return {"users": len(users), "leads": len(leads), "cases": len(cases), "outlets": n_ent}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--users", type=int, default=2_000)
    ap.add_argument("--stations", type=int, default=400)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lantian-bench-digest-") as home:
        os.environ["LANTIAN_HOME"] = home
        os.environ.pop("LANTIAN_DATABASE_URL", None)
        from sqlalchemy import func, select

        from lantian.auth.models import User
        from lantian.db.session import session_scope
        from lantian.notify.models import Notification
        from lantian.reports.digest import compute_day, send_digests
        from lantian.settings import get_settings

        get_settings.cache_clear()
        get_settings().ensure_home()
        t0 = time.perf_counter()
        sizes = _fill(args.enterprises, args.users, args.stations, args.seed)
        print(f"generated {sizes} in {time.perf_counter() - t0:.1f} s (not timed)")
        with session_scope() as s:
            w0, c0 = time.perf_counter(), time.process_time()
            data = compute_day(s, DAY)
            wa, ca = time.perf_counter() - w0, time.process_time() - c0
            flagged = sum(
                1
                for per in data.loads.values()
                for kg, _h, kg0, _h0 in per.values()
                if kg0 > 0 and abs(kg - kg0) / kg0 * 100 > data.change_pct
            )
            print(
                f"(a) compute_day: {wa:.1f} s wall, {ca:.1f} s CPU; {len(data.loads)} enterprises "
                f"with loads, {flagged} load changes flagged, {len(data.townships)} townships"
            )
        with session_scope() as s:
            users = list(s.scalars(select(User).order_by(User.user_id)))
            w0, c0 = time.perf_counter(), time.process_time()
            counts = send_digests(s, DAY, users)
            s.commit()
            wb, cb = time.perf_counter() - w0, time.process_time() - c0
            stored = s.scalar(select(func.count()).select_from(Notification))
        print(
            f"(b) send_digests for {len(users)} users: {wb:.1f} s wall, {cb:.1f} s CPU; "
            f"{counts['scopes']} distinct scopes, {stored} notifications stored"
        )
        verdict = "met" if wb <= TARGET_S else "NOT met"
        print(
            f"digest for a province ({args.enterprises} enterprises, {len(users)} users): "
            f"{wb:.1f} s (target <= {TARGET_S:.0f} s: {verdict}); measured on a shared machine"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
