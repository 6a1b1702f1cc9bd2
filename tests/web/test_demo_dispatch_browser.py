"""Acceptance of issue 12 item 1 in Chromium: on the demo city the city officer
(``officer``) dispatches every demo lead from the inbox, each district group to an officer
of that district, and no lead is left without a covering officer."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.cli.demo_home import DEMO_PASSWORD, build_demo_home
from tests.web.test_browser import LiveServer, _login, browser  # noqa: F401 (fixture)

from lantian.timeutil import now_cst

pytestmark = [pytest.mark.browser, pytest.mark.slow]
"""Slow: builds a demo home (generation, import, detection) before the journey."""


def test_city_officer_dispatches_every_demo_lead(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from sqlalchemy import select

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.leads.models import Lead
    from lantian.workflow import service as ws
    from lantian.workflow.models import Case, CaseLead

    t0 = time.monotonic()
    home = build_demo_home(tmp_path)
    t_built = time.monotonic()
    with session_scope(home.settings) as db:
        lead_ids = set(db.scalars(select(Lead.lead_id)))
    assert len(lead_ids) >= 5
    deadline = (now_cst() + timedelta(days=7)).date().isoformat()
    with LiveServer(home.settings) as server:
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        page = ctx.new_page()
        _login(page, server.url, "officer", DEMO_PASSWORD)
        for _round in range(10):  # one page of up to 200 new leads per round
            page.goto(f"{server.url}/leads?status=new&limit=200")
            boxes = page.locator("input[name=lead_ids]")
            if boxes.count() == 0:
                break
            assert page.locator(".no-cover").count() == 0, "a demo lead has no covering officer"
            page.check("input.select-all")
            page.fill("input[name=deadline]", deadline)
            # every group offers an officer of its own district first (the default choice)
            for sel in page.locator("select[name=assignee_id]").all():
                district = sel.get_attribute("data-group").split("/", 1)[1]
                first = sel.locator("option").first.inner_text()
                assert district in first, (district, first)
            page.click("#bulk-dispatch")
            page.wait_for_url("**dispatched=**")
            assert "已交办" in page.content()
        ctx.close()
    print(f"demo home built in {t_built - t0:.1f} s, journey {time.monotonic() - t_built:.1f} s")
    with session_scope(home.settings) as db:
        rows = db.execute(
            select(CaseLead.lead_id, Case.status, User.role, User.district, User.username)
            .join(Case, Case.case_id == CaseLead.case_id)
            .join(User, User.user_id == Case.assignee_id)
        ).all()
        regions = ws.lead_regions(db, sorted(lead_ids))
    got = {lid: (status, role, district) for lid, status, role, district, _u in rows}
    assert set(got) == lead_ids, "some demo leads were not dispatched"
    for lid, (status, role, district) in got.items():
        assert status == "dispatched" and role == "district_officer", (lid, status, role)
        assert district == regions[lid][1], lid
