"""Adversary: an enterprise name written as HTML must reach the map tooltip as text.

Finding (issue 11, item 10): Leaflet tooltips took enterprise names as HTML. Live server on
127.0.0.1 and Debian's Chromium (skipped where either is missing, like tests/web/test_browser).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.security.web_live import live_server
from tests.web.conftest import PASSWORD, seed

from lantian.db.session import session_scope
from lantian.registry.models import Enterprise
from lantian.settings import get_settings

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
HOSTILE = '<img src=x onerror="window.__xss=1">冀东钢铁'
HOOK_MAP = """
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return this.__L; },
  set(v) {
    this.__L = v;
    const init = v.Map.prototype.initialize;
    v.Map.prototype.initialize = function (...a) {
      (window.__maps = window.__maps || []).push(this);
      return init.apply(this, a);
    };
  },
});
"""
OPEN_TOOLTIPS = """
() => window.__maps.forEach((m) => m.eachLayer((l) => {
  if (l.getTooltip && l.getTooltip()) { l.openTooltip(); }
}))
"""


def test_map_tooltip_shows_a_hostile_name_as_text(lantian_home: object) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup-system.sh)")
    from lantian.web.assets import find_node_modules

    if find_node_modules() is None:
        pytest.skip("npm assets are not installed (make node)")
    from playwright.sync_api import sync_playwright

    settings = get_settings()
    seed(settings)
    with session_scope(settings) as db:
        ent = db.get(Enterprise, "E1")
        assert ent is not None
        ent.name = HOSTILE
    with live_server(settings) as live, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page: Any = browser.new_page()
            page.add_init_script(HOOK_MAP)
            page.goto(f"{live.url}/login")
            page.fill("input[name=username]", "ts_city")
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{live.url}/map")
            page.wait_for_function("window.__maps && window.__maps.length > 0", timeout=15000)
            page.wait_for_load_state("networkidle")
            page.evaluate(OPEN_TOOLTIPS)
            tips = page.locator(".leaflet-tooltip")
            assert tips.count() >= 1
            texts = [tips.nth(i).inner_text() for i in range(tips.count())]
            assert HOSTILE in texts  # shown as text
            assert page.locator(".leaflet-tooltip img").count() == 0
            assert page.evaluate("window.__xss") is None
        finally:
            browser.close()
