"""The zh scanner (tests/_zh_scan.py) catches what issue 12 found and passes clean text."""

from __future__ import annotations

import pytest
from tests._zh_scan import assert_clean_zh, find_problems, html_text

LEAKS = [
    "mean_zs",
    "{'min_duration_h': 1, 'max_gap_h': 1}",
    "['P0013']",
    "正面清单 True",
    "污染物 a21002",
    "Episodes of 折算 hourly means above the limit.",
    "record check",
    "CEMS-1: ok / ST-1: problem",
    "datetime.datetime(2025, 1, 8)",
]
CLEAN = [
    "1号锅炉排放口 (P0013)",
    "最高折算浓度 60 mg/m³",
    "氮氧化物 (mg/m³)",
    "CEMS-EXCEED",
    "HJ 76-2017 附录B；生态环境部公告2022年第21号",
    "PM2.5 75 µg/m³",
    "功率 12.5 kW，时长 45分钟",
    "2024-01-08 10:00 至 2024-01-08 14:00",
    "偶然出现概率 1.2×10^-7",
    "GPS 39.12345, 118.2 (±5 m)",
]


@pytest.mark.parametrize("text", LEAKS)
def test_scanner_finds_each_leak(text: str) -> None:
    assert find_problems(text)
    with pytest.raises(AssertionError):
        assert_clean_zh(text)


@pytest.mark.parametrize("text", CLEAN)
def test_scanner_passes_clean_chinese(text: str) -> None:
    assert_clean_zh(text)


def test_html_text_drops_markup_scripts_and_attributes() -> None:
    page = (
        '<div class="mean_zs" data-x="record_check"><script>var a_b = {"x": 1}</script>'
        "<p>排放口 &amp; 监测站</p></div>"
    )
    assert html_text(page).split() == ["排放口", "&", "监测站"]
    assert_clean_zh(html_text(page))


def test_allow_blanks_named_substrings() -> None:
    with pytest.raises(AssertionError):
        assert_clean_zh("蓝天 Lantian platform")
    assert_clean_zh("蓝天 Lantian platform", allow=["Lantian platform"])
