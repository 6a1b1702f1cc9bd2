"""PDF notices with Chinese text: 交办单 (dispatch notice), 督办单 (supervision notice),
整改通知书 (rectification notice), 环境隐患提示函 and 检查预告知书, rendered with fpdf2 and an
embedded Noto Sans CJK SC subset.

Each ``*_pdf`` function checks the user's scope and the case status, and returns the PDF
bytes. The footer carries a verification code (the first 16 hex digits of the SHA-256 of
the notice's content) so a printed notice can be matched to the platform's record.

What a legal office checks, and where it comes from:

- issuing authority: the bureau of the officer who issued the document (交办: who
  dispatched; 督办: who ordered it, the city bureau when the scheduled job converted an
  overdue 立行立改; 整改通知书: who chose the fix path; 提示函/预告知书: who issued it);
- addressee: 交办单 → the assignee's bureau; 督办单 → the responsible (属地) bureau of the
  case, never the issuing bureau itself (a case without a lower bureau is addressed to the
  enterprise);
- citations: the violated provision and the penalty provision with their text, and the
  emission standard of the industry (:mod:`lantian.documents.provisions`), and the rule's
  registered clause;
- numbers per kind and year (:mod:`lantian.documents.numbering`);
- leniency wording (首违不罚) only from a leniency assessment (``leniency_text``);
- no doubled punctuation; dates and times are never split over two lines.

References
----------
.. [1] GB/T 9704-2012 党政机关公文格式 (发文字号 with 〔〕, 成文日期, 盖章).
.. [2] 《中华人民共和国行政处罚法》(2021) 第三十三条 (首违不罚: only where the conditions
       are met, which is the leniency assessment's decision, not the notice's).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from sqlalchemy.orm import Session

from lantian.auth.errors import InvalidTransition, PermissionDenied
from lantian.auth.models import OFFICER_ROLES, User
from lantian.documents.fonts import FontFace, find_cjk_font
from lantian.documents.numbering import issue_number, number_text
from lantian.documents.provisions import (
    ART_18,
    ART_29,
    Provision,
    standard_for,
    violation_for,
)
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


_NO_LINE_START = set("，。、；：！？）》」』”’％,.;:!?)]〕")

_KEEP_TOGETHER = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日(?: \d{1,2}:\d{2})?"  # 2026年12月03日 09:00
    r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?"
    r"|〔\d{4}〕第?\d+号"
    r"|[A-Za-z0-9][A-Za-z0-9.\-/×%]*"  # GB 13223-2011, 2.05×, a21026
)
"""Tokens a line break must not split (dates with their time, numbers, document numbers)."""


def _tokens(text: str) -> list[str]:
    """``text`` as wrap units: :data:`_KEEP_TOGETHER` matches whole, anything else by
    character."""
    out: list[str] = []
    pos = 0
    for m in _KEEP_TOGETHER.finditer(text):
        out.extend(text[pos : m.start()])
        out.append(m.group(0))
        pos = m.end()
    out.extend(text[pos:])
    return out


_DOUBLED = re.compile(r"([。，、；：！？])[。，、；：！？.,;:!?]+")


def clean_punct(text: str) -> str:
    """Collapse doubled punctuation (``问题属实。。`` → ``问题属实。``)."""
    return _DOUBLED.sub(r"\1", text)


def sentence(text: str) -> str:
    """``text`` ending with exactly one 。 (trailing punctuation of the input dropped)."""
    return text.strip().rstrip("。.；;，,、 ") + "。"


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
        """Break ``text`` into lines of at most ``width`` mm so that no line starts with
        closing punctuation (避头尾, simple form: the token before moves down) and no date,
        time, number or Latin word is split (:data:`_KEEP_TOGETHER` tokens stay whole)."""
        lines: list[str] = []
        for raw in text.split("\n"):
            cur: list[str] = []
            for tok in _tokens(raw):
                if cur and self.get_string_width("".join(cur) + tok) > width:
                    if tok[0] in _NO_LINE_START and len(cur) > 1:
                        lines.append("".join(cur[:-1]))
                        cur = [cur[-1]]
                    else:
                        lines.append("".join(cur))
                        cur = []
                    tok = tok.lstrip(" ") or tok
                cur.append(tok)
            lines.append("".join(cur))
        return lines

    def para(
        self, text: str, *, size: float = 11, bold: bool = False, indent: bool = False
    ) -> None:
        self.set_font("cjk", "B" if bold else "", size)
        text = clean_punct(text)
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
                row.cell(self.prewrap(clean_punct(value or "—"), 138))
        self.ln(3)

    def prewrap(self, text: str, col_mm: float) -> str:
        """``text`` with line breaks where a table cell of ``col_mm`` mm would break it, so
        that the table never splits a date, time or number (the current font is used)."""
        return "\n".join(self.wrap_cjk(text, col_mm - 2 * self.c_margin - 2.5))

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
                for v, w in zip(r, widths, strict=True):
                    row.cell(self.prewrap(clean_punct(v or "—"), w))
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
    """A rendered notice: PDF bytes, a file name, the verification code, the source text
    of its content and its document number."""

    pdf: bytes
    filename: str
    code: str
    text: str
    number: str = ""
    issuer: str = ""


def _code(parts: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16].upper()


WORK_GROUP_BUREAU = "生态环境部大气污染防治监督帮扶工作组"
"""Issuing body of documents issued by a work-group account."""


def region_bureau(city: str | None, district: str | None = None) -> str:
    """生态环境局 of a city (``district`` None) or of a district of a city."""
    if not city:
        return "生态环境主管部门"
    return f"{city}{district or ''}生态环境局"


def bureau_of(user: User | None, city: str | None, district: str | None = None) -> str:
    """The bureau an officer acts for: a district officer's district bureau, a city
    officer's city bureau, the work group; an admin or the system (``None``) act for the
    city bureau of the case's ``city``."""
    if user is not None:
        if user.role == "district_officer" and user.city:
            return region_bureau(user.city, user.district)
        if user.role == "city_officer" and user.city:
            return region_bureau(user.city)
        if user.role == "work_group":
            return WORK_GROUP_BUREAU
    return region_bureau(city)


def _actor_of(session: Session, case_id: int, actions: Sequence[str]) -> User | None:
    """The user of the latest event ``actions`` of the case (None: the system, or none)."""
    from sqlalchemy import select

    from lantian.workflow.models import CaseEvent

    actor_id = session.scalar(
        select(CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id, CaseEvent.action.in_(list(actions)))
        .order_by(CaseEvent.at.desc(), CaseEvent.event_id.desc())
        .limit(1)
    )
    return session.get(User, actor_id) if actor_id is not None else None


def _lead_rows(detail: CaseDetail) -> list[list[str]]:
    return [
        [
            lead.lead_id,
            FAMILY_LABELS_ZH.get(lead.family, lead.family),
            f"{fmt_time(lead.start)}\n至{fmt_time(lead.end)}",
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


_POLLUTANT_LIMIT_COLUMNS = {"a34013": "limit_pm", "a21026": "limit_so2", "a21002": "limit_nox"}
_POLLUTANT_NAMES_ZH = {"a34013": "颗粒物", "a21026": "二氧化硫", "a21002": "氮氧化物"}


def _outlet_limit(session: Session, detail: CaseDetail) -> str | None:
    """``该排放口二氧化硫执行限值 100 mg/m³`` when the case's subject is an outlet with a
    registered limit for the case's pollutant."""
    from lantian.registry.models import Outlet

    c = detail.case
    col = _POLLUTANT_LIMIT_COLUMNS.get(c.pollutant or "")
    if c.subject_type != "outlet" or col is None:
        return None
    outlet = session.get(Outlet, c.subject_id)
    value = getattr(outlet, col, None) if outlet is not None else None
    if value is None:
        return None
    name = outlet.name if outlet is not None else c.subject_id
    return (
        f"排放口“{name}”{_POLLUTANT_NAMES_ZH[c.pollutant or '']}执行排放限值"
        f"{value:g} mg/m³（折算浓度，小时均值）"
    )


def citation_paras(session: Session, detail: CaseDetail) -> list[tuple[str, object]]:
    """The 法律依据 block of a case notice: the violated provision and the penalty
    provision with their text, the emission standard (and the outlet's limit), and the
    rule's registered clause."""
    from lantian.rules.catalog import get_rule

    c = detail.case
    out: list[tuple[str, object]] = [("heading", "法律依据")]
    v = violation_for(c.family)
    if v is not None:
        out.append(("para", f"{v.violated.citation}规定：“{v.violated.text}”"))
        out.append(
            ("para", f"违反上述规定的，依照{v.penalty.citation}{v.item}处理：“{v.penalty.text}”")
        )
    ind = detail.enterprise.industry if detail.enterprise is not None else None
    std = standard_for(ind)
    limit = _outlet_limit(session, detail)
    out.append(("para", f"执行标准：{std.citation}" + (f"；{limit}" if limit else "") + "。"))
    try:
        clause = get_rule(c.rule).clause
    except KeyError:
        clause = ""
    if clause:
        out.append(("para", f"认定依据：{clause}。"))
    return out


def _provision_para(p: Provision) -> tuple[str, object]:
    return ("para", f"{p.citation}规定：“{p.text}”")


def _render(
    title: str,
    number: str,
    issuer: str,
    build: list[tuple[str, object]],
    filename: str,
) -> RenderedNotice:
    texts = [title, number] + [
        fmt_time(v, with_time=False) if k == "sign" and isinstance(v, datetime) else str(v)
        for k, v in build
    ]
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
        elif kind == "to":
            pdf.para(str(value))
        elif kind == "leads":
            pdf.grid(("线索编号", "问题类型", "时段", "线索概述"), value, (30, 26, 42, 72))  # type: ignore[arg-type]
        elif kind == "checklist":
            pdf.grid(("序号", "检查内容", "依据", "自查结果"), value, (14, 92, 40, 24))  # type: ignore[arg-type]
        elif kind == "grid":  # (headers, rows, widths) of any other table
            g_head, g_rows, g_widths = cast(
                tuple[Sequence[str], Sequence[Sequence[str]], Sequence[float]], value
            )
            pdf.grid(g_head, g_rows, g_widths)
        elif kind == "sign":
            pdf.signature(issuer, value)  # type: ignore[arg-type]
    return RenderedNotice(
        pdf.output_bytes(), filename, code, "\n".join(texts), number=number, issuer=issuer
    )


def dispatch_notice_pdf(session: Session, user: User, case_id: int) -> RenderedNotice:
    """交办单 of a dispatched case (officers only): issued by the dispatching officer's
    bureau to the assignee's bureau."""
    find_cjk_font(False)  # no font: fail before any lookup (clear 503 in the web)
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("交办单 is an internal document")
    d = get_case(session, user, case_id)
    c = d.case
    if c.dispatched_at is None:
        raise InvalidTransition(f"case {case_id} has not been dispatched")
    dispatcher = session.get(User, c.dispatched_by) if c.dispatched_by else None
    issuer = bureau_of(dispatcher, c.city, c.district)
    number = number_text(issue_number(session, "dispatch_notice", c.case_id, c.dispatched_at))
    assignee = d.assignee.display_name if d.assignee else "—"
    to_bureau = bureau_of(d.assignee, c.city, c.district) if d.assignee else "—"
    build: list[tuple[str, object]] = [
        ("to", f"{to_bureau}："),
        (
            "fields",
            [
                ("交办单位", issuer),
                ("承办单位", to_bureau),
                ("承办人", assignee),
                *_enterprise_fields(d),
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
        *citation_paras(session, d),
        ("sign", c.dispatched_at),
    ]
    return _render("大气环境问题线索交办单", number, issuer, build, f"交办单-{c.case_id:06d}.pdf")


def supervision_parties(session: Session, detail: CaseDetail) -> tuple[str, str]:
    """(督办单位, 责任单位) of a 督办: the ordering officer's bureau (the city bureau when
    the scheduled job converted an overdue 立行立改) and the responsible local bureau of the
    case — the enterprise itself when that would be the issuing bureau."""
    c = detail.case
    officer = _actor_of(session, c.case_id, ("issue_supervision_order", "convert_to_supervision"))
    issuer = bureau_of(officer, c.city, c.district)
    responsible = region_bureau(c.city, c.district) if c.district else region_bureau(c.city)
    if responsible == issuer:
        if officer is not None and officer.role != "district_officer" and c.district:
            responsible = region_bureau(c.city, c.district)
        else:
            responsible = detail.enterprise.name if detail.enterprise else "相关单位"
    return issuer, responsible


def supervision_notice_pdf(session: Session, user: User, case_id: int) -> RenderedNotice:
    """督办单 of a case under a supervision order (officers and the enterprise): issued by
    the supervising bureau to the responsible bureau (:func:`supervision_parties`)."""
    find_cjk_font(False)  # no font: fail before any lookup (clear 503 in the web)
    d = get_case(session, user, case_id)
    c = d.case
    if c.fix_path != "supervision_order":
        raise InvalidTransition(f"case {case_id} is not under a supervision order")
    issuer, responsible = supervision_parties(session, d)
    ordered_at = c.updated_at
    number = number_text(issue_number(session, "supervision_notice", c.case_id, ordered_at))
    level = ESCALATION_LEVELS[c.escalation_level - 1][1] if c.escalation_level else "—"
    ent_name = d.enterprise.name if d.enterprise else "相关单位"
    if responsible == ent_name:
        duty = f"请{ent_name}制定整改方案，明确整改措施、责任人和完成时限，逐项整改销号。"
    else:
        duty = (
            f"请{responsible}督促{ent_name}制定整改方案，明确整改措施、责任人和完成时限，"
            "拉条挂账、逐项销号，并将整改落实情况报{issuer}。"
        ).replace("{issuer}", issuer)
    build: list[tuple[str, object]] = [
        ("to", f"{responsible}："),
        (
            "fields",
            [
                ("督办单位", issuer),
                ("责任单位", responsible),
                *_enterprise_fields(d),
                ("问题认定", sentence(c.finding) if c.finding else "—"),
                ("认定时间", fmt_time(c.judged_at)),
                ("整改时限", fmt_time(c.rectify_deadline)),
                ("当前状态", state_label(c.status)),
                ("逾期提级", level),
            ],
        ),
        ("heading", "一、问题线索"),
        ("leads", _lead_rows(d)),
        ("heading", "二、督办要求"),
        ("para", "上述问题经核查属实，现予以督办。" + duty),
        (
            "para",
            f"企业应于{fmt_time(c.rectify_deadline, with_time=False)}前完成整改，并通过平台提交"
            "整改说明和佐证材料（照片、检测报告、运行记录等）。逾期未完成的，将提级督办并视情通报。",
        ),
        *citation_paras(session, d),
        ("sign", ordered_at),
    ]
    return _render("大气环境问题督办单", number, issuer, build, f"督办单-{c.case_id:06d}.pdf")


def rectification_notice_pdf(
    session: Session, user: User, case_id: int, *, leniency_text: str | None = None
) -> RenderedNotice:
    """整改通知书 to the enterprise of a confirmed case (officers and the enterprise),
    issued by the bureau of the officer who chose the fix path.

    ``leniency_text`` is the leniency wording (e.g. the 首违不罚 sentence) of a leniency
    assessment that found it applies (src/lantian/enforcement/); without it the notice
    says nothing about leniency.
    """
    find_cjk_font(False)  # no font: fail before any lookup (clear 503 in the web)
    d = get_case(session, user, case_id)
    c = d.case
    if c.fix_path is None:
        raise InvalidTransition(f"case {case_id}: choose 立行立改 or 督办 first")
    officer = _actor_of(
        session,
        c.case_id,
        ("choose_immediate_fix", "issue_supervision_order", "convert_to_supervision"),
    )
    issuer = bureau_of(officer, c.city, c.district)
    number = number_text(issue_number(session, "rectification_notice", c.case_id, c.updated_at))
    ent_name = d.enterprise.name if d.enterprise else "相关单位"
    if c.fix_path == "immediate_fix":
        when = (
            f"立即整改（立行立改），最迟于{fmt_time(c.rectify_deadline)}前完成"
            if c.rectify_deadline
            else "立即整改（立行立改）"
        )
    else:
        when = f"于{fmt_time(c.rectify_deadline, with_time=False)}前完成整改"
    v = violation_for(c.family)
    breach = f"，违反了{v.violated.citation}的规定" if v is not None else ""
    build: list[tuple[str, object]] = [
        ("to", f"{ent_name}："),
        ("para", f"经核查，你单位存在以下问题：{sentence(c.finding or c.title)[:-1]}{breach}。"),
        ("leads", _lead_rows(d)),
        *citation_paras(session, d),
        (
            "para",
            f"请你单位{when}，并通过蓝天平台企业端提交整改说明及照片等佐证材料。"
            "我局将对整改情况进行复核，复核通过后予以销号；整改不到位的，将退回重新整改。"
            "如有疑问，请与承办人联系。",
        ),
    ]
    if leniency_text and leniency_text.strip():
        build.append(("para", sentence(leniency_text)))
    build.append(("sign", c.updated_at))
    return _render("整改通知书", number, issuer, build, f"整改通知书-{c.case_id:06d}.pdf")


_SELF_CHECK_FALLBACK: tuple[dict[str, str], ...] = (
    {"text": "大气污染防治设施与生产设施同步运行，运行记录完整", "basis": "大气法第二十条"},
    {"text": "自动监测设备正常运行、联网传输，数据无长时间缺失", "basis": "大气法第二十四条"},
    {"text": "排放浓度符合执行标准限值，超标时已采取措施并报告", "basis": "大气法第十八条"},
    {"text": "监测数据标记（停运、维护、故障）与实际工况一致", "basis": "HJ 75-2017"},
)
"""Self-check items of a 预告知书 when neither the notice nor the industry has a checklist."""


def _self_check(
    session: Session,
    template_id: str | None,
    industry: str | None,
    enterprise_id: str | None = None,
) -> tuple[str, list[dict[str, object]]]:
    """(title, items) of the self-check table: the notice's checklist, else the industry's
    self-inspection checklist, else its on-site checklist, else the general items.

    With ``enterprise_id``, items with an applicability condition (``when``, see
    :mod:`lantian.assist.selfchecks.conditions`) are kept only when they apply to that
    enterprise, as in the portal's self-check."""
    from lantian.workflow.checks import list_checklist_templates
    from lantian.workflow.models import ChecklistTemplate

    tpl = session.get(ChecklistTemplate, template_id) if template_id else None
    if tpl is None and industry:
        for kind in ("self_inspection", "onsite"):
            found = list_checklist_templates(session, industry=industry, kind=kind)
            if found:
                tpl = found[0]
                break
    if tpl is not None:
        items = [dict(x) for x in tpl.items]
        if enterprise_id is not None and any(x.get("when") for x in items):
            from lantian.assist.selfchecks.queries import registry_facts
            from lantian.assist.selfchecks.services import applicable_items

            facts = registry_facts(session, [enterprise_id]).get(enterprise_id)
            if facts is not None:
                items = applicable_items(tpl, facts)
        return tpl.title, items
    return "企业自查表", [dict(x) for x in _SELF_CHECK_FALLBACK]


def notice_pdf(session: Session, user: User, notice_id: int) -> RenderedNotice:
    """环境隐患提示函 or 检查预告知书 (with the self-check table of the industry), issued by
    the bureau of the officer who issued the notice."""
    find_cjk_font(False)  # no font: fail before any lookup (clear 503 in the web)
    from lantian.auth.visibility import load_visible
    from lantian.registry.models import Enterprise
    from lantian.supervision.hazards.models import HazardNotice
    from lantian.workflow.models import Notice

    if session.get(HazardNotice, notice_id) is not None:  # a structured 隐患提示函
        from lantian.supervision.hazards.document import hazard_notice_pdf

        return hazard_notice_pdf(session, user, notice_id)

    notice: Notice = load_visible(session, user, "notice", notice_id)
    ent = session.get(Enterprise, notice.enterprise_id)
    assert ent is not None
    officer = session.get(User, notice.issued_by)
    issuer = bureau_of(officer, ent.city, ent.district)
    number = number_text(issue_number(session, notice.kind, notice.notice_id, notice.issued_at))
    std = standard_for(ent.industry)
    title = "环境隐患提示函" if notice.kind == "hazard" else "生态环境行政检查预告知书"
    build: list[tuple[str, object]] = [("to", f"{ent.name}：")]
    build.append(("para", notice.body))
    if notice.kind == "pre_notification":
        build.append(
            (
                "fields",
                [
                    ("检查单位", issuer),
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
        tpl_title, items = _self_check(session, notice.template_id, ent.industry, ent.enterprise_id)
        build.append(("heading", f"自查表：{tpl_title}"))
        rows = [
            [str(i), str(item["text"]), str(item.get("basis", "")), "□是 □否"]
            for i, item in enumerate(items, start=1)
        ]
        build.append(("checklist", rows))
    elif notice.template_id:
        tpl_title, items = _self_check(session, notice.template_id, None, ent.enterprise_id)
        build.append(("heading", tpl_title))
        rows = [
            [str(i), str(item["text"]), str(item.get("basis", "")), "□是 □否"]
            for i, item in enumerate(items, start=1)
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
    build.append(("heading", "法律依据"))
    basis = ART_29 if notice.kind == "pre_notification" else ART_18
    build.append(_provision_para(basis))
    build.append(("para", f"执行标准：{std.citation}。"))
    build.append(("sign", notice.issued_at))
    return _render(title, number, issuer, build, f"{title}-{notice.notice_id:06d}.pdf")
