"""Read side of notices (环境隐患提示函, 预告知): the notices the user sees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.workflow.models import Notice


def list_notices(
    session: Session, user: User, *, enterprise_id: str | None = None, kind: str | None = None
) -> list[Notice]:
    """Notices to enterprises in scope (an enterprise sees its own)."""
    stmt = select(Notice).where(visible(user, "notice"))
    if enterprise_id:
        stmt = stmt.where(Notice.enterprise_id == enterprise_id)
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    return list(session.scalars(stmt.order_by(Notice.issued_at.desc())))


__all__ = ["list_notices"]
