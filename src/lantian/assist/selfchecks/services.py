"""Every write of the self-check service (audited through :func:`lantian.auth.audit.audit`).

* templates: :func:`ensure_selfcheck_templates` installs the shipped ones; officers add a
  version with :func:`new_template_version` (the previous version is deactivated);
* the enterprise fills a self-check: :func:`save_self_check` (draft or submit), photos per
  item with :func:`add_photo`; a submitted 不符合 answer becomes a
  :class:`~lantian.assist.selfchecks.models.SelfCheckFinding` with the date the enterprise
  commits to fix it by; :func:`mark_finding_fixed`;
* officers review: :func:`review_self_check` (``reviewed_by``/``reviewed_at``).

Bad input is refused with nothing stored: an answer for an item that does not apply to the
enterprise (named), an unknown template, a replaced (stale) version, an answer outside
yes/no/na, a missing answer on submit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.assist.selfchecks.conditions import RegistryFacts, applies
from lantian.assist.selfchecks.models import ANSWERS, AssistFile, SelfCheck, SelfCheckFinding
from lantian.assist.selfchecks.queries import registry_facts
from lantian.assist.selfchecks.templates import (
    TemplateError,
    parse_item,
    shipped_templates,
    template_id_for,
)
from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible
from lantian.timeutil import CST, now_cst
from lantian.workflow.files import UploadedFile, check_upload
from lantian.workflow.models import ChecklistTemplate, Notice

DEFAULT_FIX_DAYS = 30
"""Fix-by date of a 不符合 answer submitted without one: this many days after submission."""
TEMPLATE_EDITORS: tuple[str, ...] = ("admin", "work_group")
"""Roles that may publish a new template version (templates are not per city)."""
IMAGE_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/webp"})
"""Photos re-encoded on upload (drops EXIF/GPS and any other metadata)."""


# --------------------------------------------------------------------------- templates


def _prefix(industry: str) -> str:
    return f"selfcheck-{industry}-v"


def ensure_selfcheck_templates(session: Session) -> int:
    """Install version 1 of the shipped template of every industry that has none yet.

    The industry's older self-inspection checklists (the two seed tables of
    :mod:`lantian.workflow.checklists`) are deactivated so that the 预告知 carries this one.
    Audited as the system; returns how many were installed.
    """
    have = set(session.scalars(select(ChecklistTemplate.template_id)))
    added = 0
    for industry, spec in shipped_templates().items():
        if any(t.startswith(_prefix(industry)) for t in have):
            continue
        for old in session.scalars(
            select(ChecklistTemplate).where(
                ChecklistTemplate.industry == industry,
                ChecklistTemplate.kind == "self_inspection",
                ChecklistTemplate.active.is_(True),
            )
        ):
            old.active = False
            audit(
                session,
                None,
                "deactivate_checklist_template",
                "checklist_template",
                old.template_id,
                after={"active": False},
            )
        tpl = ChecklistTemplate(
            template_id=template_id_for(industry, 1),
            industry=industry,
            kind="self_inspection",
            title=spec.title,
            items=[it.as_dict() for it in spec.items],
            version=1,
            active=True,
        )
        session.add(tpl)
        session.flush()
        audit(
            session,
            None,
            "create_checklist_template",
            "checklist_template",
            tpl.template_id,
            after=snapshot(tpl),
        )
        added += 1
    return added


def current_template(session: Session, industry: str) -> ChecklistTemplate | None:
    """The active self-check template of ``industry`` (highest version), if any."""
    return session.scalar(
        select(ChecklistTemplate)
        .where(
            ChecklistTemplate.industry == industry,
            ChecklistTemplate.kind == "self_inspection",
            ChecklistTemplate.active.is_(True),
        )
        .order_by(ChecklistTemplate.version.desc(), ChecklistTemplate.template_id)
        .limit(1)
    )


def applicable_items(tpl: ChecklistTemplate, facts: RegistryFacts) -> list[dict[str, Any]]:
    """The items of ``tpl`` whose condition holds for the enterprise."""
    return [dict(it) for it in tpl.items if applies(it.get("when"), facts)]


def new_template_version(
    session: Session,
    user: User,
    industry: str,
    *,
    title: str,
    items: Sequence[Mapping[str, Any]],
    now: dt.datetime | None = None,
) -> ChecklistTemplate:
    """A new version of the industry's self-check template (officers; audited).

    ``items`` are tables as in the shipped files (``id``, ``text``, ``basis``, ``when``);
    the previous active version is deactivated (self-checks already filled keep theirs).

    Raises
    ------
    ValidationError
        An item that does not validate (named), no items, or an empty title.
    """
    if user.role not in TEMPLATE_EDITORS:
        raise PermissionDenied(
            "只有管理员和工作组可修改自查表模板 (only admins and work groups edit templates)"
        )
    if industry not in shipped_templates():
        raise ValidationError(f"未知行业 {industry!r} (unknown industry)", field="industry")
    if not title.strip():
        raise ValidationError("title is required", field="title")
    parsed = []
    for i, raw in enumerate(items, 1):
        try:
            parsed.append(parse_item(dict(raw), f"item {i}", industry))
        except TemplateError as exc:
            item_id = str(raw.get("id") or i)
            raise ValidationError(
                f"检查项 {item_id} 有误：{exc}", field="items", item_id=item_id
            ) from exc
    if not parsed:
        raise ValidationError("at least one item is required", field="items")
    ids = [p.id for p in parsed]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValidationError(f"item id(s) {dup} appear twice", field="items")
    prev = current_template(session, industry)
    versions = session.scalars(
        select(ChecklistTemplate.version).where(
            ChecklistTemplate.template_id.startswith(_prefix(industry))
        )
    ).all()
    version = max(versions, default=0) + 1
    if prev is not None:
        prev.active = False
        audit(
            session,
            user,
            "deactivate_checklist_template",
            "checklist_template",
            prev.template_id,
            after={"active": False},
        )
    tpl = ChecklistTemplate(
        template_id=template_id_for(industry, version),
        industry=industry,
        kind="self_inspection",
        title=title.strip()[:200],
        items=[p.as_dict() for p in parsed],
        version=version,
        active=True,
    )
    session.add(tpl)
    session.flush()
    audit(
        session,
        user,
        "create_checklist_template",
        "checklist_template",
        tpl.template_id,
        after=snapshot(tpl),
        at=now,
    )
    return tpl


# --------------------------------------------------------------------------- self-checks


def _template_for_answers(session: Session, template_id: str, industry: str) -> ChecklistTemplate:
    tpl = session.get(ChecklistTemplate, template_id)
    if tpl is None or tpl.kind != "self_inspection" or tpl.industry != industry:
        raise ValidationError(
            f"未知的自查表模板 {template_id} (unknown template)", field="template_id"
        )
    if not tpl.active:
        cur = current_template(session, industry)
        newer = f"，请使用第 {cur.version} 版 {cur.template_id}" if cur is not None else ""
        raise ValidationError(
            f"自查表模板 {template_id}（第 {tpl.version} 版）已更新{newer} "
            f"(template version {tpl.version} was replaced)",
            field="template_id",
            current=cur.template_id if cur is not None else None,
        )
    return tpl


def _parse_date(value: Any, item_id: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            f"第 {item_id} 项的整改期限不是日期 (item {item_id}: fix_by is not a date)",
            field="answers",
            item_id=item_id,
        ) from None


def check_answers(
    items: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]],
    *,
    complete: bool,
    today: dt.date,
) -> dict[str, dict[str, Any]]:
    """``answers`` checked against the applicable ``items``; item id → stored answer.

    Raises
    ------
    ValidationError
        An item that does not apply (named), an item answered twice, an answer outside
        yes/no/na, a fix-by date in the past, or (``complete``) an unanswered item.
    """
    by_id = {str(it["code"]): it for it in items}
    out: dict[str, dict[str, Any]] = {}
    for a in answers:
        item_id = str(a.get("item_id") or "")
        if item_id not in by_id:
            raise ValidationError(
                f"第 {item_id} 项不适用于本企业 (item {item_id} does not apply)",
                field="answers",
                item_id=item_id,
            )
        if item_id in out:
            raise ValidationError(
                f"第 {item_id} 项重复作答 (item {item_id} answered twice)",
                field="answers",
                item_id=item_id,
            )
        answer = a.get("answer")
        if answer in (None, ""):
            continue  # unanswered: fine in a draft, listed below on submit
        if answer not in ANSWERS:
            raise ValidationError(
                f"第 {item_id} 项的答案须为 符合/不符合/不适用 (item {item_id}: answer must be "
                f"one of {', '.join(ANSWERS)})",
                field="answers",
                item_id=item_id,
            )
        fix_by = _parse_date(a.get("fix_by"), item_id)
        if answer == "no" and fix_by is not None and fix_by < today:
            raise ValidationError(
                f"第 {item_id} 项的整改期限早于今天 (item {item_id}: fix_by is in the past)",
                field="answers",
                item_id=item_id,
            )
        note = str(a.get("note") or "").strip()[:2000]
        out[item_id] = {
            "answer": answer,
            "note": note,
            "fix_by": fix_by.isoformat() if fix_by and answer == "no" else None,
        }
    if complete:
        missing = [i for i in by_id if i not in out]
        if missing:
            raise ValidationError(
                f"尚有 {len(missing)} 项未作答：{', '.join(missing)} "
                f"({len(missing)} items unanswered)",
                field="answers",
                items=missing,
            )
    return out


def fail_share(answers: Mapping[str, Mapping[str, Any]]) -> float | None:
    """Share of 不符合 among the items answered yes or no (``None`` when there are none)."""
    judged = [a["answer"] for a in answers.values() if a.get("answer") in ("yes", "no")]
    if not judged:
        return None
    return sum(1 for a in judged if a == "no") / len(judged)


def _enterprise_user(user: User) -> str:
    if user.role != "enterprise" or not user.enterprise_id:
        raise PermissionDenied("只有企业可填写自查表 (only the enterprise fills its self-check)")
    return user.enterprise_id


def save_self_check(
    session: Session,
    user: User,
    template_id: str,
    answers: Sequence[Mapping[str, Any]],
    *,
    submit: bool = True,
    self_check_id: int | None = None,
    notice_id: int | None = None,
    now: dt.datetime | None = None,
    interval_days: int = 90,
) -> SelfCheck:
    """Save (draft) or submit the enterprise's self-check; audited.

    Without ``self_check_id`` the enterprise's open draft of the template is reused, else a
    new one is created. On submit each 不符合 answer becomes a finding (fix-by date given,
    else :data:`DEFAULT_FIX_DAYS` later) and ``fail_share`` is set. The origin is
    ``requested`` with a notice (the 预告知 that carries the template), ``scheduled`` when
    the last submitted self-check is ``interval_days`` old or more, else ``spontaneous``.
    """
    eid = _enterprise_user(user)
    now = now or now_cst()
    from lantian.registry.models import Enterprise

    ent = session.get(Enterprise, eid)
    if ent is None:
        raise NotFound(f"enterprise {eid} not found")
    sc: SelfCheck | None = None
    if self_check_id is not None:  # scope first: another's draft is "not found"
        sc = load_visible(session, user, "self_check", self_check_id)
    tpl = _template_for_answers(session, template_id, ent.industry)
    facts = registry_facts(session, [eid])[eid]
    items = applicable_items(tpl, facts)
    stored = check_answers(items, answers, complete=submit, today=now.astimezone(CST).date())
    notice = None
    if notice_id is not None:
        notice = load_visible(session, user, "notice", notice_id)
        assert isinstance(notice, Notice)
    if sc is None:
        sc = session.scalar(
            select(SelfCheck)
            .where(
                SelfCheck.enterprise_id == eid,
                SelfCheck.template_id == tpl.template_id,
                SelfCheck.status == "draft",
            )
            .order_by(SelfCheck.self_check_id.desc())
            .limit(1)
        )
    if sc is not None and sc.status != "draft":
        raise InvalidTransition(f"自查 {sc.self_check_id} 已提交 (already submitted)")
    before = snapshot(sc) if sc is not None else None
    if sc is None:
        sc = SelfCheck(
            enterprise_id=eid,
            template_id=tpl.template_id,
            version=tpl.version,
            origin="spontaneous",
            status="draft",
            answers={},
            created_by=user.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(sc)
    elif sc.template_id != tpl.template_id:
        raise ValidationError(
            f"自查 {sc.self_check_id} 使用模板 {sc.template_id} (self-check uses another template)",
            field="template_id",
        )
    if notice is not None:
        sc.notice_id = notice.notice_id
    sc.answers = stored
    sc.updated_at = now
    if submit:
        sc.origin = _origin(session, eid, sc.notice_id, now, interval_days)  # before stamping
        sc.status = "submitted"
        sc.submitted_at = now
        sc.fail_share = fail_share(stored)
    session.flush()
    if submit:
        texts = {str(it["code"]): it for it in items}
        for item_id, a in stored.items():
            if a["answer"] != "no":
                continue
            fix_by = (
                dt.date.fromisoformat(a["fix_by"])
                if a["fix_by"]
                else now.astimezone(CST).date() + dt.timedelta(days=DEFAULT_FIX_DAYS)
            )
            session.add(
                SelfCheckFinding(
                    self_check_id=sc.self_check_id,
                    enterprise_id=eid,
                    item_id=item_id,
                    text=str(texts[item_id]["text"]),
                    basis=str(texts[item_id].get("basis") or ""),
                    note=a["note"] or None,
                    fix_by=fix_by,
                    status="open",
                    created_at=now,
                )
            )
        session.flush()
    audit(
        session,
        user,
        "submit_self_check" if submit else "save_self_check",
        "self_check",
        sc.self_check_id,
        before=before,
        after=snapshot(sc),
        to_status=sc.status,
        at=now,
    )
    return sc


def _origin(
    session: Session, eid: str, notice_id: int | None, now: dt.datetime, interval_days: int
) -> str:
    if notice_id is not None:
        return "requested"
    last = session.scalar(
        select(SelfCheck.submitted_at)
        .where(SelfCheck.enterprise_id == eid, SelfCheck.submitted_at.is_not(None))
        .order_by(SelfCheck.submitted_at.desc())
        .limit(1)
    )
    if last is None or now - last >= dt.timedelta(days=interval_days):
        return "scheduled"
    return "spontaneous"


def review_self_check(
    session: Session,
    user: User,
    self_check_id: int,
    *,
    note: str = "",
    now: dt.datetime | None = None,
) -> SelfCheck:
    """An officer in scope reviews a submitted self-check (``reviewed_by``/``reviewed_at``)."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers review self-checks")
    sc: SelfCheck = load_visible(session, user, "self_check", self_check_id, lock=True)
    if sc.status != "submitted":
        raise InvalidTransition(
            f"自查 {self_check_id} 状态为 {sc.status}，不能审阅 (only a submitted self-check)"
        )
    now = now or now_cst()
    before = snapshot(sc)
    sc.status = "reviewed"
    sc.reviewed_by = user.user_id
    sc.reviewed_at = now
    sc.review_note = note.strip()[:4000] or None
    session.flush()
    audit(
        session,
        user,
        "review_self_check",
        "self_check",
        self_check_id,
        before=before,
        after=snapshot(sc),
        from_status="submitted",
        to_status="reviewed",
        at=now,
    )
    return sc


def mark_finding_fixed(
    session: Session,
    user: User,
    finding_id: int,
    *,
    note: str,
    now: dt.datetime | None = None,
) -> SelfCheckFinding:
    """The enterprise reports a self-check finding fixed (with a note); audited."""
    _enterprise_user(user)
    f: SelfCheckFinding = load_visible(session, user, "self_check_finding", finding_id, lock=True)
    if f.status == "fixed":
        raise InvalidTransition(f"问题 {finding_id} 已整改 (already fixed)")
    if not note.strip():
        raise ValidationError("note is required", field="note")
    now = now or now_cst()
    before = snapshot(f)
    f.status = "fixed"
    f.fixed_at = now
    f.fix_note = note.strip()[:4000]
    session.flush()
    audit(
        session,
        user,
        "fix_self_check_finding",
        "self_check_finding",
        finding_id,
        before=before,
        after=snapshot(f),
        at=now,
    )
    return f


# --------------------------------------------------------------------------- files


def clean_image(data: bytes, content_type: str) -> bytes:
    """The image re-encoded without metadata (EXIF, GPS, comments, ICC), same format.

    Raises
    ------
    ValidationError
        The bytes are not a readable image of that type.
    """
    from PIL import Image, UnidentifiedImageError

    fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            if opened.format != fmt:
                raise ValidationError(
                    "文件内容与扩展名不符 (content does not match)", field="files"
                )
            im: Image.Image = opened
            if fmt == "JPEG" and im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
            clean = Image.new(im.mode, im.size)
            clean.paste(im)
            if im.mode == "P" and im.getpalette() is not None:
                clean.putpalette(im.getpalette() or [])
            out = io.BytesIO()
            clean.save(out, format=fmt, **({"quality": 90} if fmt != "PNG" else {}))
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ValidationError("图片无法读取 (not a readable image)", field="files") from exc


def store_file(
    session: Session,
    user: User,
    upload: UploadedFile,
    *,
    uploads_dir: Path,
    self_check_id: int | None = None,
    item_id: str | None = None,
    milestone_id: int | None = None,
    now: dt.datetime | None = None,
) -> AssistFile:
    """Check (type by content, size), re-encode photos, store under ``assist/`` and record it.

    The file is removed again if the transaction rolls back (:mod:`lantian.workflow.files`).
    """
    from lantian.workflow.files import _NEW_FILES_KEY, safe_filename

    ext, content_type = check_upload(upload)
    if content_type == "image/heic":
        raise ValidationError("请上传 JPEG/PNG 照片 (HEIC is not accepted here)", field="files")
    data = clean_image(upload.data, content_type) if content_type in IMAGE_TYPES else upload.data
    digest = hashlib.sha256(data).hexdigest()
    owner = f"selfchecks/{self_check_id}" if self_check_id else f"milestones/{milestone_id}"
    rel = Path("assist") / owner / f"{uuid.uuid4().hex}{ext}"
    path = uploads_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    session.info.setdefault(_NEW_FILES_KEY, []).append(path)
    row = AssistFile(
        self_check_id=self_check_id,
        item_id=item_id,
        milestone_id=milestone_id,
        filename=safe_filename(upload.filename),
        stored_path=rel.as_posix(),
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        uploaded_by=user.user_id,
        uploaded_at=now or now_cst(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "upload_assist_file", "assist_file", row.file_id, after=snapshot(row))
    return row


def add_photo(
    session: Session,
    user: User,
    self_check_id: int,
    item_id: str,
    upload: UploadedFile,
    *,
    uploads_dir: Path,
) -> AssistFile:
    """A photo for one item of the enterprise's draft self-check."""
    _enterprise_user(user)
    sc: SelfCheck = load_visible(session, user, "self_check", self_check_id, lock=True)
    if sc.status != "draft":
        raise InvalidTransition(f"自查 {self_check_id} 已提交 (already submitted)")
    tpl = session.get(ChecklistTemplate, sc.template_id)
    facts = registry_facts(session, [sc.enterprise_id])[sc.enterprise_id]
    if tpl is None or item_id not in {str(i["code"]) for i in applicable_items(tpl, facts)}:
        raise ValidationError(
            f"第 {item_id} 项不适用于本企业 (item {item_id} does not apply)", field="item_id"
        )
    return store_file(
        session,
        user,
        upload,
        uploads_dir=uploads_dir,
        self_check_id=self_check_id,
        item_id=item_id,
    )


def start_draft(
    session: Session, user: User, *, notice_id: int | None = None, now: dt.datetime | None = None
) -> SelfCheck:
    """The enterprise's open draft of its current template (created empty if none)."""
    eid = _enterprise_user(user)
    from lantian.registry.models import Enterprise

    ent = session.get(Enterprise, eid)
    tpl = current_template(session, ent.industry) if ent is not None else None
    if tpl is None:
        raise NotFound("本行业暂无自查表 (no self-check template for the industry)")
    draft = session.scalar(
        select(SelfCheck)
        .where(
            SelfCheck.enterprise_id == eid,
            SelfCheck.template_id == tpl.template_id,
            SelfCheck.status == "draft",
        )
        .order_by(SelfCheck.self_check_id.desc())
        .limit(1)
    )
    if draft is not None:
        if notice_id is not None and draft.notice_id is None:
            load_visible(session, user, "notice", notice_id)
            draft.notice_id = notice_id
            session.flush()
        return draft
    return save_self_check(
        session, user, tpl.template_id, [], submit=False, notice_id=notice_id, now=now
    )
