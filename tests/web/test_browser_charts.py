"""Lead charts in Chromium: a power, a CEMS and an ambient lead at desktop and 390 px.

The browser runs in India Standard Time (UTC+05:30): a chart that formatted times in the
browser's zone would show ``:30`` minutes for the whole CST hours of the data; the chart's
axis must show ``MM-DD HH:00`` in China Standard Time. ``LANTIAN_SCREENSHOT_DIR`` keeps
the screenshots (else a temporary directory).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.chartdata import EPISODE, ChartLeads, add_chart_leads
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _home_settings, _login, browser  # noqa: F401

pytestmark = pytest.mark.browser

SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")  # read before fixtures clear LANTIAN_*
AXIS_LABEL = re.compile(r"^\d\d-\d\d \d\d:\d\d$")


@pytest.fixture(scope="module")
def chart_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, ChartLeads]]:
    settings = _home_settings(tmp_path_factory.mktemp("chart-home"))
    settings.ensure_home()
    seed(settings)
    ids = add_chart_leads(settings)
    with LiveServer(settings) as server:
        yield server, ids


def _texts(page: Any) -> list[str]:
    page.wait_for_selector("#lead-chart[data-rendered='1'] svg", timeout=15_000)
    texts = page.eval_on_selector_all("#lead-chart svg text", "els => els.map(e => e.textContent)")
    return [str(t).strip() for t in texts if t and str(t).strip()]


@pytest.mark.parametrize("width", [1280, 390])
def test_lead_charts_say_what_they_show(
    browser: Any,  # noqa: F811
    chart_live: tuple[LiveServer, ChartLeads],
    tmp_path: Path,
    width: int,
) -> None:
    server, ids = chart_live
    shots = Path(SHOT_DIR or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(
        viewport={"width": width, "height": 900 if width > 500 else 844},
        locale="zh-CN",
        timezone_id="Asia/Kolkata",
    )
    page = ctx.new_page()
    try:
        _login(page, server.url, "admin")
        expected = {
            ids.treatment_off: ["开机阈值 0.7 kW", "有功功率 (kW)"],
            ids.cems: ["排放限值 35 mg/m³（GB 28662-2012）", "二氧化硫 (mg/m³)"],
            ids.ambient: ["细颗粒物(PM2.5) 其他站点中位数", "与中位数之比", "判定倍数 2.5×"],
        }
        for lead_id, labels in expected.items():
            page.goto(f"{server.url}/leads/{lead_id}")
            texts = _texts(page)
            joined = "\n".join(texts)
            for text in labels:
                assert text in joined, (lead_id, width, text, texts)
            assert "限值 0.7" not in joined and "限值 188" not in joined
            if lead_id != ids.cems:
                assert "限值" not in joined, (lead_id, texts)
            assert "异常时段" in joined  # the episode's shading is labelled
            x_labels = [t for t in texts if AXIS_LABEL.match(t)]
            assert len(x_labels) >= 2, texts
            assert all(t.endswith(":00") for t in x_labels), x_labels  # CST, not IST
            months_days = {t[:5] for t in x_labels}
            assert EPISODE[0].strftime("%m-%d") in months_days or len(months_days) >= 2
            page.screenshot(path=str(shots / f"lead-chart-{lead_id}-{width}.png"), full_page=False)
            chart = page.locator("#lead-chart")
            box = chart.bounding_box()
            assert box is not None and box["width"] <= width  # fits the phone
            chart.screenshot(path=str(shots / f"lead-chart-{lead_id}-{width}-chart.png"))
    finally:
        ctx.close()
