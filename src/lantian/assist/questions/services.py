"""Asking, claiming, transferring, answering and rating questions; FAQ; escalation.

Every write goes through :func:`lantian.auth.audit.audit` with the stable actions of
:data:`AUDIT_ACTIONS` (developer H maps them to notifications). Callers commit.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.assist.questions import rules
from lantian.assist.questions.config import QuestionsConfig, load_config
from lantian.assist.questions.models import FaqEntry, Question, QuestionPhoto
from lantian.assist.questions.photos import clean_image
from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.scope import province_of_credit_code
from lantian.auth.visibility import can_see, load_visible
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst
from lantian.workflow.files import UploadedFile, check_upload

log = logging.getLogger("lantian.assist.questions")

AUDIT_ACTIONS: tuple[str, ...] = (
    "question.ask",
    "question.claim",
    "question.transfer",
    "question.answer",
    "question.remind",
    "question.escalate",
    "question.rate",
    "question.faq",
)
"""Audit actions of this module (object type ``question``; ``question.faq`` on ``faq_entry``)."""

MAX_TEXT = 4000
MAX_PHOTOS = 6
PHOTO_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png")

AFTER_ASK: list[Callable[[int], None]] = []
"""Hooks run after a question is committed (e.g. a notification); a failing hook is
logged and never undoes the stored question (:func:`run_after_ask`)."""


def _text(value: str, field_name: str, max_len: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError("请填写内容 (This field is required)", field=field_name)
    if len(text) > max_len:
        raise ValidationError(
            f"内容过长，最多 {max_len} 字 (too long: at most {max_len} characters)",
            field=field_name,
        )
    return text


def check_photos(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str, str]]:
    """Check photos before anything is stored: at most :data:`MAX_PHOTOS`, JPEG or PNG by
    content (the attachment checks of the workflow), metadata stripped.

    Returns (cleaned file, extension, content type) per photo.
    """
    if len(files) > MAX_PHOTOS:
        raise ValidationError(
            f"最多 {MAX_PHOTOS} 张照片 (at most {MAX_PHOTOS} photos)", field="photos"
        )
    out: list[tuple[UploadedFile, str, str]] = []
    for f in files:
        ext, ctype = check_upload(f)
        if ext not in PHOTO_EXTENSIONS:
            raise ValidationError(
                "照片须为 JPEG 或 PNG 图片 (photos must be JPEG or PNG images)", field="photos"
            )
        cleaned = UploadedFile(f.filename, clean_image(f.data, ext), ctype)
        out.append((cleaned, ext, ctype))
    return out


def _store_photo(
    session: Session, root: Path, question_id: int, f: UploadedFile, ext: str, ctype: str
) -> QuestionPhoto:
    rel = Path("questions") / str(question_id) / f"{uuid.uuid4().hex}{ext}"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f.data)
    # removed again if the transaction rolls back (lantian.workflow.files)
    session.info.setdefault("lantian_new_files", []).append(path)
    photo = QuestionPhoto(
        question_id=question_id,
        filename=f.filename[:255],
        content_type=ctype,
        size=len(f.data),
        sha256=hashlib.sha256(f.data).hexdigest(),
        path=rel.as_posix(),
        uploaded_at=now_cst(),
    )
    session.add(photo)
    return photo


def ask(
    session: Session,
    user: User,
    text: str,
    *,
    photos: Sequence[UploadedFile] = (),
    uploads_dir: Path | None = None,
    config: QuestionsConfig | None = None,
    now: datetime | None = None,
) -> Question:
    """An enterprise account asks a question; due time from its province's target."""
    if user.role != "enterprise" or not user.enterprise_id:
        raise PermissionDenied("只有企业账号可以提问 (only enterprise accounts ask questions)")
    body = _text(text, "text")
    checked = check_photos(photos)
    ent = session.get(Enterprise, user.enterprise_id)
    if ent is None:
        raise NotFound("enterprise not found")
    cfg = config or load_config()
    province = province_of_credit_code(ent.credit_code)
    target = cfg.target(province)
    now = now or now_cst()
    q = Question(
        enterprise_id=ent.enterprise_id,
        asked_by=user.user_id,
        text=body,
        province=province,
        city=ent.city,
        district=ent.district,
        asked_at=now,
        target_hours=target.response_hours,
        due_at=target.due_at(now),
        transfer_count=0,
        escalation_level=0,
    )
    session.add(q)
    session.flush()
    if checked:
        if uploads_dir is None:
            from lantian.settings import get_settings

            uploads_dir = get_settings().uploads_dir
        for f, ext, ctype in checked:
            _store_photo(session, uploads_dir, q.question_id, f, ext, ctype)
        session.flush()
    audit(
        session,
        user,
        "question.ask",
        "question",
        q.question_id,
        after={**snapshot(q), "photos": len(checked)},
        at=now,
    )
    return q


def run_after_ask(question_id: int) -> None:
    """Run :data:`AFTER_ASK` hooks after the commit; failures are logged only."""
    for hook in AFTER_ASK:
        try:
            hook(question_id)
        except Exception:  # the question is stored; a hook must not undo that
            log.exception("after-ask hook failed for question %s", question_id)


def load_question(
    session: Session, user: User, question_id: int, *, lock: bool = False
) -> Question:
    """The question if ``user`` sees it (404 otherwise)."""
    q: Question = load_visible(session, user, "question", question_id, lock=lock)
    return q


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有工作人员可以办理咨询 (only officers handle questions)")


def _refuse(decision: rules.Decision) -> None:
    if decision.outcome in ("ok", "noop"):
        return
    messages = {
        "closed": "该咨询已答复 (the question has been answered)",
        "conflict": (
            "该咨询已由其他工作人员认领，按首问负责制由其办理或转办"
            " (another officer owns this question)"
        ),
        "forbidden": "只有认领人或上级可以转办 (only the owner or a supervisor may transfer)",
        "invalid": "请先认领，并选择另一名工作人员 (claim first, and choose another officer)",
    }
    msg = messages.get(decision.outcome, decision.reason)
    if decision.outcome == "forbidden":
        raise PermissionDenied(msg)
    if decision.outcome == "invalid":
        raise ValidationError(msg, field="to_officer_id")
    raise InvalidTransition(msg)


def claim(
    session: Session, user: User, question_id: int, *, now: datetime | None = None
) -> Question:
    """首问: the first officer in scope who opens the question owns it."""
    _officer(user)
    q = load_question(session, user, question_id, lock=True)
    d = rules.decide(
        "claim",
        owner_id=q.owner_id,
        answered=q.answered_at is not None,
        actor_id=user.user_id,
        actor_role=user.role,
    )
    _refuse(d)
    if d.outcome == "noop":
        return q
    now = now or now_cst()
    before = snapshot(q)
    q.owner_id = user.user_id
    q.claimed_at = now
    session.flush()
    audit(session, user, "question.claim", "question", q.question_id, before=before,
          after=snapshot(q), at=now)  # fmt: skip
    return q


def transfer(
    session: Session,
    user: User,
    question_id: int,
    to_officer_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> Question:
    """Formal transfer (转办) with a reason to another officer who sees the question."""
    _officer(user)
    why = _text(reason, "reason", 1000)
    q = load_question(session, user, question_id, lock=True)
    d = rules.decide(
        "transfer",
        owner_id=q.owner_id,
        answered=q.answered_at is not None,
        actor_id=user.user_id,
        actor_role=user.role,
        target_id=to_officer_id,
    )
    _refuse(d)
    target = session.get(User, to_officer_id)
    if (
        target is None
        or not target.active
        or target.role not in OFFICER_ROLES
        or not can_see(session, target, "question", q.question_id)
    ):
        raise ValidationError(
            "接收人须为辖区内的工作人员 (the receiver must be an officer in scope)",
            field="to_officer_id",
        )
    now = now or now_cst()
    before = snapshot(q)
    q.owner_id = target.user_id
    q.claimed_at = now
    q.transfer_count += 1
    session.flush()
    audit(session, user, "question.transfer", "question", q.question_id, before=before,
          after={**snapshot(q), "from_owner_id": before["owner_id"]}, note=why,
          at=now)  # fmt: skip
    return q


def answer(
    session: Session, user: User, question_id: int, text: str, *, now: datetime | None = None
) -> Question:
    """The owner answers (an unowned question is claimed by whoever answers it)."""
    _officer(user)
    body = _text(text, "text")
    q = load_question(session, user, question_id, lock=True)
    d = rules.decide(
        "answer",
        owner_id=q.owner_id,
        answered=q.answered_at is not None,
        actor_id=user.user_id,
        actor_role=user.role,
    )
    _refuse(d)
    now = now or now_cst()
    before = snapshot(q)
    if q.owner_id is None:
        q.owner_id = user.user_id
        q.claimed_at = now
    q.answer = body
    q.answered_at = now
    q.answered_by = user.user_id
    session.flush()
    audit(session, user, "question.answer", "question", q.question_id, before=before,
          after={**snapshot(q), "on_time": rules.answered_on_time(q.due_at, now)},
          at=now)  # fmt: skip
    return q


def rate(
    session: Session,
    user: User,
    question_id: int,
    rating: int,
    comment: str | None = None,
    *,
    now: datetime | None = None,
) -> Question:
    """The asking enterprise rates the answer (1-5, optional comment), once."""
    if user.role != "enterprise":
        raise PermissionDenied("只有提问企业可以评价 (only the asking enterprise rates)")
    q = load_question(session, user, question_id, lock=True)
    if q.answered_at is None:
        raise InvalidTransition("尚未答复，暂不能评价 (not answered yet)")
    if q.rated_at is not None:
        raise InvalidTransition("已评价 (already rated)")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("评分须为 1 到 5 (a rating from 1 to 5)", field="rating")
    note = (comment or "").strip() or None
    if note is not None and len(note) > 1000:
        raise ValidationError(
            "评价内容过长，最多 1000 字 (too long: at most 1000 characters)", field="comment"
        )
    now = now or now_cst()
    before = snapshot(q)
    q.rating = rating
    q.rating_comment = note
    q.rated_at = now
    session.flush()
    audit(session, user, "question.rate", "question", q.question_id, before=before,
          after=snapshot(q), at=now)  # fmt: skip
    return q


def promote_to_faq(
    session: Session,
    user: User,
    question_id: int,
    *,
    title: str,
    answer_text: str,
    now: datetime | None = None,
) -> FaqEntry:
    """An officer publishes an answered question as an FAQ entry, reworded without the
    enterprise's name (every logged-in user reads it)."""
    _officer(user)
    q = load_question(session, user, question_id)
    if q.answered_at is None:
        raise InvalidTransition("只有已答复的咨询可以加入常见问题 (only answered questions)")
    if session.scalar(select(FaqEntry.faq_id).where(FaqEntry.question_id == q.question_id)):
        raise InvalidTransition("该咨询已加入常见问题 (already in the FAQ)")
    now = now or now_cst()
    entry = FaqEntry(
        question_id=q.question_id,
        title=_text(title, "title", 300),
        answer=_text(answer_text, "answer"),
        published_at=now,
        published_by=user.user_id,
    )
    session.add(entry)
    session.flush()
    audit(session, user, "question.faq", "faq_entry", entry.faq_id, after=snapshot(entry),
          note=f"question {q.question_id}", at=now)  # fmt: skip
    return entry


@dataclass
class EscalationReport:
    """What one run of :func:`escalate_overdue` did."""

    reminded: list[int] = field(default_factory=list)
    escalated: list[tuple[int, int]] = field(default_factory=list)
    """(question id, new level)."""


def escalate_overdue(
    session: Session, now: datetime | None = None, config: QuestionsConfig | None = None
) -> EscalationReport:
    """Scheduled job: remind owners of questions due soon, escalate overdue ones.

    Idempotent: a question is reminded once, and escalated once per level
    (:func:`lantian.assist.questions.rules.escalation_due`). Audited as the system.
    """
    now = now or now_cst()
    cfg = config or load_config()
    report = EscalationReport()
    open_qs = session.scalars(
        select(Question)
        .where(Question.answered_at.is_(None))
        .order_by(Question.question_id)
        .with_for_update()
    ).all()
    for q in open_qs:
        target = cfg.target(q.province)
        if rules.reminder_due(
            now, q.due_at, q.answered_at, q.reminded_at, target.remind_before_hours
        ):
            q.reminded_at = now
            session.flush()
            audit(session, None, "question.remind", "question", q.question_id,
                  after={"owner_id": q.owner_id, "due_at": q.due_at}, at=now)  # fmt: skip
            report.reminded.append(q.question_id)
        level = rules.escalation_due(now, q.due_at, q.answered_at, target.second_escalation_hours)
        if level > q.escalation_level:
            before = q.escalation_level
            q.escalation_level = level
            q.escalated_at = now
            session.flush()
            audit(session, None, "question.escalate", "question", q.question_id,
                  before={"escalation_level": before},
                  after={"escalation_level": level, "owner_id": q.owner_id,
                         "due_at": q.due_at, "city": q.city, "district": q.district},
                  at=now)  # fmt: skip
            report.escalated.append((q.question_id, level))
    return report
