"""Case actions shared by the case pages and the REST API.

:func:`fire_action` maps an action name of the declared state machine
(:data:`lantian.workflow.states.TRANSITIONS`) to the workflow service call that performs
it, so both front ends run exactly the same code path (and the same checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lantian.auth.errors import ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.policy import get_policy
from lantian.timeutil import CST, parse_time_cst
from lantian.web.deps import _
from lantian.workflow import service as ws
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import Case
from lantian.workflow.states import Transition

ACTIONS: tuple[str, ...] = (
    "dispatch",
    "start_check",
    "judge_confirmed",
    "judge_false_positive",
    "choose_immediate_fix",
    "issue_supervision_order",
    "start_rectification",
    "submit_rectification",
    "close_immediate_fix",
    "review_accept",
    "review_reject",
    "reopen",
)
"""Every action the case page and ``POST /api/cases/{id}/transitions`` can fire."""


CONFIRM_ACTIONS: frozenset[str] = frozenset({"judge_false_positive", "review_reject", "reopen"})
"""Negative or irreversible steps: the case page asks for confirmation (``hx-confirm``
and, without JavaScript, a required ``confirm`` box checked again by the server)."""

NEEDS_CHECK_RECORD: frozenset[str] = frozenset({"judge_confirmed", "judge_false_positive"})
"""Steps that need a recorded check (:func:`lantian.workflow.service.judge`)."""


def offered_actions(actions: Sequence[Transition], has_check: bool) -> list[Transition]:
    """The steps of ``actions`` (the state machine's, for this user and case) that can
    succeed now: 认定 only once a check is recorded.

    ``tests/web/test_offered_actions.py`` posts every offered step in every status and
    role and holds this to the service.
    """
    return [t for t in actions if has_check or t.action not in NEEDS_CHECK_RECORD]


def require_confirmation(action: str, fields: Mapping[str, Any]) -> None:
    """:class:`~lantian.auth.errors.ValidationError` (field ``confirm``) unless a step of
    :data:`CONFIRM_ACTIONS` was confirmed with the form's ``confirm`` box."""
    if action in CONFIRM_ACTIONS and fields.get("confirm") != "yes":
        raise ValidationError(
            _("Tick the box to confirm this step: it cannot be undone"), field="confirm"
        )


def parse_deadline(value: Any, field: str) -> datetime | None:
    """A deadline from a date (end of that day, CST) or an ISO date-time; None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), CST)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59), CST)
        return parse_time_cst(text)
    except ValueError as exc:
        raise ValidationError(_("Enter a date (YYYY-MM-DD)"), field=field) from exc


def _text(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Enter a number"), field=name) from exc


def fire_action(
    db: Session,
    user: User,
    case_id: int,
    action: str,
    fields: Mapping[str, Any],
    files: Sequence[UploadedFile] = (),
    uploads_dir: Path | None = None,
) -> Case:
    """Perform ``action`` on case ``case_id`` with the submitted ``fields`` (not committed).

    Raises
    ------
    lantian.auth.errors.DomainError
        Unknown action, missing field, wrong status, role or scope (from the service).
    """

    def t(name: str) -> str | None:
        return _text(fields, name)

    if action == "dispatch":
        cases = ws.dispatch(
            db,
            user,
            case_ids=[case_id],
            assignee_id=_int(fields, "assignee_id"),
            deadline=parse_deadline(fields.get("deadline"), "deadline"),
            note=t("note"),
        )
        return cases[0]
    if action == "start_check":
        return ws.start_check(
            db,
            user,
            case_id,
            mode=t("mode") or "",
            onsite_reason=t("onsite_reason"),
            note=t("note"),
        )
    if action == "judge_confirmed":
        return ws.judge(db, user, case_id, confirmed=True, finding=t("finding"))
    if action == "judge_false_positive":
        return ws.judge(db, user, case_id, confirmed=False, reason=t("reason"))
    if action == "choose_immediate_fix":
        return ws.choose_fix_path(db, user, case_id, "immediate_fix", note=t("note"))
    if action == "issue_supervision_order":
        return ws.choose_fix_path(
            db,
            user,
            case_id,
            "supervision_order",
            rectify_deadline=parse_deadline(fields.get("rectify_deadline"), "rectify_deadline"),
            note=t("note"),
        )
    if action == "start_rectification":
        return ws.start_rectification(db, user, case_id, note=t("note"))
    if action == "submit_rectification":
        return ws.submit_rectification(
            db, user, case_id, text=t("text") or "", files=files, uploads_dir=uploads_dir
        )
    if action == "close_immediate_fix":
        return ws.close(
            db, user, case_id, comment=t("comment") or "", files=files, uploads_dir=uploads_dir
        )
    if action in ("review_accept", "review_reject"):
        return ws.review(
            db, user, case_id, accept=action == "review_accept", comment=t("comment") or ""
        )
    if action == "reopen":
        return ws.reopen(db, user, case_id, reason=t("reason") or "")
    if action == "convert_to_supervision":
        return ws.convert_to_supervision(db, user, case_id, reason=t("reason") or "")
    raise ValidationError(f"unknown action {action!r}", field="action")


def parse_answers(fields: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Checklist answers from form fields ``answer__<code>`` and ``answer_note__<code>``."""
    out: dict[str, dict[str, str]] = {}
    for key, value in fields.items():
        if key.startswith("answer__") and value:
            code = key.removeprefix("answer__")
            entry = {"result": str(value)}
            note = fields.get(f"answer_note__{code}")
            if note:
                entry["note"] = str(note)
            out[code] = entry
    return out


def parse_float(fields: Mapping[str, Any], name: str) -> float | None:
    """A float form field, None if empty."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Enter a number"), field=name) from exc


SHARE_NOTE_MAX_CHARS = 2000
"""Longest note of a share action (as ``POST /api/cases/{id}/share``)."""


def may_share_case(user: User, case: Case) -> bool:
    """Whether :func:`lantian.workflow.service.share_case` would share ``case`` now.

    For the 向企业公开 control of a case page (which has already checked the case's scope):
    an officer, a case with an enterprise, dispatched (never ``new``), not shared yet.
    ``tests/web/test_sharing.py`` holds this to the service in every case status.
    """
    return (
        user.role in OFFICER_ROLES
        and case.enterprise_id is not None
        and case.status != "new"
        and case.shared_with_enterprise_at is None
    )


def share_counts_for_enterprise(case: Case) -> bool:
    """Whether the enterprise policy of the case's province (:mod:`lantian.auth.policy`)
    lets a share make the case reach its enterprise (the ``shared`` trigger)."""
    policy = get_policy()
    own = policy.provinces.get(case.province or "", policy.default)
    return "shared" in own.case_reached_by


def share_fields(fields: Mapping[str, Any]) -> str | None:
    """The note of a share form, after checking that the officer confirmed it (sharing
    cannot be undone): :class:`~lantian.auth.errors.ValidationError` otherwise."""
    if fields.get("confirm") != "yes":
        raise ValidationError(
            _("Tick the box to confirm: sharing with the enterprise cannot be undone"),
            field="confirm",
        )
    note = _text(fields, "note")
    if note is not None and len(note) > SHARE_NOTE_MAX_CHARS:
        raise ValidationError(
            _("The note is too long (at most {n} characters)").format(n=SHARE_NOTE_MAX_CHARS),
            field="note",
        )
    return note
