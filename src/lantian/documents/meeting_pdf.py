"""约谈记录 and 通报 of a case as PDF, in the house style of :mod:`lantian.documents.pdf`
(numbered 约谈〔year〕第N号 / 通报〔year〕第N号, CST dates, issuing bureau, verification code).

References
----------
.. [1] 生态环境部约谈办法 (2020 revision): the record names the interviewed party, time,
       place, attendees, the problems, the rectification required and its deadline
       (unverified summary).
.. [2] GB/T 9704-2012 党政机关公文格式 §7.2.4 (document numbers), §7.3.2 (主送机关).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.documents.fonts import find_cjk_font
from lantian.documents.numbering import issue_number, number_text
from lantian.documents.pdf import (
    RenderedNotice,
    _enterprise_fields,
    _lead_rows,
    _render,
    bureau_of,
    fmt_time,
    sentence,
)
from lantian.workflow.case_queries import get_case
from lantian.workflow.meetings import DOCUMENT_OF, load_meeting


def meeting_pdf(session: Session, user: User, meeting_id: int) -> RenderedNotice:
    """The 约谈记录 or 通报 of meeting ``meeting_id`` (whoever sees the record)."""
    find_cjk_font(False)  # no font: fail before any lookup (clear 503 in the web)
    m = load_meeting(session, user, meeting_id)
    d = get_case(session, user, m.case_id)
    c = d.case
    number = number_text(issue_number(session, DOCUMENT_OF[m.kind], m.meeting_id, m.recorded_at))
    recorder = session.get(User, m.recorded_by)
    issuer = bureau_of(recorder, c.city, c.district)
    ent_name = d.enterprise.name if d.enterprise else "相关单位"
    due = fmt_time(m.follow_up_due, with_time=False) if m.follow_up_due else "—"
    follow = sentence(m.follow_up) if m.follow_up else "—"
    problems = ("leads", _lead_rows(d)) if d.leads else ("para", f"案件：{c.title}")
    if m.kind == "interview":
        build: list[tuple[str, object]] = [
            (
                "fields",
                [
                    ("约谈单位", issuer),
                    ("被约谈单位", ent_name),
                    ("约谈时间", fmt_time(m.held_at)),
                    ("约谈地点", m.place or "—"),
                    ("参加人员", "、".join(m.people)),
                    ("案件编号", f"#{c.case_id}"),
                    *_enterprise_fields(d),
                ],
            ),
            ("heading", "一、约谈事由"),
            problems,
            ("heading", "二、约谈内容"),
            ("para", m.content),
            ("heading", "三、整改要求及期限"),
            ("para", follow),
            ("para", f"整改期限：{due}。逾期未完成整改的，依法依规从严处理。"),
            ("sign", m.held_at),
        ]
        title = "约谈记录"
        filename = f"约谈记录-{c.case_id:06d}-{m.meeting_id}.pdf"
    else:
        build = [
            ("to", "、".join(m.people) + "："),
            (
                "fields",
                [
                    ("通报单位", issuer),
                    ("被通报单位", ent_name),
                    ("通报时间", fmt_time(m.held_at, with_time=False)),
                    ("案件编号", f"#{c.case_id}"),
                    *_enterprise_fields(d),
                ],
            ),
            ("heading", "一、问题情况"),
            problems,
            ("heading", "二、通报内容"),
            ("para", m.content),
            ("heading", "三、整改要求"),
            ("para", follow),
            ("para", f"整改期限：{due}。"),
            ("sign", m.held_at),
        ]
        title = f"关于{ent_name}大气环境问题的通报"
        filename = f"通报-{c.case_id:06d}-{m.meeting_id}.pdf"
    return _render(title, number, issuer, build, filename)


__all__ = ["meeting_pdf"]
