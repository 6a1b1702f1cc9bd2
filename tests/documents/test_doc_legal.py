"""Every notice kind as a legal office reads it (pdftotext): the issuing authority is the
issuing officer's bureau, 交办/督办 are addressed to the right bureau, provisions and the
standard are cited, numbers run per kind and year, no doubled punctuation, no date or time
split over two lines, the 预告知书 carries its self-check table, and no leniency wording
without an assessment."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy.orm import Session
from tests._zh_scan import assert_clean_zh

from lantian.documents.numbering import issue_number, number_text
from lantian.documents.pdf import (
    NoticePDF,
    RenderedNotice,
    clean_punct,
    dispatch_notice_pdf,
    notice_pdf,
    rectification_notice_pdf,
    supervision_notice_pdf,
)
from lantian.timeutil import now_cst
from lantian.workflow import service as wf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)

DATE = re.compile(r"\d{4}年\d{2}月\d{2}日")
DATETIME = re.compile(r"\d{4}年\d{2}月\d{2}日\s+\d{2}:\d{2}")
NUMBER = re.compile(r"(交办|督办|整改|提示|预告)〔(\d{4})〕第(\d+)号")


def _lines(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "n.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def _flat(lines: list[str]) -> str:
    return "".join("".join(lines).split())


def _check_common(n: RenderedNotice, tmp_path: Path, prefix: str) -> str:
    """Properties every notice has; returns its flattened text."""
    lines = _lines(n.pdf, tmp_path)
    text = _flat(lines)
    # numbered per kind in the usual form, printed under the title
    m = NUMBER.fullmatch(n.number)
    assert m is not None and m.group(1) == prefix, n.number
    assert n.number in text
    # signed by the issuing authority
    assert f"{n.issuer}（盖章）" in text
    # no doubled punctuation
    assert not re.search(r"[。，、；：][。，、；：.,;:]", text), text
    # every date and time of the content is on one line (plus one in each page footer)
    pages = len(re.findall(r"第\d+页·校验码", text))
    assert pages >= 1
    per_line_dates = sum(len(DATE.findall(line)) for line in lines)
    per_line_times = sum(len(DATETIME.findall(line)) for line in lines)
    assert per_line_dates == len(DATE.findall(n.text)) + pages, "a date split over two lines"
    assert per_line_times == len(DATETIME.findall(n.text)) + pages, "a time split over two lines"
    # the law and the standard are cited
    assert "《中华人民共和国大气污染防治法》第" in text
    assert "执行标准：GB" in text
    # no leniency wording without an assessment
    assert "首违不罚" not in text and "不予行政处罚" not in text
    # no internals: keys, reprs, bare factor codes, untranslated English
    assert_clean_zh("\n".join(lines), where=f"{prefix} notice")
    return text


def _confirmed_case(s: Session, w: Any, finding: str = "脱硫设施停运，二氧化硫超标2.05倍。") -> Any:
    """A case of 甲市钢铁 (甲市一区), dispatched by the city officer to the district officer,
    checked and confirmed by the district officer."""
    lead = W.new_lead(s, "EA")
    case = wf.open_case(s, w.city_a, [lead.lead_id])
    wf.dispatch(
        s,
        w.city_a,
        case_ids=[case.case_id],
        assignee_id=w.district_a1.user_id,
        deadline=now_cst() + timedelta(days=5),
    )
    wf.start_check(s, w.district_a1, case.case_id, mode="remote")
    wf.record_remote_check(s, w.district_a1, case.case_id, notes="调阅在线监测数据")
    wf.judge(s, w.district_a1, case.case_id, confirmed=True, finding=finding)
    return case


def test_every_notice_kind_reads_as_a_legal_document(world: Any, tmp_path: Path) -> None:
    s, w = world.session, world
    case = _confirmed_case(s, w)
    wf.choose_fix_path(
        s,
        w.city_a,
        case.case_id,
        "supervision_order",
        rectify_deadline=now_cst() + timedelta(days=20),
    )

    # 交办单: the city officer dispatched, so the city bureau signs; addressed to the district
    d = dispatch_notice_pdf(s, w.city_a, case.case_id)
    assert d.issuer == "甲市生态环境局"
    text = _check_common(d, tmp_path, "交办")
    assert "交办单位甲市生态环境局" in text and "承办单位甲市一区生态环境局" in text
    assert "甲市一区生态环境局（盖章）" not in text

    # 督办单: from the supervising city bureau to the responsible district bureau
    sup = supervision_notice_pdf(s, w.ent_a, case.case_id)
    assert sup.issuer == "甲市生态环境局"
    text = _check_common(sup, tmp_path, "督办")
    assert "甲市一区生态环境局：" in text
    assert "督办单位甲市生态环境局" in text and "责任单位甲市一区生态环境局" in text
    assert "请甲市一区生态环境局督促甲市钢铁有限公司" in text
    assert "请甲市生态环境局督促" not in text and "请属地" not in text

    # 整改通知书: provision, penalty and standard cited; the finding's 。 not doubled
    rect = rectification_notice_pdf(s, w.ent_a, case.case_id)
    text = _check_common(rect, tmp_path, "整改")
    assert "二氧化硫超标2.05倍，违反了《中华人民共和国大气污染防治法》第十八条的规定。" in text
    assert "应当符合大气污染物排放标准" in text  # the article's text
    assert "第九十九条第（二）项" in text
    assert "GB28662-2012《钢铁烧结、球团工业大气污染物排放标准》" in text
    assert "认定依据：HJ76-2017" in text  # the rule's registered clause

    # with a leniency assessment, its wording (and only then)
    lenient = rectification_notice_pdf(
        s,
        w.ent_a,
        case.case_id,
        leniency_text="经裁量评估，你单位符合首违不罚条件，可以不予行政处罚。",
    )
    assert "符合首违不罚条件" in _flat(_lines(lenient.pdf, tmp_path))

    # 立行立改 chosen by the district officer: its bureau issues the 整改通知书
    imm = _confirmed_case(s, w, finding="料场未苫盖")
    wf.choose_fix_path(s, w.district_a1, imm.case_id, "immediate_fix")
    r2 = rectification_notice_pdf(s, w.district_a1, imm.case_id)
    assert r2.issuer == "甲市一区生态环境局"
    text = _check_common(r2, tmp_path, "整改")
    assert "立即整改（立行立改），最迟于" in text

    # 提示函 and 预告知书, issued by the city officer
    hz = wf.issue_notice(s, w.city_a, "hazard", "EA", title="料场扬尘", body="你单位料场未苫盖。")
    pre = wf.issue_notice(
        s,
        w.city_a,
        "pre_notification",
        "ED",
        title="锅炉废气排放检查",
        body="我局将对你单位开展行政检查。",
        inspection_at=now_cst() + timedelta(days=3),
    )
    n_hz = notice_pdf(s, w.city_a, hz.notice_id)
    text = _check_common(n_hz, tmp_path, "提示")
    assert n_hz.issuer == "甲市生态环境局" and "第十八条" in text
    n_pre = notice_pdf(s, w.ent_a if False else w.city_a, pre.notice_id)
    text = _check_common(n_pre, tmp_path, "预告")
    assert "第二十九条" in text and "GB13271-2014《锅炉大气污染物排放标准》" in text
    # the self-check table of the industry (industrial boiler on-site checklist)
    assert "对照下表开展自查" in text and "自查表" in text
    assert "序号检查内容依据自查结果" in text and "□是□否" in text

    # numbering: counters per kind and year, the first of each kind is 第1号
    year = now_cst().year
    assert d.number == f"交办〔{year}〕第1号"
    assert sup.number == f"督办〔{year}〕第1号"
    assert rect.number == f"整改〔{year}〕第1号" and r2.number == f"整改〔{year}〕第2号"
    assert n_hz.number == f"提示〔{year}〕第1号" and n_pre.number == f"预告〔{year}〕第1号"
    assert dispatch_notice_pdf(s, w.city_a, imm.case_id).number == f"交办〔{year}〕第2号"
    # a document keeps its number when printed again
    assert supervision_notice_pdf(s, w.city_a, case.case_id).number == sup.number


def test_numbers_survive_a_concurrent_allocation(world: Any, db_settings: Any) -> None:
    """Two transactions numbering the same kind at once: the later insert clashes on the
    unique (kind, year, seq) constraint and takes the next number."""
    from lantian.db.session import session_factory

    s = world.session
    s.commit()
    other = session_factory(db_settings)()
    real_scalar = s.scalar
    calls = {"n": 0}

    def racing_scalar(stmt: Any, *a: Any, **kw: Any) -> Any:
        result = real_scalar(stmt, *a, **kw)
        calls["n"] += 1
        if calls["n"] == 2:  # after reading max(seq), before inserting: the other one wins
            issue_number(other, "hazard", 9001)
            other.commit()
        return result

    try:
        s.scalar = racing_scalar  # type: ignore[method-assign]
        mine = issue_number(s, "hazard", 9002)
    finally:
        s.scalar = real_scalar  # type: ignore[method-assign]
        other.close()
    year = now_cst().year
    assert number_text(mine) == f"提示〔{year}〕第2号"


def test_wrapping_never_splits_a_time() -> None:
    pdf = NoticePDF("X", "甲市生态环境局")
    pdf.add_page()
    pdf.set_font("cjk", size=11)
    for pad in range(0, 40):
        text = "企" * pad + "应于2026年12月03日 23:59前完成整改，依据GB 13223-2011表1。"
        lines = pdf.wrap_cjk(text, 60)
        assert sum(len(DATETIME.findall(x)) for x in lines) == 1, lines
        assert sum(x.count("GB 13223-2011") for x in lines) == 1, lines
        assert not any(x.startswith(("，", "。")) for x in lines), lines
    assert clean_punct("问题属实。。") == "问题属实。"
    assert clean_punct("如下：，") == "如下："
