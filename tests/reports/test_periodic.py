"""Periodic reports (周报 / 月报 / 专项行动报告): periods, every section's figures in scope,
loads from concentration × flow against the previous period, good days (HJ 633), the PDF
with its charts and the workbook, the archive with SHA-256, and the schedule."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from lantian.auth.errors import NotFound, PermissionDenied
from lantian.auth.models import AuditLog
from lantian.cli.main import app
from lantian.lake import Lake
from lantian.registry.models import Outlet, Station
from lantian.reports.archive import (
    due_periods,
    generate,
    generate_due,
    list_reports,
    load_report,
    report_file,
    verify,
)
from lantian.reports.models import ArchivedReport
from lantian.reports.periodic import (
    SECTION_KEYS,
    PeriodError,
    city_viewer,
    compute_report,
    parse_period,
)
from lantian.reports.report_docs import render_report_pdf, render_report_xlsx
from lantian.settings import get_settings
from lantian.timeutil import CST
from lantian.workflow.meetings import parse_meeting, record_meeting

JAN = parse_period("monthly", "2024-01")  # the world's leads start on 2024-01-08


def test_periods() -> None:
    assert (JAN.start, JAN.end, JAN.label) == (date(2024, 1, 1), date(2024, 2, 1), "2024年1月")
    dec = parse_period("monthly", "2026-12")
    assert dec.end == date(2027, 1, 1) and dec.days == 31
    w = parse_period("weekly", "2026-W48")
    assert (w.start, w.end, w.label) == (date(2026, 11, 23), date(2026, 11, 30), "2026年第48周")
    assert parse_period("weekly", "2026-11-26") == w  # any day of the week
    for kind, text in (
        ("monthly", "2026-13"),
        ("monthly", "nov"),
        ("weekly", "2026-W60"),
        ("campaign", "1"),  # no session
        ("yearly", "2026"),
    ):
        with pytest.raises(PeriodError):
            parse_period(kind, text)


def _fill(world: Any) -> None:
    """Two outlets' SO2 and flow in December 2023 and January 2024; ambient data of S1
    and of a township station S2 for ten January days (four of them polluted)."""
    s = world.session
    s.add_all(
        [
            Outlet(outlet_id="P-EA", enterprise_id="EA", name="1号排口", mn="MN-EA-1"),
            Outlet(outlet_id="P-EC", enterprise_id="EC", name="1号排口", mn="MN-EC-1"),
            Station(
                station_id="S2", name="甲市二区站", kind="township", city="甲市",
                district="二区", township="东关街道", lon=116.4, lat=39.9,
            ),
        ]
    )  # fmt: skip
    s.commit()
    rows: dict[str, list[Any]] = {k: [] for k in ("outlet_id", "time", "pollutant", "value")}
    rows["flag"] = []
    for day, so2 in ((date(2023, 12, 20), 50.0), (date(2024, 1, 10), 100.0)):
        for h in range(24):
            t = datetime(day.year, day.month, day.day, h, tzinfo=CST)
            for outlet in ("P-EA", "P-EC"):
                for pol, v in (("a00000", 100_000.0), ("a21026", so2)):
                    rows["outlet_id"].append(outlet)
                    rows["time"].append(t)
                    rows["pollutant"].append(pol)
                    rows["value"].append(v)
                    rows["flag"].append("N")
    lake = Lake(get_settings().lake_dir)
    lake.append("cems_hourly", pa.table(rows), origin="import")
    amb: dict[str, list[Any]] = {k: [] for k in ("station_id", "time", "pollutant", "value")}
    for d in range(10):
        for h in range(24):
            t = datetime(2024, 1, 10 + d, h, tzinfo=CST)
            for st in ("S1", "S2"):
                pm25 = 120.0 if d < 4 else 40.0  # 4 polluted days (> 75), 6 good
                for pol, v in (("PM2.5", pm25 + (10 if st == "S2" else 0)), ("NO2", 30.0)):
                    amb["station_id"].append(st)
                    amb["time"].append(t)
                    amb["pollutant"].append(pol)
                    amb["value"].append(v)
    lake.append("ambient_hourly", pa.table(amb), origin="import")


def test_every_section_in_scope(world: Any) -> None:
    _fill(world)
    s = world.session
    lake = Lake(get_settings().lake_dir)
    record_meeting(
        s,
        world.admin,
        _case(world),
        parse_meeting(
            "interview", held_at=datetime(2024, 1, 20, 10, tzinfo=CST), place="会议室",
            people=["法定代表人"], content="约谈",
        ),
    )  # fmt: skip
    rep = compute_report(s, city_viewer("甲市"), "monthly", JAN, lake=lake)
    assert [sec.key for sec in rep.sections] == list(SECTION_KEYS)
    assert rep.title == "甲市大气环境监督帮扶月报（2024年1月）"
    overview = dict((r[0], r[1]) for r in rep.section("overview").rows)
    # L1, L2 (EA), L3 (EB), L5 (ED) and the station lead LS of 甲市; not L4 (EC, 乙市)
    assert overview["发现问题线索（条）"] == 5
    assert overview["约谈（次）"] == 1
    fam = {r[0]: r[1] for r in rep.section("leads_family").rows}
    assert sum(fam.values()) == 5 and rep.section("leads_family").chart
    assert {r[0] for r in rep.section("leads_district").rows} == {"一区", "二区", "（无区县）"}
    # loads: only EA's outlet is in 甲市: 24 h × 100 mg/m³ × 1e5 m³/h × 1e-6 = 240 kg in
    # January against 24 × 50 × 1e5 × 1e-6 = 120 kg in the previous 31 days
    [so2] = rep.section("load").rows
    assert (
        so2[0] == "二氧化硫" and so2[1] == pytest.approx(240.0) and so2[2] == pytest.approx(120.0)
    )
    assert so2[3] == "100.0%" and rep.section("load").chart[0][0] == "甲市钢铁有限公司"
    [city] = rep.section("ambient").rows
    assert city[0] == "甲市" and (city[3], city[4]) == (6, 10)  # 6 good days of 10 valid
    [town] = rep.section("townships").rows
    assert town[1] == "东关街道"
    assert rep.section("assistance").note == "本期无数据"
    # another city: its own lead only, its own load (EC), no 甲市 stations
    other = compute_report(s, city_viewer("乙市"), "monthly", JAN, lake=lake)
    assert dict((r[0], r[1]) for r in other.section("overview").rows)["发现问题线索（条）"] == 1
    assert other.section("load").chart[0][0] == "乙市水泥有限公司"
    assert other.section("ambient").rows == [] and other.section("ambient").note == "本期无数据"
    # a week without data: every section there, the empty ones say so
    empty = compute_report(s, city_viewer("甲市"), "weekly", parse_period("weekly", "2025-W10"))
    assert all(sec.rows or sec.note for sec in empty.sections)
    assert empty.section("leads_family").note == "本期无数据"


def _case(world: Any) -> int:
    from lantian.workflow import service as ws

    [case] = ws.dispatch(
        world.session, world.admin, ["L1"], assignee_id=world.city_a.user_id,
        deadline=datetime(2024, 1, 30, tzinfo=CST), now=datetime(2024, 1, 9, tzinfo=CST),
    )  # fmt: skip
    return case.case_id


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def test_pdf_and_workbook_carry_every_section_and_chart(
    world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fpdf import FPDF

    bars: list[tuple[Any, ...]] = []
    rect = FPDF.rect

    def counting_rect(self: FPDF, *args: Any, **kw: Any) -> Any:
        bars.append(args)
        return rect(self, *args, **kw)

    monkeypatch.setattr(FPDF, "rect", counting_rect)
    _fill(world)
    rep = compute_report(
        world.session, city_viewer("甲市"), "monthly", JAN, lake=Lake(get_settings().lake_dir)
    )
    pdf = render_report_pdf(rep)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = _pdf_text(pdf, tmp_path).replace("\n", "")
        for n, sec in enumerate(rep.sections, start=1):
            assert f"{n}. {sec.title}"[:14] in text, sec.title
        assert "甲市钢铁有限公司" in text and "2024-01-01 至 2024-01-31" in text
    # the charts: one filled bar per positive value
    assert len(bars) == sum(1 for sec in rep.sections for _label, v in sec.chart if v > 0)
    wb = load_workbook(io.BytesIO(render_report_xlsx(rep)))
    assert wb.sheetnames[0] == "说明" and len(wb.sheetnames) == 1 + len(SECTION_KEYS)
    charted = [ws for ws in wb.worksheets if ws._charts]
    assert len(charted) == sum(1 for s in rep.sections if s.chart)


def test_archive_hash_schedule_and_scope(world: Any) -> None:
    _fill(world)
    s = world.session
    made = generate(s, world.city_a, "monthly", JAN, actor=world.city_a)
    row = made.row
    assert row.city == "甲市" and row.generated_by == world.city_a.user_id
    assert verify(row) == {"pdf": True, "xlsx": True}
    assert report_file(row, "pdf") == made.pdf
    # scope: the other city's officer and enterprises see nothing of it
    assert [r.report_id for r in list_reports(s, world.city_a)] == [row.report_id]
    assert list_reports(s, world.city_b) == []
    with pytest.raises(NotFound):
        load_report(s, world.city_b, row.report_id)
    with pytest.raises(PermissionDenied):
        list_reports(s, world.ent_a)
    assert load_report(s, world.wg, row.report_id) is not None
    # a changed file is detected
    path = get_settings().reports_dir / f"{row.pdf_sha256}.pdf"
    path.write_bytes(made.pdf + b"\n% changed")
    assert verify(row) == {"pdf": False, "xlsx": True}
    with pytest.raises(ValueError):
        report_file(row, "pdf")
    # the schedule: Monday 2024-01-01 after 06:00 → last week's and last month's reports
    assert due_periods(datetime(2024, 1, 1, 5, tzinfo=CST)) == []
    assert [k for k, _p in due_periods(datetime(2024, 1, 1, 7, tzinfo=CST))] == [
        "weekly",
        "monthly",
    ]
    assert due_periods(datetime(2024, 1, 3, 7, tzinfo=CST)) == []
    new = generate_due(s, datetime(2024, 2, 1, 8, tzinfo=CST))  # a Thursday and the 1st
    # January for the platform and each city of the register (甲市, 乙市)
    assert sorted((r.kind, r.city or "") for r in new) == [
        ("monthly", ""),
        ("monthly", "乙市"),
        ("monthly", "甲市"),
    ]
    assert all(r.generated_by is None and r.period_start == date(2024, 1, 1) for r in new)
    assert generate_due(s, datetime(2024, 2, 1, 9, tzinfo=CST)) == []  # once
    audits = s.scalars(select(AuditLog).where(AuditLog.action == "report.generate")).all()
    assert len(audits) == 4
    assert s.query(ArchivedReport).count() == 4


def test_cli_report(world: Any, tmp_path: Path) -> None:
    _fill(world)
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["report", "--kind", "monthly", "--period", "2024-01", "--jurisdiction", "甲市",
         "--out", str(tmp_path), "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["title"] == "甲市大气环境监督帮扶月报（2024年1月）"
    assert [sec["key"] for sec in data["sections"]] == list(SECTION_KEYS)
    assert len(data["pdf_sha256"]) == 64
    assert (tmp_path / "monthly-2024-01-01-甲市.pdf").read_bytes().startswith(b"%PDF")
    bad = runner.invoke(app, ["report", "--kind", "monthly", "--period", "2024-13"])
    assert bad.exit_code == 2 and "2024-13" in bad.output
    bad = runner.invoke(app, ["report", "--jurisdiction", "火星市"])
    assert bad.exit_code == 2
