"""Browser tests (Playwright + Debian's Chromium) against a real uvicorn server.

(a) an officer takes a lead from the inbox to 销号; (b) an enterprise submits a
rectification; (c) an enterprise cannot see another's data; and screenshots of the main
pages (``LANTIAN_SCREENSHOT_DIR`` keeps them, e.g. ``docs/screenshots``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.supervision.visit_helpers import approve_onsite, approve_onsite_in
from tests.web.conftest import PASSWORD, PNG_BYTES, seed

from lantian.settings import Settings
from lantian.timeutil import now_cst

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=zh-CN",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving ``create_app(settings)`` on 127.0.0.1:<random port> in a thread."""

    def __init__(self, settings: Settings) -> None:
        import uvicorn

        from lantian.web.app import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skips the test when it or the npm assets
    are missing); the browser fixtures of the web and security tests ``yield from`` it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup-system.sh)")
    from lantian.web.assets import find_node_modules

    if find_node_modules() is None:
        pytest.skip("npm assets are not installed (make node)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _home_settings(path: Path) -> Settings:
    return Settings(home=path)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Any]]:
    settings = _home_settings(tmp_path_factory.mktemp("browser-home"))
    settings.ensure_home()
    seeded = seed(settings)
    with LiveServer(settings) as server:
        yield server, seeded


def _login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def draw_signature(page: Any) -> None:
    """Draw a stroke on the on-site record's signature pad (mouse = pointer events)."""
    box = page.locator("#signature-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + 10, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + i * box["width"] / 10, y + (10 if i % 2 else -10))
    page.mouse.up()
    expect(page.locator("#signature-data")).not_to_have_value("")


def _status(page: Any) -> str:
    return str(page.locator("#case-status").inner_text()).strip()


def test_officer_takes_a_lead_from_the_inbox_to_close_out(
    browser: Any, live: tuple[LiveServer, Any]
) -> None:
    server, _seeded = live
    ctx = browser.new_context(
        geolocation={"latitude": 39.631, "longitude": 118.181, "accuracy": 15},
        permissions=["geolocation"],
        locale="zh-CN",
    )
    page = ctx.new_page()
    _login(page, server.url, "ts_city")
    page.goto(f"{server.url}/leads")
    # filter with HTMX, then bulk-dispatch the one lead of E1 with severity 3
    page.select_option("select[name=severity]", "3")
    page.wait_for_load_state("networkidle")
    expect(page.locator("a.lead-link")).to_have_count(2)
    page.check("input[name=lead_ids][value='LE1-2']")
    # one assignee choice per district of the page's new leads: E1 is in 路北区
    page.select_option(
        "select[name=assignee_id][data-group='唐山市/路北区']",
        label="lb_district 用户（区县执法人员·路北区·执法证号 130200190002）",
    )
    page.fill("input[name=deadline]", (now_cst() + timedelta(days=3)).date().isoformat())
    page.click("#bulk-dispatch")
    page.wait_for_url("**dispatched=1**")
    assert "已交办 1 条线索" in page.content()
    page.click("text=退出")
    # the district officer does the check on site and closes the case
    _login(page, server.url, "lb_district")
    page.goto(f"{server.url}/leads/LE1-2")
    page.click("text=查看案件")
    assert _status(page) == "已交办"
    page.select_option("#action-start_check select[name=mode]", "onsite")
    page.click("#action-start_check button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "核查中"
    # the visit was approved beforehand (行政检查审批; the approval journey: tests/supervision)
    case_no = page.url.split("/cases/")[1].split("/")[0].split("?")[0].split("#")[0]
    approve_onsite_in(_seeded.settings, int(case_no))
    page.check("input[name='answer__CEMS-1'][value=ok]")
    page.check("input[name='answer__CEMS-4'][value=problem]")
    page.fill("textarea[name=notes]", "采样管线存在旁路阀")
    # the on-site record: a second certified inspector, the representative, a signature
    page.check(f"input[name=inspector_ids][value='{_seeded.user_ids['ts_city']}']")
    page.fill("input[name=representative_name]", "王厂长")
    draw_signature(page)
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": PNG_BYTES}],
    )
    page.click("button.gps-button")
    expect(page.locator("input[name=lat]")).not_to_have_value("")
    page.click("#submit-check")
    page.wait_for_load_state("networkidle")
    assert "采样管线存在旁路阀" in page.content() and "39.63100" in page.content()
    page.fill("#action-judge_confirmed textarea[name=finding]", "旁路属实")
    page.click("#action-judge_confirmed button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("#action-choose_immediate_fix button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "立行立改"
    page.fill("#action-close_immediate_fix textarea[name=comment]", "旁路已拆除，现场确认")
    page.click("#action-close_immediate_fix button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "已销号"
    ctx.close()


def test_enterprise_submits_a_rectification(browser: Any, live: tuple[LiveServer, Any]) -> None:
    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.workflow import service as ws

    server, seeded = live
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        case = ws.dispatch(
            db,
            admin,  # type: ignore[arg-type]
            ["LE1-1"],
            assignee_id=seeded.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=3),
        )[0]
        ws.start_check(db, admin, case.case_id, mode="remote")  # type: ignore[arg-type]
        ws.record_check(db, admin, case.case_id, kind="remote", notes="恒值 12 小时")  # type: ignore[arg-type]
        ws.judge(db, admin, case.case_id, confirmed=True, finding="数据恒值属实")  # type: ignore[arg-type]
        ws.choose_fix_path(
            db,
            admin,  # type: ignore[arg-type]
            case.case_id,
            "supervision_order",
            rectify_deadline=now_cst() + timedelta(days=10),
        )
        case_id = case.case_id
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    _login(page, server.url, "ent1")
    assert page.url.endswith("/portal")
    page.click(f"a[href='/cases/{case_id}']")
    assert _status(page) == "督办"
    page.click("#action-start_rectification button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "整改中"
    page.fill("#action-submit_rectification textarea[name=text]", "已更换数采仪并校准")
    page.set_input_files(
        "#action-submit_rectification input[name=files]",
        files=[{"name": "proof.png", "mimeType": "image/png", "buffer": PNG_BYTES}],
    )
    page.click("#action-submit_rectification button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "复核中"
    assert page.locator(".thumbs img").count() >= 1
    ctx.close()


def test_enterprise_cannot_see_another_enterprise(
    browser: Any, live: tuple[LiveServer, Any]
) -> None:
    server, _seeded = live
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    _login(page, server.url, "ent2")
    page.goto(f"{server.url}/portal")  # its own enterprise, always
    assert "唐山印刷厂" in page.content() and "冀东钢铁" not in page.content()
    page.goto(f"{server.url}/leads")  # no case reached E2 yet: no lead (auth/policy.py)
    assert "冀东钢铁" not in page.content() and "LE2-0" not in page.content()
    for path in ("/leads/LE1-0", "/enterprises/E1", "/api/leads/LE1-0"):
        resp = page.goto(f"{server.url}{path}")
        assert resp is not None and resp.status == 404, path
        assert "冀东钢铁" not in page.content()
    resp = page.goto(f"{server.url}/map")
    assert resp is not None and resp.status == 403
    ctx.close()


# ------------------------------------------------------------------ screenshots

SHOT_PASSWORD = "Demo-Pass-2024!"
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
"""Read at import: the autouse fixture of tests/conftest.py clears LANTIAN_* variables."""


def _build_demo(home: Path, dev_city: Path) -> Settings:
    from lantian.auth.service import seed_demo_users
    from lantian.db.session import session_scope
    from lantian.io.importer import import_bundle
    from lantian.rules.platform import detect_lake_once

    settings = _home_settings(home)
    settings.ensure_home()
    import_bundle(dev_city, settings)
    detect_lake_once(settings, force=True)
    with session_scope(settings) as db:
        seed_demo_users(db, SHOT_PASSWORD)
    return settings


@pytest.mark.slow
def test_screenshots_of_the_main_pages(browser: Any, dev_city: Path, tmp_path: Path) -> None:
    from sqlalchemy import select

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.leads.models import Lead
    from lantian.registry.models import Enterprise
    from lantian.workflow import service as ws

    settings = _build_demo(tmp_path / "home", dev_city)
    with session_scope(settings) as db:
        officer = db.execute(select(User).where(User.username == "officer")).scalar_one()
        district = db.execute(select(User).where(User.username == "district")).scalar_one()
        lead_of = {
            fam: db.execute(
                select(Lead)
                .join(Enterprise, Enterprise.enterprise_id == Lead.enterprise_id)
                .where(Lead.family == fam, Enterprise.district == district.district)
                .order_by(Lead.lead_id)
            )
            .scalars()
            .first()
            for fam in ("EXCEEDANCE", "TREATMENT_OFF")
        }
        lead = lead_of["EXCEEDANCE"]
        assert lead is not None and lead_of["TREATMENT_OFF"] is not None
        ids = {fam: x.lead_id for fam, x in lead_of.items() if x is not None}
        case = ws.dispatch(
            db,
            officer,
            [lead.lead_id],
            assignee_id=district.user_id,
            deadline=now_cst() + timedelta(days=5),
        )[0]
        ws.start_check(db, officer, case.case_id, mode="onsite")
        approve_onsite(db, case.case_id)
        case_id = case.case_id
        ent1_lead_case = ws.dispatch(
            db,
            officer,
            [
                x.lead_id
                for x in db.execute(select(Lead).where(Lead.enterprise_id == "E0040")).scalars()
            ][:1],
            assignee_id=officer.user_id,
            deadline=now_cst() + timedelta(days=5),
        )[0].case_id
        ws.start_check(db, officer, ent1_lead_case, mode="remote")
        ws.record_check(db, officer, ent1_lead_case, kind="remote", notes="分表计电与监测数据比对")
        ws.judge(db, officer, ent1_lead_case, confirmed=True, finding="问题属实")
        ws.choose_fix_path(
            db,
            officer,
            ent1_lead_case,
            "supervision_order",
            rectify_deadline=now_cst() + timedelta(days=15),
        )
        ent1_case = ent1_lead_case
    out = Path(SHOT_DIR) if SHOT_DIR else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with LiveServer(settings) as server:
        # en-US like most headless browsers and many office PCs: the UI must stay Chinese
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        page = ctx.new_page()

        def shot(name: str, path: str, full: bool = False) -> None:
            page.goto(f"{server.url}{path}")
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == "zh-CN", path
            page.wait_for_timeout(600)  # charts draw after their data arrives
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=full)
            shots.append(target)

        shot("01-login", "/login")
        _login(page, server.url, "officer", SHOT_PASSWORD)
        shot("02-lead-inbox", "/leads")
        shot("03-lead-detail-exceedance", f"/leads/{ids['EXCEEDANCE']}")
        shot("04-lead-detail-treatment-off", f"/leads/{ids['TREATMENT_OFF']}")
        shot("05-map-offline", "/map")
        shot("06-dashboard", "/dashboard")
        shot("07-enterprises", "/enterprises")
        shot("08-case-onsite-check", f"/cases/{case_id}", full=True)
        shot("09-cases", "/cases")
        shot("10-ledger", "/ledger")
        shot("14-spot-checks", "/spot-checks")
        ctx.close()
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        page = ctx.new_page()
        _login(page, server.url, "ent1", SHOT_PASSWORD)
        shot("11-enterprise-portal", "/portal")
        ctx.close()
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        page = ctx.new_page()
        _login(page, server.url, "admin", SHOT_PASSWORD)
        shot("15-admin-users", "/admin/users", full=True)
        ctx.close()
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="en-US",
            is_mobile=True,
            device_scale_factor=2,
        )
        page = ctx.new_page()
        _login(page, server.url, "district", SHOT_PASSWORD)
        shot("12-phone-inbox", "/leads")
        shot("13-phone-onsite-check", f"/cases/{case_id}#check-form", full=True)
        ctx.close()
    assert ent1_case
    for p in shots:
        assert p.stat().st_size > 10_000, f"{p.name} looks empty"


def test_onsite_record_signed_on_a_phone(browser: Any, live: tuple[LiveServer, Any]) -> None:
    """The on-site record on a 390 px phone: a second certified inspector, the
    representative, a signature drawn with touch/pointer, and the GPS distance warning
    (Beijing is about 150 km from the plant in Tangshan)."""
    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.workflow import service as ws
    from lantian.workflow.models import Attachment, CheckRecord

    server, seeded = live
    with session_scope(seeded.settings) as db:
        officer = db.get(User, seeded.user_ids["lb_district"])
        assert officer is not None
        city = db.get(User, seeded.user_ids["ts_city"])
        assert city is not None
        (case,) = ws.dispatch(
            db,
            city,
            ["LE1-0"],
            assignee_id=officer.user_id,
            deadline=now_cst() + timedelta(days=3),
        )
        ws.start_check(db, officer, case.case_id, mode="onsite")
        approve_onsite(db, case.case_id)
        case_id = case.case_id
    # Beijing, about 150 km from the plant in Tangshan
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 39.909, "longitude": 116.397, "accuracy": 20},
        permissions=["geolocation"],
        locale="zh-CN",
    )
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    try:
        _login(page, server.url, "lb_district")
        page.goto(f"{server.url}/cases/{case_id}/step/check")
        canvas = page.locator("#signature-canvas")
        box = canvas.bounding_box()
        assert box is not None and 200 <= box["width"] <= 390 - 16  # fits the phone
        page.check(f"input[name=inspector_ids][value='{seeded.user_ids['ts_city']}']")
        expect(
            page.locator(f"input[name=inspector_ids][value='{seeded.user_ids['lb_district']}']")
        ).to_be_checked()
        page.fill("textarea[name=notes]", "脱硫塔循环泵停运")
        page.fill("input[name=representative_name]", "王厂长")
        page.fill("input[name=representative_title]", "环保负责人")
        page.fill("input[name=representative_phone]", "13800000000")
        draw_signature(page)
        page.set_input_files(
            "input[name=photos]",
            files=[{"name": "site.png", "mimeType": "image/png", "buffer": PNG_BYTES}],
        )
        page.click("button.gps-button")
        expect(page.locator("input[name=lat]")).not_to_have_value("")
        page.click("#submit-check")
        page.wait_for_url("**done=record_check**")
        warning = page.locator(".gps-distance.gps-warning")
        expect(warning).to_contain_text("超过 1,000 米")
        expect(page.locator("img.signature")).to_be_visible()
        assert "王厂长" in page.content() and "执法证号" in page.content()
    finally:
        ctx.close()
    with session_scope(seeded.settings) as db:
        rec = db.query(CheckRecord).filter(CheckRecord.case_id == case_id).one()
        assert rec.site_distance_m is not None and rec.site_distance_m > 140_000
        assert sorted(i["user_id"] for i in rec.inspectors or []) == sorted(
            [seeded.user_ids["ts_city"], seeded.user_ids["lb_district"]]
        )
        sig = db.get(Attachment, rec.signature_attachment_id)
        assert sig is not None and sig.content_type == "image/png" and sig.size_bytes > 500
