"""Check records (核查记录): recording remote and on-site checks of a case in status
``checking``, sharing a record with the enterprise, and the checklist templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, jsonable, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import (
    _event,
    _positive_list,
    _store_files,
    load_case,
)
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import (
    CHECK_KINDS,
    Case,
    ChecklistTemplate,
    CheckRecord,
)


def _has_remote_check(session: Session, case: Case) -> bool:
    return (
        session.scalar(
            select(CheckRecord.check_id)
            .where(CheckRecord.case_id == case.case_id, CheckRecord.kind == "remote")
            .limit(1)
        )
        is not None
    )


def _validate_answers(
    session: Session, template_id: str | None, answers: Mapping[str, Any] | None
) -> None:
    if template_id is None:
        return
    tpl = session.get(ChecklistTemplate, template_id)
    if tpl is None:
        raise ValidationError(f"no checklist template {template_id!r}", field="template_id")
    codes = {str(item["code"]) for item in tpl.items}
    unknown = set(answers or {}) - codes
    if unknown:
        raise ValidationError(
            f"unknown checklist items: {', '.join(sorted(unknown))}", field="answers"
        )
    for code, ans in (answers or {}).items():
        result = ans.get("result") if isinstance(ans, Mapping) else ans
        if result not in ("ok", "problem", "na"):
            raise ValidationError(f"item {code}: result must be ok, problem or na", field="answers")


def record_check(
    session: Session,
    user: User,
    case_id: int,
    *,
    kind: str,
    checked_at: datetime | None = None,
    template_id: str | None = None,
    answers: Mapping[str, Any] | None = None,
    notes: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    gps_accuracy_m: float | None = None,
    onsite_reason: str | None = None,
    photos: Sequence[UploadedFile] = (),
    uploads_dir: Path | None = None,
) -> CheckRecord:
    """Record a remote or on-site check of a case in status ``checking``.

    ``answers`` maps checklist item codes to ``{"result": "ok"|"problem"|"na", "note": …}``.
    GPS is WGS-84 degrees; both or neither of ``lon``/``lat``. An on-site check of a
    positive-list enterprise needs an earlier remote check or an ``onsite_reason``.
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record checks")
    case = load_case(session, user, case_id, lock=True)
    if case.status != "checking":
        raise InvalidTransition(
            f"case {case_id} is {case.status!r}: start the check first",
            status=case.status,
            action="record_check",
        )
    if kind not in CHECK_KINDS:
        raise ValidationError(f"kind must be one of {CHECK_KINDS}", field="kind")
    if (lon is None) != (lat is None):
        raise ValidationError("give both lon and lat, or neither", field="lon")
    if lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError("lon/lat out of range (WGS-84 degrees)", field="lon")
    if kind == "onsite" and not photos and not (notes or "").strip() and not answers:
        raise ValidationError(
            "现场核查须填写记录、检查表或上传照片 (record something)", field="notes"
        )
    if (
        kind == "onsite"
        and _positive_list(session, case)
        and not _has_remote_check(session, case)
        and not (onsite_reason or "").strip()
    ):
        raise ValidationError(
            "正面清单企业须先非现场核查，或说明现场核查理由 (positive list: remote check first)",
            field="onsite_reason",
        )
    _validate_answers(session, template_id, answers)
    now = now_cst()
    rec = CheckRecord(
        case_id=case.case_id,
        kind=kind,
        checked_by=user.user_id,
        checked_at=to_cst(checked_at) if checked_at else now,
        recorded_at=now,
        template_id=template_id,
        answers=jsonable(dict(answers)) if answers is not None else None,
        notes=notes,
        lon=lon,
        lat=lat,
        gps_accuracy_m=gps_accuracy_m,
        onsite_reason=onsite_reason,
    )
    session.add(rec)
    session.flush()
    atts = _store_files(
        session, user, case, photos, "photo", check_id=rec.check_id, uploads_dir=uploads_dir
    )
    _event(
        session,
        user,
        case,
        "record_check",
        note=notes,
        data={"check_id": rec.check_id, "kind": kind, "photos": [a.attachment_id for a in atts]},
    )
    audit(session, user, "record_check", "check_record", rec.check_id, after=snapshot(rec))
    case.updated_at = now
    return rec


def share_check_record(
    session: Session, user: User, check_id: int, *, note: str | None = None
) -> CheckRecord:
    """Mark a check record (notes, checklist, GPS, photos) as shared with the enterprise.

    Check records are the officers' internal working notes until shared
    (:mod:`lantian.auth.policy`); the enterprise sees a shared record once its case has
    reached it. Officers only; idempotent; audited (``share_check_record``).
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers share check records")
    rec: CheckRecord = load_visible(session, user, "check_record", check_id, lock=True)
    if rec.shared_with_enterprise_at is None:
        before = snapshot(rec)
        rec.shared_with_enterprise_at = now_cst()
        rec.shared_with_enterprise_by = user.user_id
        session.flush()
        audit(
            session,
            user,
            "share_check_record",
            "check_record",
            rec.check_id,
            before=before,
            after=snapshot(rec),
            note=note,
        )
        case = load_case(session, user, rec.case_id)
        _event(session, user, case, "share_check_record", note=note, data={"check_id": check_id})
    return rec


def record_onsite_check(session: Session, user: User, case_id: int, **kw: Any) -> CheckRecord:
    """:func:`record_check` with ``kind="onsite"`` (checklist answers, notes, photos, GPS)."""
    return record_check(session, user, case_id, kind="onsite", **kw)


def record_remote_check(session: Session, user: User, case_id: int, **kw: Any) -> CheckRecord:
    """:func:`record_check` with ``kind="remote"`` (data, video, documents reviewed)."""
    return record_check(session, user, case_id, kind="remote", **kw)


def list_checklist_templates(
    session: Session, *, industry: str | None = None, kind: str | None = None
) -> list[ChecklistTemplate]:
    """Active checklist templates, optionally of one industry and kind."""
    stmt = select(ChecklistTemplate).where(ChecklistTemplate.active.is_(True))
    if industry:
        stmt = stmt.where(ChecklistTemplate.industry == industry)
    if kind:
        stmt = stmt.where(ChecklistTemplate.kind == kind)
    return list(session.scalars(stmt.order_by(ChecklistTemplate.template_id)))
