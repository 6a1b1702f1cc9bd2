"""PDF notices: the expected Chinese text is in the PDF (checked with pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest

from lantian.auth.errors import InvalidTransition
from lantian.documents.fonts import find_cjk_font
from lantian.documents.pdf import (
    dispatch_notice_pdf,
    rectification_notice_pdf,
    supervision_notice_pdf,
)

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "n.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return "".join(out.stdout.split())  # layout spacing is irrelevant


def test_font_is_found() -> None:
    face = find_cjk_font()
    assert face.path.is_file()


def test_notices_contain_the_case(world: Any, tmp_path: Path) -> None:
    s = world.session
    case = W.drive(s, world, "supervision_order")
    d = dispatch_notice_pdf(s, world.city_a, case.case_id)
    text = _text(d.pdf, tmp_path)
    for expected in (
        "大气环境问题线索交办单",
        "交办〔",
        "交办〔",
        "〕第1号",
        "甲市钢铁有限公司",
        "91130100MA0000001A",
        "办理时限",
        "超标排放",
        "二氧化硫折算浓度超标",
        d.code,
    ):
        assert expected in text, expected
    sup = supervision_notice_pdf(s, world.ent_a, case.case_id)
    text = _text(sup.pdf, tmp_path)
    for expected in ("大气环境问题督办单", "脱硫设施停运", "整改时限", "督办要求"):
        assert expected in text, expected
    rect = rectification_notice_pdf(s, world.ent_a, case.case_id)
    text = _text(rect.pdf, tmp_path)
    assert "整改通知书" in text and "甲市钢铁有限公司：" in text and "脱硫设施停运" in text
    assert d.code != sup.code != rect.code


def test_notices_need_the_right_status(world: Any) -> None:
    s = world.session
    new = W.drive(s, world, "new")
    with pytest.raises(InvalidTransition):
        dispatch_notice_pdf(s, world.admin, new.case_id)
    imm = W.drive(s, world, "immediate_fix")
    with pytest.raises(InvalidTransition):
        supervision_notice_pdf(s, world.admin, imm.case_id)
    assert rectification_notice_pdf(s, world.admin, imm.case_id).pdf.startswith(b"%PDF")


def test_pdf_renders_chinese_glyphs(world: Any, tmp_path: Path) -> None:
    """Rasterise the notice and check the title area has ink (not an empty/box-less page)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed")
    s = world.session
    case = W.drive(s, world, "dispatched")
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(dispatch_notice_pdf(s, world.admin, case.case_id).pdf)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    pgm = next(tmp_path.glob("p*.pgm")).read_bytes()
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts and "yes" in fonts  # embedded (subset) font
    assert pgm.count(b"\x00") + pgm.count(b"\x10") > 50  # dark pixels: text was drawn


def test_pre_notification_with_checklist(world: Any, tmp_path: Path) -> None:
    from datetime import timedelta

    from lantian.auth.errors import NotFound
    from lantian.documents.pdf import notice_pdf
    from lantian.workflow.service import issue_notice

    s = world.session
    n = issue_notice(
        s,
        world.city_a,
        "pre_notification",
        "EA",
        title="大气污染防治专项检查",
        body="根据年度检查计划，我局拟对你单位开展大气污染防治专项检查。",
        template_id="steel-onsite-v1",
        inspection_at=W.T0 + timedelta(days=14),
    )
    r = notice_pdf(s, world.ent_a, n.notice_id)
    text = _text(r.pdf, tmp_path)
    for expected in (
        "生态环境行政检查预告知书",
        "甲市钢铁有限公司：",
        "钢铁企业大气污染防治现场检查表",
        "原料场、料棚封闭",
        "2024年01月22日",
    ):
        assert expected in text, expected
    with pytest.raises(NotFound):
        notice_pdf(s, world.ent_b, n.notice_id)
    h = issue_notice(
        s,
        world.city_a,
        "hazard",
        "EA",
        title="隐患提示",
        body="经远程核查，你单位1号除尘器压差持续偏低。",
    )
    assert "环境隐患提示函" in _text(notice_pdf(s, world.city_a, h.notice_id).pdf, tmp_path)
