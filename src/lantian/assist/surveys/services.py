"""Inviting enterprises to surveys and storing their (possibly anonymous) answers."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.assist.surveys.config import MAX_TEXT_ANSWER, SurveyForm, load_form
from lantian.assist.surveys.models import SurveyInvitation, SurveyResponse
from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.models import User
from lantian.auth.scope import province_of_credit_code
from lantian.auth.visibility import load_visible
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst, to_cst
from lantian.vocab import consultation as cv

AUDIT_ACTIONS: tuple[str, ...] = ("survey.invite", "survey.respond")
"""Audit actions of this module (object type ``survey_invitation``). The response of an
anonymous answer is never named in the audit log."""


def invite(
    session: Session,
    enterprise_id: str,
    kind: str,
    object_id: str | int,
    officer_ids: Iterable[int | None],
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> SurveyInvitation | None:
    """Invite ``enterprise_id`` to a survey about a service of ``kind`` (``case``,
    ``visit``, ``training``) identified by ``object_id``, served by ``officer_ids``.

    Idempotent per (enterprise, kind, object): a second call returns the existing
    invitation. Returns None when the enterprise does not exist. Audited
    ``survey.invite``; the caller commits.
    """
    if kind not in cv.SURVEY_KINDS:
        raise ValidationError(f"unknown survey kind {kind!r}", field="kind")
    oid = str(object_id)
    existing = session.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.enterprise_id == enterprise_id,
            SurveyInvitation.kind == kind,
            SurveyInvitation.object_id == oid,
        )
    )
    if existing is not None:
        return existing
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        return None
    now = now or now_cst()
    inv = SurveyInvitation(
        enterprise_id=enterprise_id,
        kind=kind,
        object_id=oid,
        officer_ids=sorted({int(i) for i in officer_ids if i is not None}),
        province=province_of_credit_code(ent.credit_code),
        city=ent.city,
        district=ent.district,
        created_at=now,
    )
    session.add(inv)
    session.flush()
    audit(session, actor, "survey.invite", "survey_invitation", inv.invitation_id,
          after=snapshot(inv), at=now)  # fmt: skip
    return inv


def invite_after_case_closed(session: Session, case: Any, actor: User | None) -> None:
    """Workflow hook: a closed enterprise case invites its enterprise to a survey."""
    if getattr(case, "enterprise_id", None):
        invite(
            session,
            case.enterprise_id,
            "case",
            case.case_id,
            (case.assignee_id, case.closed_by),
            actor=actor,
        )


def validate_answers(form: SurveyForm, kind: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Answers of the form's questions for ``kind``: ratings 1-5, texts up to
    :data:`MAX_TEXT_ANSWER` characters; unknown ids and missing required answers are
    refused (the error names the question)."""
    questions = {q.id: q for q in form.for_kind(kind)}
    unknown = set(raw) - set(questions)
    if unknown:
        first = sorted(unknown)[0]
        raise ValidationError(f"未知的问题 {first} (unknown question {first})", field=first)
    out: dict[str, Any] = {}
    for q in questions.values():
        v = raw.get(q.id)
        if v is None or (isinstance(v, str) and not v.strip()):
            if q.required:
                raise ValidationError(f"请回答：{q.zh} (please answer: {q.en})", field=q.id)
            continue
        if q.kind == "rating":
            try:
                n = int(v) if not isinstance(v, bool) else -1
            except (TypeError, ValueError):
                n = -1
            if not 1 <= n <= 5 or (isinstance(v, float) and v != n):
                raise ValidationError(f"评分须为 1 到 5 (a rating from 1 to 5: {q.en})", field=q.id)
            out[q.id] = n
        else:
            text = str(v).strip()
            if len(text) > MAX_TEXT_ANSWER:
                raise ValidationError(
                    f"内容过长，最多 {MAX_TEXT_ANSWER} 字"
                    f" (too long: at most {MAX_TEXT_ANSWER} characters)",
                    field=q.id,
                )
            out[q.id] = text
    return out


def respond(
    session: Session,
    user: User,
    invitation_id: int,
    answers: Mapping[str, Any],
    *,
    anonymous: bool,
    form: SurveyForm | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """The invited enterprise answers, once. Anonymous: the response keeps neither the
    enterprise, the invitation nor the time (month only) and has a random key; the
    audit row names the invitation only."""
    if user.role != "enterprise":
        raise PermissionDenied("只有受邀企业可以填写问卷 (only the invited enterprise answers)")
    inv: SurveyInvitation = load_visible(
        session, user, "survey_invitation", invitation_id, lock=True
    )
    if inv.responded_at is not None:
        raise InvalidTransition("该问卷已填写 (already answered)")
    form = form or load_form()
    clean = validate_answers(form, inv.kind, answers)
    ratings = [v for q in form.for_kind(inv.kind) if q.kind == "rating" and q.id in clean
               for v in [clean[q.id]]]  # fmt: skip
    now = now or now_cst()
    resp = SurveyResponse(
        response_id=secrets.token_hex(16),
        form_version=form.version,
        kind=inv.kind,
        period=to_cst(now).strftime("%Y-%m"),
        province=inv.province,
        city=inv.city,
        district=inv.district,
        officer_ids=list(inv.officer_ids or []),
        answers=clean,
        overall=sum(ratings) / len(ratings),
        anonymous=anonymous,
        enterprise_id=None if anonymous else inv.enterprise_id,
        invitation_id=None if anonymous else inv.invitation_id,
        responded_at=None if anonymous else now,
    )
    session.add(resp)
    before = snapshot(inv)
    inv.responded_at = now
    session.flush()
    after: dict[str, Any] = {**snapshot(inv), "anonymous": anonymous}
    if not anonymous:
        after["response_id"] = resp.response_id
    audit(session, user, "survey.respond", "survey_invitation", inv.invitation_id,
          before=before, after=after, at=now)  # fmt: skip
    return resp
