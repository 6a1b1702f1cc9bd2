"""Visit register pages: apply (行政检查审批表), approve with warnings, PDF with the check-in QR
code, 扫码入企 in the portal (and one Playwright journey at 390 px), campaigns.

One seeded app and one client per role for the module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, login, seed

from lantian.timeutil import now_cst

TODAY = now_cst().date()
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
"""Keep the 390 px screenshots there (read at import: the test fixtures clear LANTIAN_*)."""


@pytest.fixture(scope="module")
def app_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Seeded]]:
    from lantian.db.session import dispose_engines
    from lantian.settings import get_settings
    from lantian.web.app import create_app

    home = tmp_path_factory.mktemp("visits-web")
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    seeded = seed(get_settings())
    yield create_app(seeded.settings), seeded
    dispose_engines()
    get_settings.cache_clear()
    if old is None:
        os.environ.pop("LANTIAN_HOME", None)
    else:
        os.environ["LANTIAN_HOME"] = old


@pytest.fixture(scope="module")
def clients(app_world: tuple[Any, Seeded]) -> Iterator[dict[str, tuple[TestClient, str]]]:
    app, _seeded = app_world
    out: dict[str, tuple[TestClient, str]] = {}
    for name in ("lb_district", "ts_city", "ent1", "ent2"):
        c = TestClient(app)
        c.__enter__()
        out[name] = (c, login(c, name))
    yield out
    for c, _csrf in out.values():
        c.__exit__(None, None, None)


def _post(client: tuple[TestClient, str], path: str, data: dict[str, Any]) -> Any:
    c, csrf = client
    return c.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)


def _apply_form(w: Seeded, **kw: Any) -> dict[str, Any]:
    return {
        "enterprise_id": "E1",
        "kind": "lead_check",
        "purpose": "核查氮氧化物超标线索",
        "basis": "《中华人民共和国大气污染防治法》第二十九条",
        "method": "现场检查",
        "planned_date": (TODAY + timedelta(days=2)).isoformat(),
        "inspector_ids": [w.user_ids["lb_district"], w.user_ids["ts_city"]],
        **kw,
    }


def test_apply_approve_pdf_and_checkin_through_the_pages(
    app_world: tuple[Any, Seeded], clients: dict[str, tuple[TestClient, str]], tmp_path: Path
) -> None:
    _app, w = app_world
    lb, ts = clients["lb_district"], clients["ts_city"]
    form = lb[0].get("/visits/new?enterprise_id=E1").text
    assert "行政检查审批表" in form and "冀东钢铁有限公司" in form
    assert "ts_city 用户（130200190001）" in form and "sjz_city" not in form
    # one inspector: refused, in Chinese, with the input kept
    bad = _post(lb, "/visits", _apply_form(w, inspector_ids=[w.user_ids["lb_district"]]))
    assert bad.status_code == 422
    assert "至少两名持执法证的执法人员" in bad.text and "核查氮氧化物超标线索" in bad.text
    r = _post(lb, "/visits", _apply_form(w))
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    vid = int(url.rsplit("/", 1)[1])
    page = lb[0].get(url).text
    assert "待审批" in page and "扫码入企" not in page  # no check-in code before approval
    # the applicant cannot approve (shown on the page); the city officer approves
    own = _post(lb, f"/visits/{vid}/decide", {"decision": "approve"})
    assert own.status_code == 422 and "审批人不能是申请人" in own.text
    assert _post(ts, f"/visits/{vid}/decide", {"decision": "approve"}).status_code == 303
    page = ts[0].get(url).text
    assert "已批准" in page and "<svg" in page
    m = re.search(r'id="checkin-url">(http[^<]+)<', page)
    assert m, "the approved visit shows its check-in URL"
    checkin = m.group(1).split("://", 1)[1].split("/", 1)[1]
    # a second visit 10 days later: the approver sees the repeat warning and must tick it
    r2 = _post(lb, "/visits", _apply_form(w, planned_date=(TODAY + timedelta(12)).isoformat()))
    url2 = r2.headers["location"]
    vid2 = int(url2.rsplit("/", 1)[1])
    assert "重复检查" in ts[0].get(url2).text
    refused = _post(ts, f"/visits/{vid2}/decide", {"decision": "approve"})
    assert refused.status_code == 422 and "请确认已阅知" in refused.text
    ok = _post(ts, f"/visits/{vid2}/decide", {"decision": "approve", "acknowledge": "yes"})
    assert ok.status_code == 303
    # the 审批表 PDF: number, fields, inspectors with their certificates, the QR code
    pdf = ts[0].get(f"/visits/{vid}/approval.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        path = tmp_path / "a.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        for needle in (
            "行政检查审批表",
            "检审〔",
            "检查事项",
            "检查依据",
            "任务来源",
            "130200190001",
        ):
            assert needle in text, needle
        assert "检查码" in text and "/portal/checkin/" in text.replace(" ", "")
    # 扫码入企: ent1 sees who visits under which approval and confirms; ent2 cannot
    ent1, ent2 = clients["ent1"], clients["ent2"]
    assert ent2[0].get(f"/{checkin}").status_code == 404
    view = ent1[0].get(f"/{checkin}").text
    assert "ts_city 用户" in view and "130200190002" in view and "确认检查人员已到达" in view
    assert _post(ent1, f"/{checkin}", {"what": "arrival"}).status_code == 303
    view = ent1[0].get(f"/{checkin}").text
    assert "确认检查人员已离开" in view
    assert _post(ent2, f"/{checkin}", {"what": "departure"}).status_code == 404
    assert _post(ent1, f"/{checkin}", {"what": "departure"}).status_code == 303
    assert "企业确认离开时间" in ts[0].get(url).text
    listing = ent1[0].get("/portal/visits").text
    assert "核查氮氧化物超标线索" in listing
    assert "核查氮氧化物超标线索" not in ent2[0].get("/portal/visits").text


def test_assistance_record_and_campaign_pages(
    app_world: tuple[Any, Seeded], clients: dict[str, tuple[TestClient, str]]
) -> None:
    _app, w = app_world
    lb, ts = clients["lb_district"], clients["ts_city"]
    c = _post(
        ts,
        "/campaigns",
        {
            "name": "VOCs 专项治理",
            "round_label": "第一轮",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + timedelta(days=90)).isoformat(),
            "jurisdiction": "唐山市",
            "industries": "printing",
            "ordered_from_above": "yes",
        },
    )
    assert c.status_code == 303, c.text
    camp_url = c.headers["location"]
    camp_id = camp_url.rsplit("/", 1)[1]
    bad = _post(ts, "/campaigns", {"name": "", "start_date": "x", "end_date": "y"})
    assert bad.status_code == 422 and "日期" in bad.text
    r = _post(
        lb,
        "/visits",
        _apply_form(
            w,
            kind="assistance",
            service_kind="checkup",
            purpose="环保体检",
            planned_date=(TODAY + timedelta(days=100)).isoformat(),
            campaign_id=camp_id,
        ),
    )
    assert r.status_code == 303, r.text
    vid = r.headers["location"].rsplit("/", 1)[1]
    _post(ts, f"/visits/{vid}/decide", {"decision": "approve", "acknowledge": "yes"})
    page = ts[0].get(f"/visits/{vid}").text
    assert "上级部署：单独统计" in page and "保存帮扶记录" in page
    bad = _post(lb, f"/visits/{vid}/service", {"problems": "x", "advice": "y", "followups": "x"})
    assert bad.status_code == 422 and "复诊日期" in bad.text
    # (the visit is planned in 100 days: the record is written "now", before the plan date)
    done = _post(
        lb,
        f"/visits/{vid}/service",
        {
            "problems": "活性炭未按期更换",
            "advice": "建立更换台账",
            "followups": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert done.status_code == 303, done.text
    page = lb[0].get(f"/visits/{vid}").text
    assert "活性炭未按期更换" in page and "标记完成" in page
    stats = ts[0].get(camp_url).text
    assert "VOCs 专项治理" in stats and "帮扶服务 1" in stats and "印刷" in stats
    assert "活性炭未按期更换" in clients["ent1"][0].get("/portal/visits").text
    assert "VOCs 专项治理" in ts[0].get("/campaigns").text
    assert "双随机检查" in ts[0].get("/visits").text or "帮扶服务" in ts[0].get("/visits").text


@pytest.mark.browser
def test_checkin_journey_on_a_phone(tmp_path_factory: pytest.TempPathFactory) -> None:
    """扫码入企 at 390 px: the enterprise opens the check-in link of an approved visit,
    checks the inspectors and confirms arrival then departure."""
    from tests.web.test_browser import LiveServer, _login, launch_chromium

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.settings import Settings
    from lantian.supervision.config import load_config
    from lantian.supervision.visits import services as vs

    settings = Settings(home=tmp_path_factory.mktemp("checkin-browser"))
    settings.ensure_home()
    w = seed(settings)
    with session_scope(settings) as s:
        lb = s.get(User, w.user_ids["lb_district"])
        ts = s.get(User, w.user_ids["ts_city"])
        assert lb is not None and ts is not None
        v = vs.apply_visit(
            s,
            lb,
            enterprise_id="E1",
            kind="plan",
            purpose="双随机检查：废气排放与治理设施运行",
            basis="《中华人民共和国大气污染防治法》第二十九条",
            planned_date=TODAY,
            inspector_ids=[lb.user_id, ts.user_id],
        )
        vs.approve_visit(s, ts, v.visit_id, load_config(), acknowledge_warnings=True)
        vid = v.visit_id
    shots = Path(str(tmp_path_factory.mktemp("shots")))
    browser_iter = launch_chromium()
    browser = next(browser_iter)
    try:
        with LiveServer(settings) as server:
            app_secret = server.server.config.app.state.secret
            with session_scope(settings) as s:
                row = s.get(vs.InspectionVisit, vid)
                assert row is not None
                token = vs.checkin_token(row, app_secret)
            ctx = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            )
            page = ctx.new_page()
            page.set_default_timeout(20_000)
            _login(page, server.url, "ent1")
            page.goto(f"{server.url}/portal/checkin/{token}")
            assert "ts_city 用户" in page.locator("#checkin-inspectors").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(shots / "checkin-before.png"), full_page=True)
            page.click("#confirm-arrival")
            page.wait_for_load_state("networkidle")
            assert page.locator("#arrived-at").inner_text().strip() != "—"
            page.click("#confirm-departure")
            page.wait_for_load_state("networkidle")
            assert page.locator("#departed-at").inner_text().strip() != "—"
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(shots / "checkin-after.png"), full_page=True)
            if SHOT_DIR:
                for f in shots.iterdir():
                    shutil.copy(f, Path(SHOT_DIR) / f.name)
            ctx.close()
    finally:
        browser_iter.close()
    with session_scope(settings) as s:
        row = s.get(vs.InspectionVisit, vid)
        assert row is not None and row.arrived_at and row.departed_at
        assert row.arrival_confirmed_by == w.user_ids["ent1"]
