"""行政检查审批表 (PDF): the approval of a visit, with its check-in QR code (扫码入企).

Built with the platform's PDF machinery (:class:`lantian.documents.pdf.NoticePDF`, the
document numbers of :mod:`lantian.documents.numbering`, kind ``visit_approval``).

The fields follow the elements the 司法部《行政检查文书基本格式文本(试行)》(2025) gives its
行政检查审批表 as described publicly (检查对象, 检查事项, 法律依据, 任务来源, 检查方式, 检查
时间, 检查人员及执法证件号, 检查频次, 承办人意见, 负责人审批意见); the exact layout of the
official template was not available here and is NOT verified (docs/SUPERVISION.md).

References
----------
.. [1] 国办发〔2024〕54号 国务院办公厅关于严格规范涉企行政检查的意见 (凡检查必审批; 扫码入企).
.. [2] 司法部办公厅《行政检查文书基本格式文本(试行)》(2025; seven templates incl. 行政检查
       审批表 and 现场检查笔录; field list from the ministry's published commentary,
       unverified against the template itself).
"""

from __future__ import annotations

import io

import segno
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from lantian.auth.errors import PermissionDenied
from lantian.auth.models import OFFICER_ROLES, User
from lantian.documents.fonts import find_cjk_font
from lantian.documents.numbering import issue_number, number_text
from lantian.documents.pdf import NoticePDF, RenderedNotice, _code, bureau_of, fmt_time
from lantian.registry.models import Enterprise
from lantian.supervision.config import SupervisionConfig
from lantian.supervision.visits import services as vs
from lantian.supervision.visits.models import InspectionVisit
from lantian.vocab.visits import SERVICE_KINDS, VISIT_KINDS, VISIT_STATUSES

TITLE = "行政检查审批表"


def approval_fields(
    session: Session, visit: InspectionVisit, config: SupervisionConfig
) -> list[tuple[str, str]]:
    """The rows of the 审批表 (label, value), in the order printed."""
    ent = session.get(Enterprise, visit.enterprise_id)
    applicant = session.get(User, visit.applicant_id)
    approver = session.get(User, visit.approver_id) if visit.approver_id else None
    count = vs.count_onsite_visits(
        session, visit.enterprise_id, visit.planned_date.year, config, exclude_visit=visit.visit_id
    )
    cap = vs.cap_of(session, config, visit.enterprise_id)
    source = VISIT_KINDS.name(visit.kind)
    if visit.service_kind:
        source += f"（{SERVICE_KINDS.name(visit.service_kind)}）"
    if visit.case_id:
        source += f"；案件编号 {visit.case_id}"
    if visit.campaign_id:
        source += f"；专项行动编号 {visit.campaign_id}" + (
            "（上级部署，单独统计）" if visit.separate_tally else ""
        )
    inspectors = "；".join(f"{i['name']}（执法证号 {i['cert_no']}）" for i in visit.inspectors)
    decision = VISIT_STATUSES.name(visit.status)
    if visit.decision_note:
        decision += f"：{visit.decision_note}"
    return [
        ("检查对象", ent.name if ent else visit.enterprise_id),
        ("统一社会信用代码", (ent.credit_code if ent else None) or "—"),
        ("地址", f"{(ent.city or '') if ent else ''}{(ent.district or '') if ent else ''}" or "—"),
        ("检查事项", visit.purpose),
        ("检查依据", visit.basis),
        ("任务来源", source),
        ("检查方式", visit.method or "现场检查"),
        ("拟检查日期", visit.planned_date.isoformat()),
        ("检查人员", inspectors),
        (
            "检查频次",
            f"本年度已计入上限的现场检查{count.capped}次（上限{cap}次）"
            + (f"，上级部署专项行动{count.separate}次" if count.separate else ""),
        ),
        ("提示", "；".join(visit.warnings or []) or "无重复检查或高频检查提示"),
        (
            "承办人意见",
            f"拟同意实施检查。承办人：{applicant.display_name if applicant else '—'}，"
            f"{fmt_time(visit.applied_at)}",
        ),
        (
            "负责人审批意见",
            f"{decision}。审批人：{approver.display_name if approver else '—'}，"
            f"{fmt_time(visit.decided_at)}"
            if visit.decided_at
            else "待审批",
        ),
    ]


def approval_pdf(
    session: Session,
    user: User,
    visit: InspectionVisit,
    checkin_url: str | None,
    config: SupervisionConfig,
) -> RenderedNotice:
    """The 审批表 of ``visit`` (officers only); the QR code of ``checkin_url`` once approved.

    The document number (检审〔year〕第N号) is issued on the first rendering of an approved
    visit; a pending one prints 待审批 instead.
    """
    find_cjk_font(False)
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("行政检查审批表 is an internal document")
    applicant = session.get(User, visit.applicant_id)
    issuer = bureau_of(applicant, visit.city, visit.district)
    number = (
        number_text(issue_number(session, "visit_approval", visit.visit_id, visit.decided_at))
        if visit.status in vs.TAKES_PLACE and visit.decided_at
        else "（待审批）"
    )
    rows = approval_fields(session, visit, config)
    texts = [TITLE, number, *(f"{k}：{v}" for k, v in rows)]
    if checkin_url:
        texts.append(checkin_url)
    code = _code(texts)
    pdf = NoticePDF(code, issuer)
    pdf.set_title(f"{TITLE} {number}")
    pdf.add_page()
    pdf.title_block(TITLE, number)
    pdf.para(f"执法主体：{issuer}")
    pdf.fields(rows)
    if checkin_url:
        buf = io.BytesIO()
        segno.make(checkin_url, error="m").save(buf, kind="png", scale=6, border=2)
        buf.seek(0)
        pdf.para(
            "检查码（扫码入企）：被检查企业登录企业端扫描此码，核对检查人员和审批信息，并确认到达、离开时间。"
        )
        pdf.image(buf, w=36, h=36)
        pdf.set_font("cjk", size=8)
        pdf.cell(0, 5, checkin_url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return RenderedNotice(
        pdf.output_bytes(),
        f"行政检查审批表-{visit.visit_id:06d}.pdf",
        code,
        "\n".join(texts),
        number=number,
        issuer=issuer,
    )
