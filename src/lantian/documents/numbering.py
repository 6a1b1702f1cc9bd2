"""文书编号: document numbers per kind and year, e.g. ``交办〔2026〕第12号``.

Each kind has its own counter per calendar year (CST); a document keeps its number once
issued (one row per kind and case/notice in ``document_numbers``). Allocation takes the
next free sequence number in a savepoint; the unique constraint (kind, year, seq) makes a
concurrent allocation fail and retry, so two documents never share a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lantian.timeutil import now_cst, to_cst
from lantian.workflow.models import DocumentNumber


@dataclass(frozen=True)
class DocKind:
    """One kind of numbered document: code, prefix of its number, Chinese title."""

    code: str
    prefix: str
    title_zh: str
    ref_type: str


DOC_KINDS: dict[str, DocKind] = {
    k.code: k
    for k in (
        DocKind("dispatch_notice", "交办", "大气环境问题线索交办单", "case"),
        DocKind("supervision_notice", "督办", "大气环境问题督办单", "case"),
        DocKind("rectification_notice", "整改", "整改通知书", "case"),
        DocKind("hazard", "提示", "环境隐患提示函", "notice"),
        DocKind("pre_notification", "预告", "生态环境行政检查预告知书", "notice"),
        DocKind("visit_approval", "检审", "行政检查审批表", "visit"),
        DocKind("training_certificate", "培训", "培训合格证书", "exam_attempt"),
        DocKind("interview_record", "约谈", "约谈记录", "meeting"),
        DocKind("circular", "通报", "通报", "meeting"),
    )
}
"""The numbered document kinds (per-kind prefix and counter)."""

MAX_ATTEMPTS = 8


def format_number(prefix: str, year: int, seq: int) -> str:
    """``交办〔2026〕第12号`` (the 〔〕 brackets of GB/T 9704-2012 §7.2.4 document numbers;
    the sequence number is not zero-padded)."""
    return f"{prefix}〔{year}〕第{seq}号"


def existing_number(session: Session, kind: str, ref_id: int) -> DocumentNumber | None:
    """The number already issued for ``kind`` and case/notice ``ref_id``, if any."""
    k = DOC_KINDS[kind]
    return session.scalar(
        select(DocumentNumber).where(
            DocumentNumber.kind == kind,
            DocumentNumber.ref_type == k.ref_type,
            DocumentNumber.ref_id == ref_id,
        )
    )


def issue_number(
    session: Session, kind: str, ref_id: int, when: datetime | None = None
) -> DocumentNumber:
    """The number of document ``kind`` for case/notice ``ref_id``: the one already issued,
    else the next of ``kind`` in the year of ``when`` (CST; default now)."""
    found = existing_number(session, kind, ref_id)
    if found is not None:
        return found
    k = DOC_KINDS[kind]
    at = to_cst(when) if when is not None else now_cst()
    year = at.year
    for _ in range(MAX_ATTEMPTS):
        last = session.scalar(
            select(func.max(DocumentNumber.seq)).where(
                DocumentNumber.kind == kind, DocumentNumber.year == year
            )
        )
        row = DocumentNumber(
            kind=kind,
            year=year,
            seq=int(last or 0) + 1,
            ref_type=k.ref_type,
            ref_id=ref_id,
            issued_at=at,
        )
        sp = session.begin_nested()
        try:
            session.add(row)
            session.flush()
        except IntegrityError:
            sp.rollback()
            found = existing_number(session, kind, ref_id)
            if found is not None:  # another transaction numbered this document
                return found
            continue
        sp.commit()
        return row
    raise RuntimeError(f"could not allocate a {kind} number in {year}")


def number_text(row: DocumentNumber) -> str:
    """The printed number of an issued row."""
    return format_number(DOC_KINDS[row.kind].prefix, row.year, row.seq)


__all__ = [
    "DOC_KINDS",
    "DocKind",
    "existing_number",
    "format_number",
    "issue_number",
    "number_text",
]
