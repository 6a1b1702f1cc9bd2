"""The decision as a PDF: 不予行政处罚决定书 (with the education given) or the outline of a
行政处罚事先告知书, each with the clauses that decided it; and the leniency sentence the
整改通知书 may carry.

Uses the project's PDF page (:class:`lantian.documents.pdf.NoticePDF`) through its public
building blocks only.

References
----------
.. [1] 中华人民共和国行政处罚法 (2021) §33 (不予处罚, 教育), §44-§45 (告知, 陈述申辩),
       §63-§64 (听证: request within 5 days of the notice).
.. [2] 中华人民共和国行政复议法 (2023) §20 (60 days); 行政诉讼法 §46 (6 months).
.. [3] 生态环境行政处罚办法 (生态环境部令第30号) — document set (事先告知书, 决定书);
       outline only, the ministry's model text was not reproduced (unverified).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from lantian.auth.errors import InvalidTransition
from lantian.auth.models import User
from lantian.documents.pdf import NoticePDF, RenderedNotice, fmt_time
from lantian.enforcement.assess import OUTCOME_LABELS, leniency_text
from lantian.enforcement.queries import decision_of, latest_assessment
from lantian.workflow.queries import get_case


def _issuer(city: str | None, district: str | None) -> str:
    return f"{city or ''}{district or ''}生态环境局" if city else "生态环境主管部门"


def _yuan(v: Any) -> str:
    return "—" if v is None else f"{int(v):,} 元"


def decision_pdf(session: Session, user: User, case_id: int) -> RenderedNotice:
    """The PDF of a case's penalty decision (officers in scope and the enterprise itself).

    Raises
    ------
    InvalidTransition
        The case has no assessment, or its newest assessment is not decided yet.
    """
    d = get_case(session, user, case_id)
    c = d.case
    a = latest_assessment(session, c.case_id)
    dec = decision_of(session, a.assessment_id) if a is not None else None
    if a is None or dec is None:
        raise InvalidTransition(f"case {case_id}: no decided penalty assessment")
    r = a.result
    ent = d.enterprise
    issuer = _issuer(c.city, c.district)
    year = dec.decided_at.year
    no_penalty = dec.outcome == "no_penalty"
    if no_penalty:
        title = "不予行政处罚决定书"
        number = f"{issuer[:6]}环不罚〔{year}〕{c.case_id:06d}号"
    else:
        title = "行政处罚事先告知书"
        number = f"{issuer[:6]}环罚告〔{year}〕{c.case_id:06d}号"
    party = [
        ("当事人", ent.name if ent else c.subject_id),
        ("统一社会信用代码", ent.credit_code if ent else "—"),
        ("违法行为", f"{r.get('violation_name') or ''}（{r['violation']}）"),
        (
            "违反条款及罚则",
            f"{r['law']}{r['article']}（罚款 {_yuan(r['legal_min'])}至 {_yuan(r['legal_max'])}）",
        ),
        ("裁量基准", f"{r['penalty_set']['province']} · {r['penalty_set']['version']}"),
    ]
    paras: list[tuple[str, str]] = [
        ("para", f"经核查，你单位存在以下违法事实：{c.finding or c.title}。"),
    ]
    if no_penalty:
        basis = leniency_text(r) if r.get("outcome") == "no_penalty" else None
        paras.append(
            (
                "para",
                basis
                or "依据《中华人民共和国行政处罚法》第三十三条，本机关决定对你单位不予行政处罚。",
            )
        )
        paras.append(("heading", "教育情况（行政处罚法第三十三条第三款）"))
        paras.append(("para", f"{fmt_time(dec.education_at)}：{dec.education_text or '—'}"))
        ack = (
            f"企业已于 {fmt_time(dec.education_acknowledged_at)} 在蓝天平台企业端确认。"
            if dec.education_acknowledged_at
            else "待企业在蓝天平台企业端确认。"
        )
        paras.append(("para", ack))
        paras.append(
            (
                "para",
                "如不服本决定，可以在收到本决定书之日起六十日内申请行政复议，"
                "或者在六个月内依法提起行政诉讼。",
            )
        )
    else:
        label = OUTCOME_LABELS[dec.outcome][0]
        paras.append(
            (
                "para",
                f"本机关拟依据{r['law']}{r['article']}，按{label}档"
                f"对你单位处以罚款 {_yuan(dec.amount)}"
                + ("" if dec.accepted else f"（裁量说明：{dec.override_reason}）")
                + "。",
            )
        )
        daily = r.get("daily_penalty")
        if daily:
            paras.append(
                (
                    "para",
                    "你单位拒不改正的，依据《中华人民共和国环境保护法》第五十九条，"
                    "自责令改正之日的次日起按原处罚数额按日连续处罚"
                    f"（已拒不改正 {daily['days']} 日）。",
                )
            )
        paras.append(
            (
                "para",
                "依据《中华人民共和国行政处罚法》第四十四条、第四十五条，你单位有权进行陈述和申辩；"
                "依据第六十三条、第六十四条，符合听证条件的，可在收到本告知书之日起五日内要求听证。"
                "逾期未提出的，视为放弃上述权利。",
            )
        )
    reasons = [
        [str(i), x["clause"], x["fact"], "是" if x["met"] else "否"]
        for i, x in enumerate(r["reasons"], start=1)
    ]
    texts = [title, number, *(f"{k}:{v}" for k, v in party), *(v for _k, v in paras)]
    texts += ["|".join(row) for row in reasons]
    code = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16].upper()
    pdf = NoticePDF(code, issuer)
    pdf.set_title(f"{title} {number}")
    pdf.add_page()
    pdf.title_block(title, number)
    pdf.fields(party)
    for kind, value in paras:
        if kind == "heading":
            pdf.para(value, bold=True, size=12)
        else:
            pdf.para(value, indent=True)
    pdf.para("适用条款及认定理由", bold=True, size=12)
    pdf.grid(("序号", "条款", "事实", "满足"), reasons, (12, 70, 74, 14))
    pdf.signature(issuer, dec.decided_at)
    name = f"{title}-{c.case_id:06d}.pdf"
    return RenderedNotice(pdf.output_bytes(), name, code, "\n".join(texts))


def leniency_text_for_case(session: Session, case_id: int) -> str | None:
    """The leniency sentence for the 整改通知书 of a case, or ``None``.

    Only when the newest assessment says 不予处罚 and no decision overrode it to a fine (a
    decision that overrode a fine to 不予处罚 gives the general §33 sentence). Callers check
    the user's scope (the notice functions do).
    """
    a = latest_assessment(session, case_id)
    if a is None:
        return None
    dec = decision_of(session, a.assessment_id)
    if dec is not None and dec.outcome != "no_penalty":
        return None
    text = leniency_text(a.result)
    if text is None and dec is not None:
        return (
            "依据《中华人民共和国行政处罚法》第三十三条，"
            "对你单位本次违法行为不予行政处罚，并依法予以教育。"
        )
    return text
