"""Public disclosure page and API (信息公开, issue #16 item 7): key dischargers' latest
hourly online data with limits, closed cases' outcomes with the configured fields only, no
personal data, no open case, no enterprise without a CEMS outlet; rate-limited (one seeded
app)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import PASSWORD, _password_hash, keep_home, module_home, seed

from lantian.auth.service import create_user
from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.registry.models import Enterprise
from lantian.reports import disclosure as d
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.web.security import RateLimiter
from lantian.workflow.models import Case

OFFICER = "欧阳铁柱"
"""Display name of the officer who handled every case: must never be published."""
OFFICER_LOGIN = "ouyang_tiezhu"
PHONE = "13912345678"
OPEN_TITLE = "正在核查的问题"
NON_KEY = "无排口小作坊"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("disclosure-home")) as settings:
        seed(settings)
        now = now_cst()
        hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        with session_scope(settings) as db:
            with patch("lantian.auth.service.hash_password", lambda _pw: _password_hash()):
                officer = create_user(
                    db,
                    None,
                    OFFICER_LOGIN,
                    PASSWORD,
                    "district_officer",
                    display_name=OFFICER,
                    city="唐山市",
                    district="路北区",
                )
            db.add(
                Enterprise(
                    enterprise_id="E9",
                    name=NON_KEY,
                    credit_code="91130200MA0000009X",
                    industry="printing",
                    city="唐山市",
                    district="路北区",
                )
            )
            db.flush()
            cases = [
                # (enterprise, status, fix_path, family, closed days ago, title)
                ("E1", "closed", "immediate_fix", "EXCEEDANCE", 2, "E1 超标已改"),
                ("E2", "closed", "supervision_order", "FLATLINE", 10, "E2 恒值已整改"),
                ("E1", "rectification", "supervision_order", "EXCEEDANCE", None, OPEN_TITLE),
                ("E1", "false_positive", None, "MISSING", 1, "E1 误报"),
                ("E9", "closed", "immediate_fix", "EXCEEDANCE", 3, "E9 已改"),
                ("E2", "closed", "immediate_fix", "EXCEEDANCE", 400, "E2 很久以前"),
            ]
            for eid, status, fix, family, ago, title in cases:
                ent = db.get(Enterprise, eid)
                assert ent is not None
                closed = now - timedelta(days=ago) if ago is not None else None
                db.add(
                    Case(
                        status=status,
                        title=title,
                        enterprise_id=eid,
                        city=ent.city,
                        district=ent.district,
                        rule="CEMS-EXCEED",
                        family=family,
                        subject_type="outlet",
                        subject_id=f"{eid}-O1",
                        pollutant="a21026",
                        severity=2,
                        created_at=now - timedelta(days=20),
                        created_by=officer.user_id,
                        updated_at=now,
                        assignee_id=officer.user_id,
                        fix_path=fix,
                        finding=f"{OFFICER} 现场核查 {PHONE}",
                        closed_at=closed,
                        closed_by=officer.user_id if closed else None,
                    )
                )
        # E1: SO2 over its 35 mg/m³ limit in the latest hour; E2: latest hour flagged 维护 (M)
        times = [hour - timedelta(hours=1), hour]
        table = pa.table(
            {
                "outlet_id": ["E1-O1", "E1-O1", "E2-O1", "E2-O1"],
                "time": times + times,
                "pollutant": ["a21026"] * 4,
                "value": [20.0, 30.0, 10.0, 90.0],
                "zs_value": [25.0, 40.0, 12.0, 95.0],
                "flag": ["N", "N", "N", "M"],
            }
        )
        Lake(settings.lake_dir).append("cems_hourly", table, origin="import")
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


@pytest.fixture(scope="module")
def anon(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


PERSONAL = (OFFICER, OFFICER_LOGIN, PHONE, "lb_district", "admin", "用户")


def test_online_api_publishes_latest_hour_with_limit_and_validity(anon: TestClient) -> None:
    r = anon.get("/api/public/online")
    assert r.status_code == 200, r.text
    body = r.json()
    by_ent = {i["enterprise_id"]: i for i in body["items"]}
    assert set(by_ent) == {"E1", "E2"} and "E9" not in r.text  # E3 has no data in the lake
    e1, e2 = by_ent["E1"], by_ent["E2"]
    assert set(e1) == set(body["fields"])
    assert e1["zs_value"] == 40.0 and e1["limit"] == 35.0 and e1["exceeds"] is True
    assert e1["valid"] is True and e1["hour"].endswith(":00:00+08:00")
    assert e1["pollutant_name"] == "二氧化硫" and e1["unit"] == "mg/m³"
    assert e2["zs_value"] == 95.0 and e2["valid"] is False and e2["exceeds"] is None
    assert e2["flag"] == "M" and e2["flag_name"] == "维护(M)"
    one = anon.get("/api/public/online", params={"enterprise_id": "E1"}).json()
    assert [i["enterprise_id"] for i in one["items"]] == ["E1"]
    first = anon.get("/api/public/online", params={"limit": 1}).json()["items"]
    second = anon.get("/api/public/online", params={"limit": 1, "offset": 1}).json()["items"]
    assert [i["enterprise_id"] for i in first + second] == ["E1", "E2"]  # by name
    assert anon.get("/api/public/online", params={"enterprise_id": "E9"}).status_code == 404
    assert anon.get("/api/public/online", params={"enterprise_id": "nope"}).status_code == 404
    for needle in PERSONAL:
        assert needle not in r.text


def test_cases_api_lists_closed_cases_with_configured_fields_only(anon: TestClient) -> None:
    r = anon.get("/api/public/cases")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fields"] == [
        "enterprise_name",
        "district",
        "problem_type",
        "closed_date",
        "outcome",
    ]
    rows = [(i["enterprise_name"], i["problem_type"], i["outcome"]) for i in body["items"]]
    assert rows == [
        ("冀东钢铁有限公司", "超标排放", "立行立改"),
        ("唐山印刷厂", "数据恒值", "整改完成"),
    ]
    assert all(set(i) == set(body["fields"]) for i in body["items"])
    assert body["items"][1]["district"] == "路南区"
    for needle in (*PERSONAL, OPEN_TITLE, NON_KEY, "误报", "case_id", "finding"):
        assert needle not in r.text


def test_page_is_anonymous_chinese_and_links_the_apologies(anon: TestClient) -> None:
    page = anon.get("/public")
    assert page.status_code == 200, page.text
    assert 'href="/public/apologies"' in page.text
    assert 'href="/public"' in anon.get("/public/apologies").text
    text = html_text(page.text)
    assert "信息公开" in text and "超标" in text and "无效数据" in text and "维护(M)" in text
    assert "限值 35.00 mg/m³" in text and "立行立改" in text and "整改完成" in text
    for needle in (*PERSONAL, OPEN_TITLE, NON_KEY):
        assert needle not in text
    assert_clean_zh(text, allow=("Lantian",), where="/public")


def test_configured_fields_are_what_is_published(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(
        'case_fields = ["city", "outcome"]\ncase_days = 5\nmax_cases = 10\n'
        "online_lookback_hours = 24\n",
        encoding="utf-8",
    )
    config = d.load_config(path)
    with app.state.session_factory() as db:
        items = d.closed_cases(db, config)
    assert items == [{"city": "唐山市", "outcome": "立行立改"}]


REST = "\ncase_days = 9\nmax_cases = 9\nonline_lookback_hours = 9\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('case_fields = ["enterprise_name", "assignee"]' + REST, "case_fields[1] = 'assignee'"),
        ('case_fields = ["outcome", "outcome"]' + REST, "case_fields[1] = 'outcome': listed"),
        ("case_fields = []" + REST, "case_fields: a non-empty list"),
        ('case_fields = ["outcome"]\nofficer_names = true' + REST, "officer_names: unknown key"),
        ('case_fields = ["outcome"]\ncase_days = 0\nmax_cases = 9', "case_days: an integer"),
        ('case_fields = ["outcome"]\ncase_days = 9\nmax_cases = 9', "online_lookback_hours:"),
        ("case_fields = [", "end of document"),
    ],
)
def test_config_errors_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(d.DisclosureConfigError) as err:
        d.load_config(path)
    assert message in str(err.value)
    assert str(err.value).startswith(f"LANTIAN_DISCLOSURE_CONFIG={path}: ")


def test_shipped_config_loads() -> None:
    config = d.load_config(None)  # LANTIAN_DISCLOSURE_CONFIG unset: the shipped file
    assert config.case_fields == (
        "enterprise_name",
        "district",
        "problem_type",
        "closed_date",
        "outcome",
    )


@pytest.mark.parametrize(
    ("value", "limit", "flag", "expected"),
    [
        (40.0, 35.0, "N", True),
        (35.0, 35.0, "N", False),
        (40.0, 35.0, None, True),
        (40.0, 35.0, "M", None),
        (40.0, 35.0, "D", None),
        (40.0, None, "N", None),
        (None, 35.0, "N", None),
    ],
)
def test_exceeds_limit(
    value: float | None, limit: float | None, flag: str | None, expected: bool | None
) -> None:
    assert d.exceeds_limit(value, limit, flag) is expected


def test_outcome_code() -> None:
    assert [d.outcome_code(x) for x in ("immediate_fix", "supervision_order", None)] == [
        "immediate_fix",
        "rectified",
        "closed",
    ]


def test_public_disclosure_routes_are_rate_limited(app: Any, anon: TestClient) -> None:
    old = getattr(app.state, "public_limiter", None)
    app.state.public_limiter = RateLimiter(limit=2, window_s=60.0)
    try:
        assert anon.get("/api/public/cases").status_code == 200
        assert anon.get("/api/public/online").status_code == 200
        r = anon.get("/public")
        assert r.status_code == 429 and r.headers["retry-after"] == "60"
        assert anon.get("/api/public/online").status_code == 429
        assert anon.get("/api/public/cases").status_code == 429
    finally:
        app.state.public_limiter = old


def test_page_pages_over_key_dischargers(anon: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from lantian.web.pages import public

    monkeypatch.setattr(public, "PAGE_ENTERPRISES", 1)
    text = anon.get("/public", params={"page": 2}).text
    assert "唐山印刷厂" in html_text(text.split("已销号问题处理结果")[0])
    assert "冀东钢铁有限公司" not in html_text(text.split("已销号问题处理结果")[0])
    assert 'href="/public?page=1"' in text and 'href="/public?page=3"' in text
    last = anon.get("/public", params={"page": 3}).text  # E3: a key discharger, no data
    assert 'href="/public?page=4"' not in last and "暂无公开的在线监测数据" in last
