"""The training certificate (培训合格证书) as a PDF, on the project's notice page
(:class:`lantian.documents.pdf.NoticePDF`), numbered ``培训〔2026〕第N号`` by
:mod:`lantian.documents.numbering`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lantian.assist.training.models import Certificate, Course, ExamAttempt
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.documents.pdf import NoticePDF, RenderedNotice, _code, fmt_time
from lantian.registry.models import Enterprise

ISSUER = "蓝天大气监督帮扶平台"


def certificate_pdf(session: Session, user: User, certificate_id: int) -> RenderedNotice:
    """The PDF of a certificate the user sees (the enterprise itself, officers in scope)."""
    cert: Certificate = load_visible(session, user, "certificate", certificate_id)
    course = session.get(Course, cert.course_id)
    attempt = session.get(ExamAttempt, cert.attempt_id)
    ent = session.get(Enterprise, cert.enterprise_id)
    assert course is not None and attempt is not None
    name = ent.name if ent is not None else cert.enterprise_id
    rows = [
        ("单位名称", name),
        ("统一社会信用代码", (ent.credit_code if ent is not None else None) or "—"),
        ("课程", course.title),
        ("学时", f"{cert.hours:g} 学时"),
        ("考试成绩", f"{attempt.score_pct:g} 分（合格线 {course.pass_mark:g} 分）"),
        ("考试时间", fmt_time(attempt.submitted_at)),
    ]
    body = f"{name}参加“{course.title}”课程学习，经考试合格，特发此证。" + (
        "本课程为学法减罚课程。" if course.law_study else ""
    )
    title = "培训合格证书"
    code = _code([title, cert.number, body, *(f"{k}{v}" for k, v in rows)])
    pdf = NoticePDF(code, ISSUER)
    pdf.set_title(f"{title} {cert.number}")
    pdf.add_page()
    pdf.title_block(title, cert.number)
    pdf.fields(rows)
    pdf.para(body, indent=True)
    pdf.signature(ISSUER, cert.issued_at)
    text = "\n".join([title, cert.number, body, *(f"{k}：{v}" for k, v in rows)])
    return RenderedNotice(
        pdf.output_bytes(),
        f"培训合格证书-{cert.number}.pdf",
        code,
        text,
        number=cert.number,
        issuer=ISSUER,
    )
