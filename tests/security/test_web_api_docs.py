"""/api/docs renders under the strict CSP (finding: it loaded Swagger UI from a CDN the
CSP blocked, so the page stayed blank). Live server on 127.0.0.1 and Debian's Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.security.web_live import live_server

from lantian.settings import get_settings

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"


def test_api_docs_render_without_csp_violations(lantian_home: object) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup-system.sh)")
    from lantian.web.assets import find_node_modules

    nm = find_node_modules()
    if nm is None or not (nm / "swagger-ui-dist").exists():
        pytest.skip("npm assets are not installed (make node)")
    from playwright.sync_api import sync_playwright

    settings = get_settings()
    with live_server(settings) as live, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page: Any = browser.new_page()
            messages: list[str] = []
            page.on("console", lambda m: messages.append(m.text))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{live.url}/api/docs")
            page.locator(".opblock").first.wait_for(timeout=20000)
            assert page.locator(".opblock").count() > 20  # the operations are listed
        finally:
            browser.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages
    assert all(u.startswith(live.url) or u.startswith("data:") for u in requests), requests
