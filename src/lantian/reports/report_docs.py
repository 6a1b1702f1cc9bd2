"""A periodic report as a PDF with bar charts and as an Excel workbook with native charts.

The PDF uses the notices' A4 machinery (:class:`lantian.documents.pdf.NoticePDF`: CJK font,
page footer with a verification code and the CST generation time); each section is a
numbered heading, its bar chart (drawn with the PDF's own vector primitives), its table
and its note. The workbook has a cover sheet and one sheet per section, written safely
(:mod:`lantian.documents.cells`: text never becomes a formula), with an Excel bar chart on
the sheets that have chart data.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from typing import Any

from lantian.reports.periodic import Report, Section, report_json

BAR_COLOURS: tuple[tuple[int, int, int], ...] = ((31, 78, 140), (68, 130, 195))
CHART_MAX_BARS = 12
SHEET_NAME_MAX = 31


def report_code(report: Report) -> str:
    """Verification code printed on every page: a hash of the report's content."""
    text = json.dumps(report_json(report) | {"generated_at": ""}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()


def _bar_chart(pdf: Any, title: str, data: list[tuple[str, float]]) -> None:
    """Horizontal bars: label, bar scaled to the largest value, the value."""
    data = data[:CHART_MAX_BARS]
    if not data or max(v for _l, v in data) <= 0:
        return
    label_w, value_w, bar_h, gap = 42.0, 18.0, 4.6, 1.6
    left = pdf.l_margin
    width = pdf.w - pdf.l_margin - pdf.r_margin
    bar_w = width - label_w - value_w
    need = 8 + len(data) * (bar_h + gap) + 4
    if pdf.get_y() + need > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font("cjk", "B", 9.5)
    pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 1
    biggest = max(v for _l, v in data)
    pdf.set_font("cjk", size=8.5)
    pdf.set_draw_color(190, 198, 208)
    pdf.line(left + label_w, top - 0.5, left + label_w, top + len(data) * (bar_h + gap))
    for i, (label, value) in enumerate(data):
        y = top + i * (bar_h + gap)
        text = label
        while text and pdf.get_string_width(text) > label_w - 2:
            text = text[:-1]
        if text != label:
            text = text[:-1] + "…"
        pdf.set_xy(left, y)
        pdf.cell(label_w - 2, bar_h, text, align="R")
        r, g, b = BAR_COLOURS[i % 2]
        pdf.set_fill_color(r, g, b)
        length = max(bar_w * (value / biggest), 0.4) if value > 0 else 0.0
        if length:
            pdf.rect(left + label_w, y, length, bar_h, style="F")
        pdf.set_xy(left + label_w + length + 1, y)
        shown = f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.2f}"
        pdf.cell(value_w, bar_h, shown)
    pdf.set_y(top + len(data) * (bar_h + gap) + 3)
    pdf.set_fill_color(255, 255, 255)


def _widths(section: Section, total: float) -> list[float]:
    n = len(section.headers)
    if n == 1:
        return [total]
    first = min(62.0, total * 0.4) if n > 2 else total * 0.6
    rest = (total - first) / (n - 1)
    return [first] + [rest] * (n - 1)


def _table(pdf: Any, section: Section) -> None:
    total = pdf.w - pdf.l_margin - pdf.r_margin
    widths = _widths(section, total)
    rows = [["" if v is None else str(v) for v in r] for r in section.rows]
    pdf.grid(section.headers, rows, widths)


def render_report_pdf(report: Report) -> bytes:
    """The report as an A4 PDF: title, scope and period, then every section in order."""
    from lantian.documents.pdf import NoticePDF, fmt_time

    pdf = NoticePDF(report_code(report), "蓝天大气监督帮扶平台")
    pdf.set_title(report.title)
    pdf.add_page()
    last = report.period.end - timedelta(days=1)
    pdf.title_block(report.title, f"{report.period.start} 至 {last}")
    pdf.para(
        f"统计范围：{report.jurisdiction}。统计时段：{report.period.label}"
        f"（北京时间 {report.period.start} 00:00 至 {report.period.end} 00:00）。"
        f"生成时间：{fmt_time(report.generated_at)}。",
        size=10,
    )
    pdf.ln(2)
    for n, s in enumerate(report.sections, start=1):
        if pdf.get_y() > pdf.h - pdf.b_margin - 40:
            pdf.add_page()
        pdf.para(f"{n}. {s.title}", bold=True, size=12)
        if s.chart:
            _bar_chart(pdf, s.chart_title or s.title, s.chart)
        if s.rows:
            _table(pdf, s)
        if s.note:
            pdf.para(s.note, size=9.5)
        pdf.ln(2)
    return pdf.output_bytes()


def render_report_xlsx(report: Report) -> bytes:
    """The report as a workbook: 说明 (cover), then one sheet per section with its chart."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    from lantian.documents.cells import neutralize_row, safe_values

    wb = Workbook()
    cover = wb.active
    cover.title = "说明"
    for row in (
        ["报告", report.title],
        ["统计范围", report.jurisdiction],
        ["统计时段", f"{report.period.start} 至 {report.period.end - timedelta(days=1)}"],
        ["生成时间（北京时间）", report.generated_at.strftime("%Y-%m-%d %H:%M")],
        ["校验码", report_code(report)],
    ):
        cover.append(safe_values(row))
        neutralize_row(cover[cover.max_row])
    cover.column_dimensions["A"].width = 22
    cover.column_dimensions["B"].width = 60
    used: set[str] = {"说明"}
    for n, s in enumerate(report.sections, start=1):
        name = f"{n}.{s.title}"[:SHEET_NAME_MAX]
        for bad in "[]:*?/\\":
            name = name.replace(bad, " ")
        while name in used:
            name = name[:-1] + "_"
        used.add(name)
        ws = wb.create_sheet(name)
        ws.append(safe_values(s.headers))
        neutralize_row(ws[1])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in s.rows:
            ws.append(safe_values(list(r)))
            neutralize_row(ws[ws.max_row])
        if s.note:
            ws.append([])
            ws.append(safe_values([s.note]))
            neutralize_row(ws[ws.max_row])
        for col in ws.columns:
            width = max((len(str(c.value)) for c in col[:200] if c.value is not None), default=8)
            ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 50)
        if s.chart:
            start = ws.max_row + 2
            ws.cell(row=start, column=1, value="图表数据")
            for i, (label, value) in enumerate(s.chart, start=1):
                ws.cell(row=start + i, column=1, value=safe_values([label])[0])
                ws.cell(row=start + i, column=2, value=value)
            chart = BarChart()
            chart.type = "bar"
            chart.title = s.chart_title or s.title
            chart.legend = None
            data = Reference(ws, min_col=2, min_row=start + 1, max_row=start + len(s.chart))
            cats = Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(s.chart))
            chart.add_data(data, titles_from_data=False)
            chart.set_categories(cats)
            chart.height = max(6.0, 0.7 * len(s.chart) + 2)
            ws.add_chart(chart, f"{chr(ord('A') + len(s.headers) + 1)}2")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["render_report_pdf", "render_report_xlsx", "report_code"]
