"""The 环境隐患提示函 as a PDF: addressee, the items (problem, basis, suggested measure), the
reply deadline, the legal basis and the issuing bureau's signature; numbered
提示〔year〕第N号 (:mod:`lantian.documents.numbering`, kind ``hazard``).

Built with the project's PDF machinery (:mod:`lantian.documents.pdf`), not a fork of it.

References
----------
.. [1] 中华人民共和国大气污染防治法 (2018) 第十八条.
.. [2] GB/T 9704-2012 党政机关公文格式 §7.2.4 (document numbers with 〔〕).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.documents.fonts import find_cjk_font
from lantian.documents.numbering import issue_number, number_text
from lantian.documents.pdf import RenderedNotice, _render, bureau_of, fmt_time
from lantian.documents.provisions import ART_18, standard_for
from lantian.supervision.hazards.queries import get_hazard_notice


def hazard_notice_pdf(session: Session, user: User, notice_id: int) -> RenderedNotice:
    """The PDF of a hazard notice (officers in scope and the enterprise itself)."""
    find_cjk_font(False)  # no font: fail before any lookup (clear 503 in the web)
    d = get_hazard_notice(session, user, notice_id)
    n, h, ent = d.notice, d.hazard, d.enterprise
    officer = session.get(User, n.issued_by)
    issuer = bureau_of(officer, ent.city, ent.district)
    number = number_text(issue_number(session, "hazard", notice_id, n.issued_at))
    title = "环境隐患提示函"
    std = standard_for(ent.industry)
    rows = [[str(i.seq), i.problem, i.basis, i.measure] for i in d.items]
    build: list[tuple[str, object]] = [
        ("to", f"{ent.name}："),
        (
            "para",
            f"我局于 {fmt_time(n.issued_at, with_time=False)} 对你单位开展监督帮扶，"
            f"发现以下环境风险隐患（{n.title}），目前尚未造成环境污染，特此提示。",
        ),
        ("grid", (("序号", "存在问题", "依据", "建议措施"), rows, (14, 62, 42, 52))),
        (
            "para",
            "请你单位高度重视，对照上述问题逐项排查整改，并于 "
            f"{fmt_time(h.reply_due, with_time=False)} 前通过蓝天平台企业端书面回复"
            "整改情况（可附整改前后照片）。逾期未回复或隐患未消除的，我局将依法立案处理。",
        ),
        ("heading", "法律依据"),
        ("para", f"{ART_18.citation}规定：“{ART_18.text}”"),
        ("para", f"执行标准：{std.citation}。"),
        ("sign", n.issued_at),
    ]
    return _render(title, number, issuer, build, f"{title}-{notice_id:06d}.pdf")
