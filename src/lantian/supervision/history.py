"""What a registry import of ``enterprises`` leaves in the supervision history.

``enterprises.positive_list`` and ``enterprises.grade`` may still be imported; each change
an import makes is recorded as an ``import`` decision (正面清单) or grade record (绩效分级),
so the history stays the one source of truth and the columns its current state.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike


def record_import(
    session: Session, actor: ActorLike | None, enterprise_ids: list[str], file_label: str
) -> tuple[int, int]:
    """Record the imported changes of both columns; returns (decisions, grade records)."""
    from lantian.supervision.grades.services import record_imported as grades_imported
    from lantian.supervision.listing.services import record_imported as list_imported

    note = f"数据导入 {file_label}"
    return (
        list_imported(session, actor, enterprise_ids, note),
        grades_imported(session, actor, enterprise_ids, note),
    )
