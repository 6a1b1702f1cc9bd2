"""The map's clue layers (#17) in Chromium at phone width: grid, tracks, alarms, gates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login, launch_chromium
from tests.web.test_layers_api import write_clue_data

from lantian.settings import Settings

SHOT = "/tmp/lantian-clue-map.png"
"""Where the screenshot is left for a human to look at."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(home=tmp_path_factory.mktemp("clue-map-home"))
    settings.ensure_home()
    seed(settings)
    write_clue_data(settings)
    with LiveServer(settings) as server:
        yield server


def test_clue_layers_on_the_map_at_390px(browser: Any, live: LiveServer) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live.url, "ts_city")
    page.goto(f"{live.url}/map")
    expect(page.locator("#clue-layers h2")).to_have_text("线索图层")
    expect(page.locator("#clue-hour-label")).to_have_text("2024-01-15 11:00")
    expect(page.locator("#clue-day")).to_have_value("2024-01-15")
    for layer in ("tracks", "alarms", "gates"):
        page.check(f"input[data-layer='{layer}']")
    # alarm A1 (E1) and A3 (near 唐山); A2, A4 are in 石家庄市
    expect(page.locator(".leaflet-marker-icon.clue-alarm")).to_have_count(2)
    expect(page.locator(".leaflet-marker-icon.clue-gate.bad")).to_have_count(1)
    # the hour slider goes back to 10:00
    page.locator("#clue-hour").fill("0")
    page.locator("#clue-hour").dispatch_event("change")
    expect(page.locator("#clue-hour-label")).to_have_text("2024-01-15 10:00")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.locator("#map").scroll_into_view_if_needed()
    page.screenshot(path=SHOT, full_page=True)
    assert not errors, errors
    ctx.close()
