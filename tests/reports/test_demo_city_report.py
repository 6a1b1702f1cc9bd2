"""A monthly report of the demo city renders with every section and its charts (issue #16
acceptance): ``lantian demo-city`` → ``lantian import`` → ``lantian detect-lake`` →
``lantian report``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.reports.periodic import SECTION_KEYS


@pytest.mark.slow
def test_demo_city_monthly_report(lantian_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    city = tmp_path / "city"
    for args in (
        ["demo-city", str(city), "--enterprises", "15", "--days", "40", "--seed", "3"],
        ["import", str(city)],
        ["detect-lake"],
    ):
        out = runner.invoke(app, args)
        assert out.exit_code == 0, out.output
    first = min(
        json.loads(line)["start"] for line in (city / "labels.jsonl").read_text().splitlines()
    )
    month = first[:7]
    out = runner.invoke(
        app, ["report", "--kind", "monthly", "--period", month, "--out", str(tmp_path), "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    sections = {s["key"]: s for s in data["sections"]}
    assert list(sections) == list(SECTION_KEYS)
    # the demo city has leads, loads, air quality and townships in its first month
    for key in ("leads_family", "leads_district", "leads_industry", "precision", "load",
                "ambient", "townships"):  # fmt: skip
        assert sections[key]["rows"], key
    for key in ("leads_family", "load", "ambient", "townships"):
        assert sections[key]["chart"], key
    pdf = tmp_path / f"monthly-{month}-01.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.replace("\n", "")
        for n, sec in enumerate(data["sections"], start=1):
            assert f"{n}. {sec['title']}"[:12] in text, sec["title"]
    wb = load_workbook(tmp_path / f"monthly-{month}-01.xlsx")
    assert len(wb.sheetnames) == 1 + len(SECTION_KEYS)
    assert sum(1 for ws in wb.worksheets if ws._charts) >= 4
