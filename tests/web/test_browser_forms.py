"""Browser test (Playwright + Debian's Chromium): negative steps ask for confirmation, and a
form with bad input comes back with the error next to its field and the input kept.

认定误报: the browser refuses the form until the confirmation box is ticked; then a
Chinese dialog (``hx-confirm``) asks once more; dismissing it sends nothing, accepting it
judges the case. The password form (an HTMX form) with differing new passwords shows the
message next to the field on the same page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.case_driver import drive_case
from tests.web.conftest import PASSWORD, seed
from tests.web.test_browser import LiveServer, _login, launch_chromium

from lantian.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


def test_confirmation_and_errors_in_place(chromium: Any, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seeded = seed(settings)
    case_id = drive_case(seeded, "checked")
    with LiveServer(settings) as server:
        ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "lb_district")
        page.goto(f"{server.url}/cases/{case_id}")
        form = page.locator("#action-judge_false_positive")
        form.locator("textarea[name=reason]").fill("仪表故障，数据无效")
        form.locator("button[type=submit]").click()  # not ticked: the browser refuses
        page.wait_for_timeout(300)
        expect(page.locator("#case-status")).to_have_text("核查中")
        form.locator("input[name=confirm]").check()
        dialogs: list[str] = []

        def dismiss(d: Any) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.once("dialog", dismiss)
        form.locator("button[type=submit]").click()
        page.wait_for_timeout(500)
        assert dialogs and "不可撤销" in dialogs[0]
        expect(page.locator("#case-status")).to_have_text("核查中")
        page.once("dialog", lambda d: d.accept())
        form.locator("button[type=submit]").click()
        expect(page.locator("#case-status")).to_have_text("误报", timeout=10_000)

        page.goto(f"{server.url}/account")
        pw = page.locator("#password-form")
        pw.locator("input[name=old_password]").fill(PASSWORD)
        pw.locator("input[name=new_password]").fill("Another-Pass-2026!")
        pw.locator("input[name=new_password2]").fill("Another-Pass-2026?")
        pw.locator("button[type=submit]").click()
        error = page.locator("#password-form--new_password2-error")
        expect(error).to_have_text("两次输入的新密码不一致", timeout=10_000)
        assert page.url.endswith("/account")
        ctx.close()

        ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "admin")
        page.goto(f"{server.url}/admin/users")
        form = page.locator(f"#active-{seeded.user_ids['ln_district']}")
        form.locator("input[name=confirm]").check()
        texts: list[str] = []

        def accept(d: Any) -> None:
            texts.append(d.message)
            d.accept()

        page.once("dialog", accept)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**done=saved**")
        assert texts and "停用" in texts[0]
        row = page.locator("tr", has=page.locator("td", has_text="ln_district"))
        expect(row).to_contain_text("已停用")
        ctx.close()
