"""Lead inbox (``lantian.workflow.queries.list_leads``) under concurrency on PostgreSQL.

Target (issue "Closed-loop case workflow and web platform"): 100,000 leads and 5,000
enterprises, p95 ≤ 200 ms for the inbox query under 20 concurrent users.

Builds a synthetic region in a fresh PostgreSQL schema (dropped at the end), then runs a
mix of inbox queries (default sort, filters, deeper pages; admin, work group, city and
district officers, enterprises) from 20 threads with no think time, i.e. harder than 20
people clicking. Prints latency percentiles, the single-user baseline and the query plan.

    LANTIAN_TEST_POSTGRES_URL=postgresql+psycopg://lantian:lantian@127.0.0.1:5432/lantian_test \\
        .venv/bin/python bench/bench_inbox.py [--leads 100000] [--enterprises 5000] \\
        [--users 20] [--queries 40]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth.models import User
from lantian.db.session import make_engine, migrate
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise
from lantian.registry.vocab import LEAD_FAMILIES
from lantian.timeutil import CST
from lantian.workflow.models import Case, CaseLead
from lantian.workflow.queries import LeadFilters, list_leads

STATUSES = (
    "dispatched",
    "checking",
    "confirmed",
    "supervision_order",
    "rectification",
    "review",
    "closed",
    "false_positive",
    "immediate_fix",
)


def build(session: Session, n_ent: int, n_leads: int, rng: random.Random) -> None:
    cities = [f"城市{i:02d}" for i in range(10)]
    ents = []
    for i in range(n_ent):
        city = cities[i % 10]
        ents.append(
            {
                "enterprise_id": f"E{i:05d}",
                "name": f"{city}企业{i:05d}有限公司",
                "credit_code": f"9113{i:014d}",
                "industry": "steel",
                "city": city,
                "district": f"{city}区{(i // 10) % 5}",
                "township": None,
                "lon": None,
                "lat": None,
                "grade": rng.choice(["A", "B", "C", None]),
                "positive_list": rng.random() < 0.2,
            }
        )
    session.execute(insert(Enterprise), ents)
    now = datetime(2024, 6, 30, tzinfo=CST)
    pw = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$x"  # never used to log in here
    users = [
        {
            "username": "admin",
            "role": "admin",
            "city": None,
            "district": None,
            "enterprise_id": None,
        },
        {
            "username": "wg",
            "role": "work_group",
            "city": None,
            "district": None,
            "enterprise_id": None,
        },
        {
            "username": "city",
            "role": "city_officer",
            "city": cities[0],
            "district": None,
            "enterprise_id": None,
        },
        {
            "username": "dist",
            "role": "district_officer",
            "city": cities[0],
            "district": f"{cities[0]}区0",
            "enterprise_id": None,
        },
        {
            "username": "ent",
            "role": "enterprise",
            "city": None,
            "district": None,
            "enterprise_id": "E00000",
        },
    ]
    session.execute(
        insert(User),
        [
            {
                **u,
                "display_name": u["username"],
                "password_hash": pw,
                "active": True,
                "created_at": now,
                "password_changed_at": now,
                "province": None,
            }
            for u in users
        ],
    )
    chunk: list[dict[str, Any]] = []
    case_rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for i in range(n_leads):
        ent = ents[rng.randrange(n_ent)]
        start = now - timedelta(hours=rng.randrange(24 * 180))
        lid = f"L{i:07d}"
        outcome = None
        if rng.random() < 0.2:  # a fifth of the leads are in a case
            status = rng.choice(STATUSES)
            case_id = len(case_rows) + 1
            case_rows.append(
                {
                    "case_id": case_id,
                    "status": status,
                    "title": "t",
                    "enterprise_id": ent["enterprise_id"],
                    "province": "13",
                    "city": ent["city"],
                    "district": ent["district"],
                    "rule": "R",
                    "family": "EXCEEDANCE",
                    "subject_type": "outlet",
                    "subject_id": "P",
                    "pollutant": None,
                    "severity": 2,
                    "created_at": start,
                    "updated_at": start,
                    "escalation_level": 0,
                    "reopen_count": 0,
                    "deadline": start + timedelta(days=7),
                }
            )
            links.append({"lead_id": lid, "case_id": case_id, "linked_at": start})
            outcome = {"closed": "confirmed", "false_positive": "false_positive"}.get(status)
        chunk.append(
            {
                "lead_id": lid,
                "rule": f"RULE-{rng.randrange(20):02d}",
                "family": rng.choice(LEAD_FAMILIES),
                "enterprise_id": ent["enterprise_id"],
                "subject_type": "outlet",
                "subject_id": f"P{rng.randrange(3 * n_ent)}",
                "pollutant": "a21026",
                "start": start,
                "end": start + timedelta(hours=3),
                "severity": rng.choice((1, 2, 2, 3)),
                "score": rng.random(),
                "summary": "二氧化硫折算浓度超标",
                "evidence": {},
                "open": False,
                "detected_at": start + timedelta(hours=4),
                "updated_at": start + timedelta(hours=4),
                "outcome": outcome,
                "outcome_reason": None,
            }
        )
        if len(chunk) == 10_000:
            session.execute(insert(Lead), chunk)
            chunk = []
    if chunk:
        session.execute(insert(Lead), chunk)
    session.execute(insert(Case), case_rows)
    session.execute(insert(CaseLead), links)
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


def workload(rng: random.Random) -> LeadFilters:
    r = rng.random()
    if r < 0.4:
        return LeadFilters()
    if r < 0.55:
        return LeadFilters(status="new", severity=[2, 3])
    if r < 0.7:
        return LeadFilters(family=rng.choice(LEAD_FAMILIES), sort="-severity")
    if r < 0.8:
        return LeadFilters(date_from=datetime(2024, 6, 1, tzinfo=CST), positive_list=True)
    if r < 0.85:
        return LeadFilters(offset=rng.randrange(0, 20) * 50)
    if r < 0.93:  # text search (q): an enterprise name or a lead id fragment
        return LeadFilters(q=f"企业{rng.randrange(5000):05d}")
    return LeadFilters(status=["dispatched", "checking"], sort="start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--leads", type=int, default=100_000)
    ap.add_argument("--enterprises", type=int, default=5_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--queries", type=int, default=40, help="queries per concurrent user")
    ap.add_argument("--schema", default=None, help="reuse/keep this schema (not dropped)")
    ap.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean think time between one user's queries [s] in the second phase",
    )
    args = ap.parse_args()
    base = os.environ.get("LANTIAN_TEST_POSTGRES_URL")
    if not base:
        print("set LANTIAN_TEST_POSTGRES_URL", file=sys.stderr)
        return 2
    schema = args.schema or f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        if not exists:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        migrate(engine)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        t0 = time.perf_counter()
        if not exists:
            with factory() as s:
                build(s, args.enterprises, args.leads, random.Random(1))
            print(
                f"built {args.leads} leads, {args.enterprises} enterprises in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        with factory() as s:
            users = {u.username: u for u in s.query(User).all()}
            s.expunge_all()
            for name in users:
                page = list_leads(s, users[name], LeadFilters())
                print(f"  {name:6s}: total {page.total:6d} rows {len(page.rows)}")

        def one(s: Session, user: User, f: LeadFilters) -> float:
            t = time.perf_counter()
            list_leads(s, user, f)
            return (time.perf_counter() - t) * 1000

        # single-user baseline
        rng = random.Random(2)
        base_ms: list[float] = []
        with factory() as s:
            for _ in range(60):
                base_ms.append(one(s, users[rng.choice(list(users))], workload(rng)))

        def pct(xs: list[float], p: float) -> float:
            xs = sorted(xs)
            return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]

        print(
            f"single user : n={len(base_ms)} p50 {statistics.median(base_ms):.1f} ms "
            f"p95 {pct(base_ms, 95):.1f} ms"
        )
        for label, make in (
            ("q=企业NNNNN (name)", lambda: LeadFilters(q=f"企业{rng.randrange(5000):05d}")),
            ("q=超标 (summary, all)", lambda: LeadFilters(q="超标")),
            ("q + page 2", lambda: LeadFilters(q="超标", offset=50)),
        ):
            qs: list[float] = []
            with factory() as s:
                for _ in range(15):
                    qs.append(one(s, users[rng.choice(list(users))], make()))
            print(
                f"  single user, {label}: p50 {statistics.median(qs):.1f} ms "
                f"p95 {pct(qs, 95):.1f} ms"
            )

        def backend_cpu_s(pid: int) -> float:
            """CPU seconds (user + system) of a PostgreSQL backend on this machine."""
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                return float("nan")
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        def phase(think: float) -> None:
            lat: list[float] = []
            server_cpu: list[float] = []
            lock = threading.Lock()

            def worker(k: int) -> None:
                r = random.Random(100 + k)
                mine: list[float] = []
                with factory() as s:
                    pid = int(s.scalar(text("SELECT pg_backend_pid()")) or 0)
                    c0 = backend_cpu_s(pid)
                    for _ in range(args.queries):
                        if think:
                            time.sleep(r.expovariate(1 / think))
                        mine.append(one(s, users[r.choice(list(users))], workload(r)))
                    used = backend_cpu_s(pid) - c0
                with lock:
                    lat.extend(mine)
                    server_cpu.append(used)

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.users)]
            p0 = time.process_time()
            t1 = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - t1
            client_ms = (time.process_time() - p0) / len(lat) * 1000
            server_ms = sum(server_cpu) / len(lat) * 1000
            label = f"think {think:.1f} s" if think else "no think time"
            print(
                f"{args.users} users, {label}: n={len(lat)} p50 {pct(lat, 50):.1f} ms "
                f"p95 {pct(lat, 95):.1f} ms p99 {pct(lat, 99):.1f} ms max {max(lat):.1f} ms; "
                f"{len(lat) / wall:.0f} queries/s; target p95 <= 200 ms: "
                f"{'MET' if pct(lat, 95) <= 200 else 'NOT MET'}"
            )
            print(
                f"    CPU per query: client (Python) {client_ms:.1f} ms + PostgreSQL "
                f"{server_ms:.1f} ms = {client_ms + server_ms:.1f} ms "
                f"(2 idle cores would serve about {2000 / (client_ms + server_ms):.0f} queries/s)"
            )

        phase(0.0)
        if args.think > 0:
            phase(args.think)
        load = os.getloadavg()
        print(
            f"machine load average (1/5/15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
            f"on {os.cpu_count()} cores (shared)"
        )
    finally:
        engine.dispose()
        if not args.schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
