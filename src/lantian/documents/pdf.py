"""PDF notices with Chinese text: 交办单 (dispatch notice), 督办单 (supervision notice) and
整改通知书 (rectification notice), rendered with fpdf2 and an embedded Noto Sans CJK SC subset.

Each ``*_pdf`` function checks the user's scope and the case status, and returns the PDF
bytes. The footer carries a verification code (the first 16 hex digits of the SHA-256 of
the notice's content) so a printed notice can be matched to the platform's record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from sqlalchemy.orm import Session

from lantian.auth.errors import InvalidTransition, PermissionDenied
from lantian.auth.models import OFFICER_ROLES, User
from lantian.documents.fonts import FontFace, find_cjk_font
from lantian.registry.vocab import INDUSTRY_LABELS_ZH
from lantian.timeutil import now_cst, to_cst
from lantian.vocab import families as families_vocab
from lantian.workflow.queries import CaseDetail, get_case
from lantian.workflow.states import ESCALATION_LEVELS, state_label

FAMILY_LABELS_ZH: dict[str, str] = families_vocab.FAMILIES.zh_table()
"""Chinese names of the lead families (exchange-format contract)."""


def fmt_time(value: datetime | None, with_time: bool = True) -> str:
    """A CST time as ``2024年01月08日 09:00`` (or the date only)."""
    if value is None:
        return "—"
    v = to_cst(value)
    return v.strftime("%Y年%m月%d日 %H:%M") if with_time else v.strftime("%Y年%m月%d日")


_NO_LINE_START = set("，。、；：！？）》」』”’％,.;:!?)]")


class NoticePDF(FPDF):
    """A4 portrait page with the CJK font and a footer (page, code, generation time)."""

    def __init__(self, code: str, issuer: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._add_cjk("", find_cjk_font(False))
        self._add_cjk("B", find_cjk_font(True))
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(20, 20, 20)
        self.code = code
        self.issuer = issuer
        self.generated = now_cst()
        self.set_creator("Lantian 蓝天")
        self.set_font("cjk", size=11)

    def _add_cjk(self, style: str, face: FontFace) -> None:
        """Add the CJK face. fpdf2 parses the font for every document (about 0.5-1.5 s for
        a .ttc of 65,000 glyphs) and subsets it in place on output, so a parsed font
        cannot be shared between documents."""
        self.add_font("cjk", style, str(face.path), collection_font_number=face.index)

    def output_bytes(self) -> bytes:
        """The PDF as bytes."""
        return bytes(self.output())

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("cjk", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(
            0,
            5,
            f"第 {self.page_no()} 页 · 校验码 {self.code} · 生成于 {fmt_time(self.generated)} "
            f"(北京时间) · 蓝天大气监督帮扶平台",
            align="C",
        )
        self.set_text_color(0, 0, 0)

    # -- building blocks -------------------------------------------------------

    def title_block(self, title: str, number: str) -> None:
        self.set_font("cjk", "B", 18)
        self.cell(0, 12, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=11)
        self.cell(0, 7, number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def wrap_cjk(self, text: str, width: float) -> list[str]:
        """Break ``text`` into lines of at most ``width`` mm, by character, so that no line
        starts with closing punctuation (避头尾, simple form: the character before moves down)."""
        lines: list[str] = []
        for raw in text.split("\n"):
            cur = ""
            for ch in raw:
                if cur and self.get_string_width(cur + ch) > width:
                    if ch in _NO_LINE_START and len(cur) > 1:
                        lines.append(cur[:-1])
                        cur = cur[-1]
                    else:
                        lines.append(cur)
                        cur = ""
                cur += ch
            lines.append(cur)
        return lines

    def para(
        self, text: str, *, size: float = 11, bold: bool = False, indent: bool = False
    ) -> None:
        self.set_font("cjk", "B" if bold else "", size)
        body = ("\u3000\u3000" + text) if indent else text
        width = self.w - self.l_margin - self.r_margin - 2 * self.c_margin - 0.5
        for line in self.wrap_cjk(body, width):
            self.cell(0, 7, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def fields(self, rows: Sequence[tuple[str, str]]) -> None:
        self.set_font("cjk", size=10.5)
        with self.table(
            col_widths=(32, 138),
            text_align=("CENTER", "LEFT"),
            line_height=7,
            first_row_as_headings=False,
            wrapmode=WrapMode.CHAR,
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label)
                row.cell(value or "—")
        self.ln(3)

    def grid(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        self.set_font("cjk", size=9)
        with self.table(col_widths=tuple(widths), line_height=6, wrapmode=WrapMode.CHAR) as table:
            head = table.row()
            for h in headers:
                head.cell(h)
            for r in rows:
                row = table.row()
                for v in r:
                    row.cell(v or "—")
        self.ln(3)

    def signature(self, issuer: str, when: datetime) -> None:
        self.ln(6)
        self.set_font("cjk", size=11)
        self.cell(0, 7, f"{issuer}（盖章）", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(
            0, 7, fmt_time(when, with_time=False), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


@dataclass(frozen=True)
class RenderedNotice:
    """A rendered notice: PDF bytes, a file name and the verification code."""

    pdf: bytes
    filename: str
    code: str
    text: str


def _code(parts: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16].upper()


def _issuer(detail: CaseDetail) -> str:
    city = detail.case.city or ""
    district = detail.case.district or ""
    return f"{city}{district}生态环境局" if city else "生态环境主管部门"


def _lead_rows(detail: CaseDetail) -> list[list[str]]:
    return [
        [
            lead.lead_id,
            FAMILY_LABELS_ZH.get(lead.family, lead.family),
            f"{fmt_time(lead.start)}\n至 {fmt_time(lead.end)}",
            lead.summary,
        ]
        for lead in detail.leads
    ]


def _enterprise_fields(detail: CaseDetail) -> list[tuple[str, str]]:
    ent = detail.enterprise
    if ent is None:
        return [("对象", f"{detail.case.subject_type} {detail.case.subject_id}")]
    region = "".join(x for x in (ent.city, ent.district, ent.township) if x)
    return [
        ("企业名称", ent.name),
        ("统一社会信用代码", ent.credit_code),
        ("行业", INDUSTRY_LABELS_ZH.get(ent.industry, ent.industry)),
        ("所在地", region),
        ("绩效分级", ent.grade or "未分级"),
        ("正面清单", "是（优先非现场核查，无事不扰）" if ent.positive_list else "否"),
    ]


def _render(
    title: str,
    number: str,
    detail: CaseDetail | str,
    build: list[tuple[str, object]],
    filename: str,
) -> RenderedNotice:
    issuer = detail if isinstance(detail, str) else _issuer(detail)
    texts = [title, number] + [str(v) for _k, v in build]
    code = _code(texts)
    pdf = NoticePDF(code, issuer)
    pdf.set_title(f"{title} {number}")
    pdf.add_page()
    pdf.title_block(title, number)
    for kind, value in build:
        if kind == "fields":
            pdf.fields(value)  # type: ignore[arg-type]
        elif kind == "heading":
            pdf.para(str(value), bold=True, size=12)
        elif kind == "para":
            pdf.para(str(value), indent=True)
        elif kind == "leads":
            pdf.grid(("线索编号", "问题类型", "时段", "线索概述"), value, (30, 26, 40, 74))  # type: ignore[arg-type]
        elif kind == "checklist":
            pdf.grid(("序号", "检查内容", "依据", "自查结果"), value, (14, 96, 40, 20))  # type: ignore[arg-type]
        elif kind == "sign":
            pdf.signature(issuer, value)  # type: ignore[arg-type]
    return RenderedNotice(pdf.output_bytes(), filename, code, "\n".join(texts))


def dispatch_notice_pdf(session: Session, user: User, case_id: int) -> RenderedNotice:
    """交办单 of a dispatched case (officers only)."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("交办单 is an internal document")
    d = get_case(session, user, case_id)
    c = d.case
    if c.dispatched_at is None:
        raise InvalidTransition(f"case {case_id} has not been dispatched")
    number = f"交办〔{to_cst(c.dispatched_at).year}〕第{c.case_id:06d}号"
    assignee = d.assignee.display_name if d.assignee else "—"
    build: list[tuple[str, object]] = [
        (
            "fields",
            [
                *_enterprise_fields(d),
                ("承办人", assignee),
                ("交办时间", fmt_time(c.dispatched_at)),
                ("办理时限", fmt_time(c.deadline)),
                ("当前状态", state_label(c.status)),
            ],
        ),
        ("heading", "一、问题线索"),
        ("leads", _lead_rows(d)),
        ("heading", "二、办理要求"),
        (
            "para",
            "请承办人在办理时限前完成核查：正面清单企业优先采用非现场方式核查，确需现场检查的应说明理由。"
            "核查情况（检查记录、照片、定位）须在平台如实填报，并认定问题属实或误报。",
        ),
        (
            "para",
            "问题属实的，应督促企业立行立改；不能立即整改的，报请下达督办单，拉条挂账、限期整改，"
            "整改完成后组织复核，复核通过后销号。逾期未办结的，平台将自动提级督办。",
        ),
        ("sign", c.dispatched_at),
    ]
    return _render("大气环境问题线索交办单", number, d, build, f"交办单-{c.case_id:06d}.pdf")


def supervision_notice_pdf(session: Session, user: User, case_id: int) -> RenderedNotice:
    """督办单 of a case under a supervision order (officers and the enterprise)."""
    d = get_case(session, user, case_id)
    c = d.case
    if c.fix_path != "supervision_order":
        raise InvalidTransition(f"case {case_id} is not under a supervision order")
    number = f"督办〔{to_cst(c.updated_at).year}〕第{c.case_id:06d}号"
    level = ESCALATION_LEVELS[c.escalation_level - 1][1] if c.escalation_level else "—"
    build: list[tuple[str, object]] = [
        (
            "fields",
            [
                *_enterprise_fields(d),
                ("问题认定", c.finding or "—"),
                ("认定时间", fmt_time(c.judged_at)),
                ("整改时限", fmt_time(c.rectify_deadline)),
                ("当前状态", state_label(c.status)),
                ("逾期提级", level),
            ],
        ),
        ("heading", "一、问题线索"),
        ("leads", _lead_rows(d)),
        ("heading", "二、督办要求"),
        (
            "para",
            "上述问题经核查属实，现予以督办。请属地生态环境部门督促企业制定整改方案，明确整改措施、"
            "责任人和完成时限，拉条挂账、逐项销号。",
        ),
        (
            "para",
            f"企业应于{fmt_time(c.rectify_deadline, with_time=False)}前完成整改，并通过平台提交"
            "整改说明和佐证材料（照片、检测报告、运行记录等）。逾期未完成的，将提级督办并视情通报。",
        ),
        ("sign", c.updated_at),
    ]
    return _render("大气环境问题督办单", number, d, build, f"督办单-{c.case_id:06d}.pdf")


def rectification_notice_pdf(session: Session, user: User, case_id: int) -> RenderedNotice:
    """整改通知书 to the enterprise of a confirmed case (officers and the enterprise)."""
    d = get_case(session, user, case_id)
    c = d.case
    if c.fix_path is None:
        raise InvalidTransition(f"case {case_id}: choose 立行立改 or 督办 first")
    ent_name = d.enterprise.name if d.enterprise else "相关单位"
    number = f"整改〔{to_cst(c.updated_at).year}〕第{c.case_id:06d}号"
    if c.fix_path == "immediate_fix":
        when = "立即整改（立行立改），整改完成后提交佐证材料"
    else:
        when = f"于{fmt_time(c.rectify_deadline, with_time=False)}前完成整改"
    build: list[tuple[str, object]] = [
        ("para", f"{ent_name}："),
        ("para", f"经核查，你单位存在以下问题：{c.finding or c.title}。"),
        ("leads", _lead_rows(d)),
        (
            "para",
            f"请你单位{when}，并通过蓝天平台企业端提交整改说明及照片等佐证材料。"
            "我局将对整改情况进行复核，复核通过后予以销号；整改不到位的，将退回重新整改。",
        ),
        (
            "para",
            "对首次违法且危害后果轻微并及时改正的，可依法不予行政处罚（首违不罚）；"
            "如有疑问，请与承办人联系。",
        ),
        ("sign", c.updated_at),
    ]
    return _render("整改通知书", number, d, build, f"整改通知书-{c.case_id:06d}.pdf")


def notice_pdf(session: Session, user: User, notice_id: int) -> RenderedNotice:
    """环境隐患提示函 or 检查预告知书 (with the self-inspection checklist, if any)."""
    from lantian.auth.visibility import load_visible
    from lantian.registry.models import Enterprise
    from lantian.workflow.models import ChecklistTemplate, Notice

    notice: Notice = load_visible(session, user, "notice", notice_id)
    ent = session.get(Enterprise, notice.enterprise_id)
    assert ent is not None
    issuer = f"{ent.city or ''}{ent.district or ''}生态环境局" if ent.city else "生态环境主管部门"
    year = to_cst(notice.issued_at).year
    if notice.kind == "hazard":
        title, number = "环境隐患提示函", f"提示〔{year}〕第{notice.notice_id:06d}号"
    else:
        title, number = "生态环境行政检查预告知书", f"预告〔{year}〕第{notice.notice_id:06d}号"
    build: list[tuple[str, object]] = [("para", f"{ent.name}：")]
    build.append(("para", notice.body))
    if notice.kind == "pre_notification":
        build.append(
            (
                "fields",
                [
                    ("检查时间", fmt_time(notice.inspection_at)),
                    ("检查对象", ent.name),
                    ("事项", notice.title),
                ],
            )
        )
        build.append(
            (
                "para",
                "请你单位在检查前对照下表开展自查，自查发现的问题请及时整改，"
                "并通过平台提交自查结果。",
            )
        )
    tpl = session.get(ChecklistTemplate, notice.template_id) if notice.template_id else None
    if tpl is not None:
        build.append(("heading", tpl.title))
        rows = [
            [str(i), str(item["text"]), str(item.get("basis", "")), "□是 □否"]
            for i, item in enumerate(tpl.items, start=1)
        ]
        build.append(("checklist", rows))
    if notice.kind == "hazard":
        build.append(
            (
                "para",
                "上述情况尚未造成环境污染，但存在环境风险隐患。请你单位高度重视，"
                "及时排查整改，并将整改情况反馈我局。",
            )
        )
    build.append(("sign", notice.issued_at))
    return _render(title, number, issuer, build, f"{title}-{notice.notice_id:06d}.pdf")
