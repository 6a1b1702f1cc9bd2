"""Check records (核查记录): recording remote and on-site checks of a case in status
``checking``, sharing a record with the enterprise, and the checklist templates.

An on-site record as the law expects (现场检查笔录) names at least two inspectors with
their 执法证号 (chosen from accounts with a certificate, names and numbers copied onto the
record), the enterprise's representative (name, title, phone) and carries the
representative's signature drawn on the phone (a PNG attachment). The GPS position is
compared with the site: the distance is stored, with a warning beyond
``settings.onsite_gps_warn_m``.

References
----------
.. [1] 《生态环境行政处罚办法》(生态环境部令第30号, 2023) 第二十九条、第三十条: 执法人员不少于
       两人并出示执法证件; 现场检查笔录由当事人签名 (article numbers unverified).
.. [2] 国办发〔2024〕54号 关于严格规范涉企行政检查的意见: inspections only by officers holding
       a law-enforcement certificate.
"""

from __future__ import annotations

import base64
import math
import re
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
from lantian.auth.visibility import can_see, load_visible
from lantian.registry.models import Enterprise
from lantian.settings import get_settings
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import (
    _event,
    _positive_list,
    _store_files,
    load_case,
)
from lantian.workflow.files import UploadedFile, check_upload
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


EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius [m] (IUGG)."""


def haversine_m(lon1_deg: float, lat1_deg: float, lon2_deg: float, lat2_deg: float) -> float:
    """Great-circle distance [m] between two WGS-84 points (haversine, spherical Earth;
    error below 0.5 %).

    References
    ----------
    .. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 1984.
    """
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dp = p2 - p1
    dl = math.radians(lon2_deg - lon1_deg)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


MIN_INSPECTORS = 2
"""Inspectors an on-site record needs (执法人员不少于两人)."""
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")


def certified_officers(session: Session, case: Case) -> list[tuple[User, str]]:
    """Active officers whose scope covers ``case`` and who hold a valid 执法证号, with the
    number (choices of the on-site record's inspectors)."""
    from lantian.supervision.inspectors.models import InspectorCertificate

    today = now_cst().date()
    rows = session.execute(
        select(User, InspectorCertificate.cert_no)
        .join(InspectorCertificate, InspectorCertificate.user_id == User.user_id)
        .where(User.active.is_(True), User.role.in_(sorted(OFFICER_ROLES)))
        .where(
            (InspectorCertificate.valid_until.is_(None))
            | (InspectorCertificate.valid_until >= today)
        )
        .order_by(User.display_name, User.user_id)
    ).all()
    return [(u, str(cert)) for u, cert in rows if can_see(session, u, "case", case.case_id)]


def _inspectors(session: Session, case: Case, inspector_ids: Sequence[int]) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(int(i) for i in inspector_ids))
    if len(ids) < MIN_INSPECTORS:
        raise ValidationError(
            "现场检查须由至少两名持执法证的执法人员进行，请选择执法人员 "
            "(at least two inspectors with a certificate)",
            field="inspector_ids",
        )
    allowed = {u.user_id: (u, cert) for u, cert in certified_officers(session, case)}
    out: list[dict[str, Any]] = []
    for uid in ids:
        if uid not in allowed:
            raise ValidationError(
                "所选执法人员无有效执法证号或无权管辖该案件 "
                "(an inspector without a valid certificate or outside the case's scope)",
                field="inspector_ids",
            )
        u, cert = allowed[uid]
        out.append({"user_id": u.user_id, "name": u.display_name, "cert_no": cert})
    return out


def _text_field(value: str | None, field: str, max_len: int, label: str) -> str | None:
    v = (value or "").strip()
    if len(v) > max_len:
        raise ValidationError(f"{label}不能超过{max_len}个字符 (too long)", field=field)
    return v or None


def decode_signature(value: str | bytes | None) -> bytes | None:
    """PNG bytes of a signature sent as a ``data:image/png;base64,…`` URL (canvas
    ``toDataURL``) or as bytes; None when empty."""
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, bytes):
        return value
    head, _sep, b64 = value.partition(",")
    if not head.startswith("data:image/png;base64") or not b64:
        raise ValidationError("签名须为 PNG 图片 (signature must be a PNG)", field="signature")
    try:
        return base64.b64decode(b64, validate=True)
    except ValueError as exc:
        raise ValidationError("签名数据无效 (invalid signature data)", field="signature") from exc


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
    inspector_ids: Sequence[int] = (),
    representative_name: str | None = None,
    representative_title: str | None = None,
    representative_phone: str | None = None,
    signature_png: bytes | None = None,
    require_onsite_record: bool = False,
) -> CheckRecord:
    """Record a remote or on-site check of a case in status ``checking``.

    ``answers`` maps checklist item codes to ``{"result": "ok"|"problem"|"na", "note": …}``.
    GPS is WGS-84 degrees; both or neither of ``lon``/``lat``. An on-site check of a
    positive-list enterprise needs an earlier remote check or an ``onsite_reason``.

    On-site records: ``inspector_ids`` (at least two officers with a valid 执法证号 whose
    scope covers the case; names and numbers are copied onto the record), the
    representative and ``signature_png`` (PNG bytes). With ``require_onsite_record`` (the
    officer's form) all three are required; otherwise what is given is validated. The
    distance between the GPS position and the enterprise's site is stored
    (``site_distance_m``) with the warning threshold in force (``gps_warn_m``).

    An on-site record needs an approved visit of the case (行政检查审批,
    :func:`lantian.supervision.visits.services.require_onsite_approval`): refused
    otherwise; the record is linked to the visit, which becomes ``done``.
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
    inspectors: list[dict[str, Any]] | None = None
    rep_name = _text_field(representative_name, "representative_name", 100, "企业现场负责人姓名")
    rep_title = _text_field(representative_title, "representative_title", 100, "职务")
    rep_phone = _text_field(representative_phone, "representative_phone", 32, "联系电话")
    if rep_phone is not None and not _PHONE.match(rep_phone):
        raise ValidationError(
            "联系电话格式不正确 (invalid phone number)", field="representative_phone"
        )
    if kind == "onsite":
        if inspector_ids or require_onsite_record:
            inspectors = _inspectors(session, case, inspector_ids)
        if require_onsite_record and rep_name is None:
            raise ValidationError(
                "请填写企业现场负责人姓名 (the enterprise's representative)",
                field="representative_name",
            )
        if require_onsite_record and not signature_png:
            raise ValidationError(
                "请企业现场负责人在手机上签名 (the representative's signature)", field="signature"
            )
    visit = None
    if kind == "onsite" and case.enterprise_id:  # 行政检查审批 (lantian.supervision.visits)
        from lantian.supervision.visits.services import require_onsite_approval

        visit = require_onsite_approval(session, case, checked_at or now_cst())
    signature = UploadedFile("现场签名.png", signature_png, "image/png") if signature_png else None
    if signature is not None:
        check_upload(signature)
    site_m: float | None = None
    warn_m: float | None = None
    ent = session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
    if (
        lon is not None
        and lat is not None
        and ent is not None
        and ent.lon is not None
        and ent.lat is not None
    ):
        site_m = round(haversine_m(lon, lat, ent.lon, ent.lat), 1)
        warn_m = get_settings().onsite_gps_warn_m
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
        inspectors=inspectors,
        representative_name=rep_name if kind == "onsite" else None,
        representative_title=rep_title if kind == "onsite" else None,
        representative_phone=rep_phone if kind == "onsite" else None,
        site_distance_m=site_m,
        gps_warn_m=warn_m,
    )
    session.add(rec)
    session.flush()
    atts = _store_files(
        session, user, case, photos, "photo", check_id=rec.check_id, uploads_dir=uploads_dir
    )
    if signature is not None:
        (sig,) = _store_files(
            session,
            user,
            case,
            [signature],
            "document",
            check_id=rec.check_id,
            uploads_dir=uploads_dir,
        )
        rec.signature_attachment_id = sig.attachment_id
        session.flush()
    _event(
        session,
        user,
        case,
        "record_check",
        note=notes,
        data={"check_id": rec.check_id, "kind": kind, "photos": [a.attachment_id for a in atts]},
    )
    audit(session, user, "record_check", "check_record", rec.check_id, after=snapshot(rec))
    if visit is not None:
        from lantian.supervision.visits.services import mark_visited

        mark_visited(session, user, visit, rec)
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
