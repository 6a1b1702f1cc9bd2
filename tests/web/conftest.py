"""Fixtures of the web tests: a seeded database, an app, logged-in clients per role."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from unittest.mock import patch

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lantian.auth.service import create_user
from lantian.db.session import dispose_engines, session_scope
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Outlet, Station
from lantian.settings import Settings, get_settings
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow.checklists import ensure_checklist_templates

PASSWORD = "Lantian-Test-2024!"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
"""A tiny file with PNG magic bytes (uploads check the magic, not the pixels)."""

ENTERPRISES = [
    # id, name, credit code (province 13), city, district, industry, positive list, lon, lat
    (
        "E1",
        "冀东钢铁有限公司",
        "91130200MA0000001X",
        "唐山市",
        "路北区",
        "steel",
        False,
        118.18,
        39.63,
    ),
    ("E2", "唐山印刷厂", "91130200MA0000002X", "唐山市", "路南区", "printing", True, 118.15, 39.60),
    (
        "E3",
        "石家庄水泥厂",
        "91130100MA0000003X",
        "石家庄市",
        "长安区",
        "cement",
        False,
        114.52,
        38.05,
    ),
]
USERS = [
    ("admin", "admin", {}),
    ("wg", "work_group", {"province": "13"}),
    ("ts_city", "city_officer", {"city": "唐山市"}),
    ("lb_district", "district_officer", {"city": "唐山市", "district": "路北区"}),
    ("ln_district", "district_officer", {"city": "唐山市", "district": "路南区"}),
    ("sjz_city", "city_officer", {"city": "石家庄市"}),
    ("ent1", "enterprise", {"enterprise_id": "E1"}),
    ("ent2", "enterprise", {"enterprise_id": "E2"}),
]


@dataclass
class Seeded:
    """Ids of the seeded objects."""

    settings: Settings
    user_ids: dict[str, int]
    leads: dict[str, list[str]]
    """enterprise id (or station id) → its lead ids."""


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from lantian.auth.passwords import hash_password

    return hash_password(PASSWORD)


def seed(settings: Settings) -> Seeded:
    """Three enterprises in two cities, one station, leads, one user per role.

    The argon2 hash of :data:`PASSWORD` is computed once per session (hashing is slow
    by design).
    """
    t0 = now_cst().replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    leads: dict[str, list[str]] = {}
    user_ids: dict[str, int] = {}
    with session_scope(settings) as db:
        for eid, name, code, city, district, industry, pos, lon, lat in ENTERPRISES:
            db.add(
                Enterprise(
                    enterprise_id=eid,
                    name=name,
                    credit_code=code,
                    industry=industry,
                    city=city,
                    district=district,
                    lon=lon,
                    lat=lat,
                    grade="B" if eid == "E1" else None,
                    positive_list=pos,
                )
            )
        db.flush()
        for eid, *_rest in ENTERPRISES:
            db.add(
                Outlet(
                    outlet_id=f"{eid}-O1",
                    enterprise_id=eid,
                    name="1号排口",
                    mn=f"MN{eid}0001",
                    o2_ref_pct=16.0,
                    limit_so2=35.0,
                )
            )
        db.add(
            Station(
                station_id="S1",
                name="路北站",
                kind="township",
                city="唐山市",
                district="路北区",
                lon=118.2,
                lat=39.65,
            )
        )
        db.flush()
        n = 0
        for eid, *_rest in ENTERPRISES:
            for i in range(3):
                n += 1
                lid = f"L{eid}-{i}"
                start = t0 + timedelta(hours=5 * n)
                db.add(
                    Lead(
                        lead_id=lid,
                        rule="CEMS-EXCEED",
                        family="EXCEEDANCE" if i != 1 else "FLATLINE",
                        enterprise_id=eid,
                        subject_type="outlet",
                        subject_id=f"{eid}-O1",
                        pollutant="a21026",
                        start=start,
                        end=start + timedelta(hours=4),
                        severity=1 + i,
                        score=0.5 + 0.1 * i,
                        summary=f"{eid} 1号排口 SO2 折算浓度超标 {i + 1}",
                        evidence={"observed": 50.0 + i, "threshold": 35.0, "hours": 4},
                        open=False,
                        detected_at=start + timedelta(hours=5),
                        updated_at=start + timedelta(hours=5),
                    )
                )
                leads.setdefault(eid, []).append(lid)
        db.add(
            Lead(
                lead_id="LS1-0",
                rule="AMBIENT-HOTSPOT",
                family="AMBIENT_HOTSPOT",
                enterprise_id=None,
                subject_type="station",
                subject_id="S1",
                pollutant="PM2.5",
                start=t0,
                end=t0 + timedelta(hours=6),
                severity=2,
                score=0.7,
                summary="路北站 PM2.5 显著高于周边站点",
                evidence={"observed": 180.0},
                open=False,
                detected_at=t0 + timedelta(hours=7),
                updated_at=t0 + timedelta(hours=7),
            )
        )
        leads["S1"] = ["LS1-0"]
        ensure_checklist_templates(db)
        with patch("lantian.auth.service.hash_password", lambda _pw: _password_hash()):
            for username, role, scope in USERS:
                u = create_user(
                    db, None, username, PASSWORD, role, display_name=f"{username} 用户", **scope
                )
                user_ids[username] = u.user_id
        # 执法证号 of the officers (on-site records need two certified inspectors)
        from lantian.supervision.inspectors.models import InspectorCertificate

        for n, username in enumerate(("ts_city", "lb_district", "ln_district", "sjz_city"), 1):
            db.add(
                InspectorCertificate(
                    user_id=user_ids[username], cert_no=f"13020019{n:04d}", updated_at=now_cst()
                )
            )
    return Seeded(settings, user_ids, leads)


@pytest.fixture
def seeded(db_settings: Settings) -> Seeded:
    """A seeded database on SQLite and on PostgreSQL."""
    return seed(db_settings)


@pytest.fixture
def seeded_sqlite(lantian_home: object) -> Seeded:
    """A seeded SQLite database (for tests that need not run on both backends)."""
    from lantian.settings import get_settings

    return seed(get_settings())


@pytest.fixture
def app(seeded_sqlite: Seeded) -> FastAPI:
    """The app over the seeded SQLite database."""
    return create_app(seeded_sqlite.settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous client."""
    with TestClient(app) as c:
        yield c


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token rendered into a page."""
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the login form; return the session's CSRF token."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/leads" if not username.startswith("ent") else "/portal").text)


@pytest.fixture
def login_as(app: FastAPI) -> Iterator[Callable[[str], tuple[TestClient, str]]]:
    """Factory: a fresh client logged in as a user, and its CSRF token."""
    clients: list[TestClient] = []

    def make(username: str) -> tuple[TestClient, str]:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        return c, login(c, username)

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def bearer(client: TestClient, username: str) -> dict[str, str]:
    """Authorization header with a token from the OAuth2 password flow."""
    r = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextmanager
def module_home(home: Path) -> Iterator[Settings]:
    """``LANTIAN_HOME`` set to ``home`` for a module's app (settings and engines fresh),
    everything restored after it."""
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        dispose_engines()
        get_settings.cache_clear()
        if old is None:
            os.environ.pop("LANTIAN_HOME", None)
        else:
            os.environ["LANTIAN_HOME"] = old


def keep_home(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test of a module-scoped app reads that app's home (another module may have
    changed ``LANTIAN_HOME`` between them)."""
    monkeypatch.setenv("LANTIAN_HOME", str(app.state.settings.home))
    get_settings.cache_clear()
