"""Read side of 隐患提示函: the list with filters (overdue replies first) and one notice.

Every read goes through :func:`lantian.auth.visibility.visible` (kind ``hazard_notice``):
officers see the notices of the enterprises of their region, an enterprise its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.visibility import load_visible, visible
from lantian.documents.numbering import existing_number, number_text
from lantian.registry.models import Enterprise
from lantian.supervision.hazards.models import HazardItem, HazardNotice, HazardReplyFile
from lantian.timeutil import now_cst
from lantian.workflow.models import DocumentNumber, Notice


@dataclass(frozen=True)
class HazardFilters:
    """Filters of the list: state, overdue only, enterprise, district, text in the title."""

    status: str | None = None
    overdue: bool = False
    enterprise_id: str | None = None
    district: str | None = None
    q: str | None = None
    limit: int = 500


@dataclass(frozen=True)
class HazardRow:
    """One notice of the list."""

    hazard: HazardNotice
    notice: Notice
    enterprise_name: str
    district: str | None
    number: str
    overdue: bool


@dataclass(frozen=True)
class HazardDetail:
    """One notice with its items and reply files."""

    hazard: HazardNotice
    notice: Notice
    enterprise: Enterprise
    number: str
    overdue: bool
    items: list[HazardItem] = field(default_factory=list)
    files: list[HazardReplyFile] = field(default_factory=list)


def is_overdue(h: HazardNotice, now: datetime) -> bool:
    """No reply yet and the reply deadline has passed."""
    return h.status == "issued" and h.reply_due < now


def list_hazard_notices(
    session: Session, user: User, filters: HazardFilters | None = None
) -> list[HazardRow]:
    """The notices the user sees, overdue first, then newest first."""
    f = filters or HazardFilters()
    now = now_cst()
    stmt = (
        select(HazardNotice, Notice, Enterprise.name, Enterprise.district, DocumentNumber)
        .join(Notice, Notice.notice_id == HazardNotice.notice_id)
        .join(Enterprise, Enterprise.enterprise_id == HazardNotice.enterprise_id)
        .outerjoin(
            DocumentNumber,
            and_(
                DocumentNumber.kind == "hazard",
                DocumentNumber.ref_type == "notice",
                DocumentNumber.ref_id == HazardNotice.notice_id,
            ),
        )
        .where(visible(user, "hazard_notice", session=session))
    )
    if f.status:
        stmt = stmt.where(HazardNotice.status == f.status)
    if f.overdue:
        stmt = stmt.where(HazardNotice.status == "issued", HazardNotice.reply_due < now)
    if f.enterprise_id:
        stmt = stmt.where(HazardNotice.enterprise_id == f.enterprise_id)
    if f.district:
        stmt = stmt.where(Enterprise.district == f.district)
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(Notice.title.like(like) | Enterprise.name.like(like))
    stmt = stmt.order_by(Notice.issued_at.desc(), Notice.notice_id.desc()).limit(f.limit)
    rows = [
        HazardRow(
            h,
            n,
            name,
            district,
            number_text(num) if num is not None else f"#{n.notice_id}",
            is_overdue(h, now),
        )
        for h, n, name, district, num in session.execute(stmt)
    ]
    rows.sort(key=lambda r: not r.overdue)  # stable: overdue first, newest first within
    return rows


def get_hazard_notice(session: Session, user: User, notice_id: int) -> HazardDetail:
    """One notice the user sees (:class:`~lantian.auth.errors.NotFound` otherwise)."""
    h: HazardNotice = load_visible(session, user, "hazard_notice", notice_id, what="隐患提示函")
    n = session.get(Notice, notice_id)
    ent = session.get(Enterprise, h.enterprise_id)
    assert n is not None and ent is not None
    num = existing_number(session, "hazard", notice_id)
    items = list(
        session.scalars(
            select(HazardItem).where(HazardItem.notice_id == notice_id).order_by(HazardItem.seq)
        )
    )
    files = list(
        session.scalars(
            select(HazardReplyFile)
            .where(HazardReplyFile.notice_id == notice_id)
            .order_by(HazardReplyFile.file_id)
        )
    )
    return HazardDetail(
        h,
        n,
        ent,
        number_text(num) if num is not None else f"#{notice_id}",
        is_overdue(h, now_cst()),
        items,
        files,
    )
