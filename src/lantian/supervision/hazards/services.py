"""Issuing, replying to and following up 隐患提示函 (stored, audited).

A hazard notice is issued by an officer through the notice service
(:func:`lantian.workflow.notices.issue_notice`: a ``notices`` row of kind ``hazard`` with its
number 提示〔year〕第N号), with items (problem, basis, suggested measure) and a reply deadline
of ``LANTIAN_HAZARD_REPLY_WORKING_DAYS`` working days (CST). The enterprise replies in its
portal (text and files, checked like every upload); the officer closes it with a note or
escalates it to a case through the workflow's case creation
(:func:`lantian.workflow.service.open_case`) — of the notice's lead when it has one not yet
in a case, else of a lead recorded for the notice (rule :data:`HAZARD_RULE`).

References
----------
.. [1] 中华人民共和国大气污染防治法 (2018) 第十八条 (operators keep emissions within
       standards), 第二十九条 (on-site inspection).
.. [2] 生态环境部《关于优化生态环境保护执法方式提高执法效能的指导意见》
       (环执法〔2021〕1号): 提醒、告诫 before enforcement (unverified summary).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible
from lantian.leads.models import Lead
from lantian.registry.vocab import STORED_LEAD_FAMILIES
from lantian.settings import get_settings
from lantian.supervision.hazards.models import HazardItem, HazardNotice, HazardReplyFile
from lantian.timeutil import now_cst
from lantian.workflow.files import UploadedFile, check_upload, safe_filename, store_bytes
from lantian.workflow.models import Case, CaseLead, Notice
from lantian.workflow.notices import issue_notice
from lantian.workflow.workdays import add_working_days_cst

HAZARD_RULE = "HAZARD_NOTICE"
"""``leads.rule`` of the lead recorded when a notice without a free lead is escalated."""
MAX_ITEMS = 30
"""Most items on one notice."""
ITEM_LIMITS: dict[str, int] = {"problem": 2000, "basis": 1000, "measure": 2000}
"""Longest text of each item field (characters)."""
OPEN_STATES: tuple[str, ...] = ("issued", "replied")
"""States in which a notice can still be replied to, closed or escalated."""
_FIELD_ZH = {"problem": "存在问题", "basis": "依据", "measure": "建议措施"}


@dataclass(frozen=True)
class ItemIn:
    """One item as entered: the problem, its basis (citation) and the suggested measure."""

    problem: str
    basis: str
    measure: str


def parse_items(raw: Sequence[Mapping[str, Any]]) -> list[ItemIn]:
    """Validated items; an error names ``items[i].field`` (1-based ``i``).

    Rows whose three fields are all empty are skipped (blank rows of a form).
    """
    out: list[ItemIn] = []
    for i, row in enumerate(raw, start=1):
        values = {k: str(row.get(k) or "").strip() for k in ITEM_LIMITS}
        if not any(values.values()):
            continue
        for key, limit in ITEM_LIMITS.items():
            if not values[key]:
                raise ValidationError(
                    f"第 {i} 项：请填写{_FIELD_ZH[key]}", field=f"items[{i}].{key}"
                )
            if len(values[key]) > limit:
                raise ValidationError(
                    f"第 {i} 项：{_FIELD_ZH[key]}不超过 {limit} 字", field=f"items[{i}].{key}"
                )
        out.append(ItemIn(values["problem"], values["basis"], values["measure"]))
    if not out:
        raise ValidationError("请至少填写一项隐患（问题、依据、建议措施）", field="items")
    if len(out) > MAX_ITEMS:
        raise ValidationError(f"隐患不超过 {MAX_ITEMS} 项", field="items")
    return out


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以执行此操作 (officers only)")


def compose_body(items: Sequence[ItemIn], intro: str | None = None) -> str:
    """The notice text: the introduction and the numbered items."""
    head = (intro or "").strip() or "经检查，你单位存在以下环境风险隐患，尚未造成环境污染："
    lines = [head]
    for i, it in enumerate(items, start=1):
        lines.append(f"{i}. {it.problem}（依据：{it.basis}；建议措施：{it.measure}）")
    return "\n".join(lines)


def issue_hazard_notice(
    session: Session,
    user: User,
    enterprise_id: str,
    *,
    title: str,
    items: Sequence[Mapping[str, Any]],
    intro: str | None = None,
    lead_id: str | None = None,
    case_id: int | None = None,
) -> HazardNotice:
    """Issue a 隐患提示函 to an enterprise (officer; audited; numbered 提示〔year〕第N号).

    Raises
    ------
    PermissionDenied, NotFound
        Not an officer; the enterprise, lead or case is out of scope.
    ValidationError
        No items, an empty or too long item field, a lead or case of another enterprise
        (the field is named); nothing is stored.
    """
    _officer(user)
    parsed = parse_items(items)
    load_visible(session, user, "enterprise", enterprise_id)
    lead: Lead | None = None
    if lead_id:
        lead = load_visible(session, user, "lead", lead_id)
        if lead.enterprise_id != enterprise_id:
            raise ValidationError(
                "该线索属于其他企业 (lead of another enterprise)", field="lead_id"
            )
    notice: Notice = issue_notice(
        session,
        user,
        "hazard",
        enterprise_id,
        title=title,
        body=compose_body(parsed, intro),
        case_id=case_id,
    )
    days = get_settings().hazard_reply_working_days
    row = HazardNotice(
        notice_id=notice.notice_id,
        enterprise_id=enterprise_id,
        lead_id=lead.lead_id if lead is not None else None,
        reply_due=add_working_days_cst(notice.issued_at, days),
        status="issued",
    )
    session.add(row)
    session.flush()
    for seq, it in enumerate(parsed, start=1):
        session.add(
            HazardItem(
                notice_id=notice.notice_id,
                seq=seq,
                problem=it.problem,
                basis=it.basis,
                measure=it.measure,
            )
        )
    session.flush()
    audit(
        session,
        user,
        "issue_hazard_notice",
        "notice",
        notice.notice_id,
        after={**snapshot(row), "items": [it.__dict__ for it in parsed]},
    )
    return row


def _load(session: Session, user: User, notice_id: int, *, lock: bool = False) -> HazardNotice:
    row: HazardNotice = load_visible(
        session, user, "hazard_notice", notice_id, lock=lock, what="隐患提示函"
    )
    return row


def reply(
    session: Session,
    user: User,
    notice_id: int,
    text: str,
    files: Sequence[UploadedFile] = (),
    *,
    uploads_dir: Path | None = None,
) -> HazardNotice:
    """The enterprise's written reply with photo/document attachments (audited).

    A reply may be amended (text replaced, files added) until the officer follows up.
    """
    if user.role != "enterprise":
        raise PermissionDenied("只有被提示企业可以回复 (the enterprise only)")
    row = _load(session, user, notice_id, lock=True)
    if row.status not in OPEN_STATES:
        raise InvalidTransition("该提示函已办结，不能再回复 (the notice is closed)")
    body = text.strip()
    if len(body) < 2:
        raise ValidationError("请填写整改或说明情况", field="reply_text")
    if len(body) > 20_000:
        raise ValidationError("回复不超过 20000 字", field="reply_text")
    checked = [(f, *check_upload(f)) for f in files]  # all checked before anything is stored
    root = uploads_dir or get_settings().uploads_dir
    now = now_cst()
    before = snapshot(row)
    for f, ext, ctype in checked:
        rel, digest = store_bytes(session, Path(root) / "hazards", notice_id, ext, f.data)
        session.add(
            HazardReplyFile(
                notice_id=notice_id,
                filename=safe_filename(f.filename),
                stored_path=f"hazards/{rel}",
                content_type=ctype,
                size_bytes=len(f.data),
                sha256=digest,
                uploaded_by=user.user_id,
                uploaded_at=now,
            )
        )
    row.reply_text, row.replied_at, row.replied_by = body, now, user.user_id
    row.status = "replied"
    session.flush()
    audit(
        session,
        user,
        "reply_hazard_notice",
        "notice",
        notice_id,
        before=before,
        after={**snapshot(row), "files": [f.filename for f, _e, _c in checked]},
        at=now,
    )
    return row


def reply_file(
    session: Session, user: User, file_id: int, *, uploads_dir: Path | None = None
) -> tuple[HazardReplyFile, Path]:
    """A file of a reply and its path, when the user sees the notice."""
    from lantian.auth.errors import NotFound

    f = session.get(HazardReplyFile, file_id)
    if f is None:
        raise NotFound(f"file {file_id} not found")
    _load(session, user, f.notice_id)
    root = Path(uploads_dir or get_settings().uploads_dir)
    path = (root / f.stored_path).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise NotFound(f"file {file_id} not found")
    return f, path


def close(session: Session, user: User, notice_id: int, note: str) -> HazardNotice:
    """The officer closes the notice with a note (e.g. the reply and photos show the hazard
    removed)."""
    _officer(user)
    row = _load(session, user, notice_id, lock=True)
    if row.status not in OPEN_STATES:
        raise InvalidTransition("该提示函已办结 (already followed up)")
    text = note.strip()
    if not text:
        raise ValidationError("请填写办结意见", field="note")
    before = snapshot(row)
    now = now_cst()
    row.status = "closed"
    row.followup_note, row.followed_up_at, row.followed_up_by = text, now, user.user_id
    session.flush()
    audit(
        session,
        user,
        "close_hazard_notice",
        "notice",
        notice_id,
        before=before,
        after=snapshot(row),
        at=now,
        note=text,
    )
    return row


def _free_lead(session: Session, lead_id: str | None) -> str | None:
    if lead_id is None:
        return None
    taken = session.scalar(select(CaseLead.case_id).where(CaseLead.lead_id == lead_id))
    return None if taken is not None else lead_id


def escalate(
    session: Session,
    user: User,
    notice_id: int,
    note: str,
    *,
    family: str | None = None,
    severity: int = 2,
) -> Case:
    """Escalate the notice to a case (立案) through the workflow's case creation.

    The case groups the notice's lead when it is not yet in a case; otherwise a lead of
    rule :data:`HAZARD_RULE` is recorded for the notice (``family`` required, from the lead
    families; the summary is the notice's items) and the case opened on it.
    """
    from lantian.workflow.service import open_case

    _officer(user)
    row = _load(session, user, notice_id, lock=True)
    if row.status not in OPEN_STATES:
        raise InvalidTransition("该提示函已办结 (already followed up)")
    text = note.strip()
    if not text:
        raise ValidationError("请填写转立案理由", field="note")
    notice = session.get(Notice, notice_id)
    assert notice is not None
    now = now_cst()
    lead_id = _free_lead(session, row.lead_id)
    if lead_id is None:
        fam = family or (
            session.scalar(select(Lead.family).where(Lead.lead_id == row.lead_id))
            if row.lead_id
            else None
        )
        if fam not in STORED_LEAD_FAMILIES:
            raise ValidationError("请选择问题类型", field="family")
        if severity not in (1, 2, 3):
            raise ValidationError("严重程度须为 1–3", field="severity")
        items = session.scalars(
            select(HazardItem).where(HazardItem.notice_id == notice_id).order_by(HazardItem.seq)
        ).all()
        lead = Lead(
            lead_id=f"HZD-{notice_id}",
            rule=HAZARD_RULE,
            family=fam,
            enterprise_id=row.enterprise_id,
            subject_type="enterprise",
            subject_id=row.enterprise_id,
            pollutant=None,
            start=notice.issued_at,
            end=now,
            severity=severity,
            score=1.0,
            summary="；".join(i.problem for i in items)[:2000] or notice.title,
            evidence={"hazard_notice_id": notice_id},
            open=True,
            detected_at=now,
            updated_at=now,
        )
        session.add(lead)
        session.flush()
        audit(session, user, "record_hazard_lead", "lead", lead.lead_id, after=snapshot(lead))
        lead_id = lead.lead_id
    from lantian.documents.numbering import existing_number, number_text

    num = existing_number(session, "hazard", notice_id)
    label = number_text(num) if num is not None else f"#{notice_id}"
    case = open_case(session, user, [lead_id], title=f"隐患提示函转立案（{label}）：{notice.title}")
    before = snapshot(row)
    row.status = "escalated"
    row.escalated_case_id = case.case_id
    row.followup_note, row.followed_up_at, row.followed_up_by = text, now, user.user_id
    session.flush()
    audit(
        session,
        user,
        "escalate_hazard_notice",
        "notice",
        notice_id,
        before=before,
        after=snapshot(row),
        at=now,
        note=text,
    )
    return case
