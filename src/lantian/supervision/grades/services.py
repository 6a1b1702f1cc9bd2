"""绩效分级 records (the one write path of ``enterprises.grade``) and 创A升B applications.

An enterprise applies in the portal (target grade, optional line, statement); the bureau
records the configured assessment steps in order (``[grades] steps``); the last step's
result decides: passed records the target grade (evidence: the application) with history,
failed closes the application. A failed intermediate step also rejects it. Every write is
audited (``grade_record``, ``grade_apply``, ``grade_step``).

References
----------
.. [1] 重污染天气重点行业应急减排措施制定技术指南（2020年修订版）(环办大气函〔2020〕340号):
       绩效分级 of enterprises and, where the guide says so, of lines (unverified wording).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible, visible
from lantian.registry.models import Enterprise, Line
from lantian.supervision.config import GradeConfig
from lantian.supervision.grades.models import GradeApplication, GradeApplicationStep, GradeRecord
from lantian.timeutil import now_cst
from lantian.vocab.registry import GRADES
from lantian.vocab.supervision import GRADE_EVIDENCE_KINDS, GRADE_STEPS, STEP_RESULTS

OPEN_APPLICATION: tuple[str, ...] = ("submitted", "in_progress")


def _enterprise(session: Session, actor: ActorLike | None, enterprise_id: str) -> Enterprise:
    if isinstance(actor, User):
        ent: Enterprise = load_visible(session, actor, "enterprise", enterprise_id)
        return ent
    found = session.get(Enterprise, enterprise_id)
    if found is None:
        raise NotFound(f"enterprise {enterprise_id} not found")
    return found


def _check_line(session: Session, enterprise_id: str, line_id: str | None) -> None:
    if line_id is None:
        return
    owner = session.scalar(select(Line.enterprise_id).where(Line.line_id == line_id))
    if owner != enterprise_id:
        raise ValidationError(f"line_id: 生产线 {line_id} 不属于该企业", field="line_id")


def current_grade(
    session: Session, enterprise_id: str, line_id: str | None = None, on: dt.date | None = None
) -> GradeRecord | None:
    """The newest record in effect on ``on`` (default today) of the enterprise or line."""
    day = on or now_cst().date()
    q = select(GradeRecord).where(
        GradeRecord.enterprise_id == enterprise_id, GradeRecord.effective_from <= day
    )
    q = q.where(
        GradeRecord.line_id.is_(None) if line_id is None else GradeRecord.line_id == line_id
    )
    return session.scalar(
        q.order_by(GradeRecord.effective_from.desc(), GradeRecord.record_id.desc()).limit(1)
    )


def record_grade(
    session: Session,
    actor: ActorLike | None,
    enterprise_id: str,
    grade: str | None,
    *,
    effective_from: dt.date,
    evidence_kind: str,
    evidence_ref: str | None = None,
    note: str | None = None,
    line_id: str | None = None,
    application_id: int | None = None,
) -> GradeRecord:
    """Record a grade (``None``: not graded) from a date, with evidence; audited.

    ``enterprises.grade`` follows the enterprise-level record in effect today, so the rules
    (POWER-EMERGENCY reads the registry), the plan's frequency and the risk score see it.

    Raises
    ------
    ValidationError
        Unknown grade or evidence kind, a date in the future, a document/attachment without
        its reference, or a line of another enterprise.
    """
    if isinstance(actor, User) and actor.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record grades")
    if grade is not None and grade not in GRADES:
        raise ValidationError(f"grade must be one of {', '.join(GRADES.codes())}", field="grade")
    if evidence_kind not in GRADE_EVIDENCE_KINDS:
        raise ValidationError("evidence_kind: choose one of the options", field="evidence_kind")
    ref = (evidence_ref or "").strip() or None
    if evidence_kind in ("document", "attachment") and ref is None:
        raise ValidationError("evidence_ref is required", field="evidence_ref")
    now = now_cst()
    if effective_from > now.date():
        raise ValidationError("effective_from: 生效日期不能晚于今天", field="effective_from")
    ent = _enterprise(session, actor, enterprise_id)
    _check_line(session, enterprise_id, line_id)
    before = current_grade(session, enterprise_id, line_id)
    row = GradeRecord(
        enterprise_id=enterprise_id,
        line_id=line_id,
        grade=grade,
        effective_from=effective_from,
        evidence_kind=evidence_kind,
        evidence_ref=ref,
        note=(note or "").strip() or None,
        recorded_by=actor.user_id if actor is not None else None,
        recorded_by_name=(actor.username if actor is not None else "system")[:64],
        recorded_at=now,
        application_id=application_id,
    )
    session.add(row)
    session.flush()
    old_column = ent.grade
    if line_id is None:
        cur = current_grade(session, enterprise_id)
        ent.grade = cur.grade if cur is not None else ent.grade
    audit(
        session,
        actor,
        "grade_record",
        "enterprise",
        enterprise_id,
        before={"grade": before.grade if before else old_column, "line_id": line_id},
        after={
            "grade": grade,
            "line_id": line_id,
            "effective_from": effective_from.isoformat(),
            "evidence_kind": evidence_kind,
            "evidence_ref": ref,
            "record_id": row.record_id,
            "current": ent.grade,
        },
        note=row.note,
        at=now,
    )
    return row


def record_imported(
    session: Session, actor: ActorLike | None, enterprise_ids: list[str], note: str
) -> int:
    """An ``import`` record for each enterprise whose imported ``grade`` column differs from
    its history (or that has none yet and is graded); returns how many.

    Written in bulk, one audit entry per batch of 500 naming every change (the column
    itself was written by the import).
    """
    n = 0
    now = now_cst()
    today = now.date()
    for start in range(0, len(enterprise_ids), 500):
        chunk = enterprise_ids[start : start + 500]
        cols = dict(
            session.execute(
                select(Enterprise.enterprise_id, Enterprise.grade).where(
                    Enterprise.enterprise_id.in_(chunk)
                )
            ).all()
        )
        # the newest record in effect: the highest id among those of the latest date
        current: dict[str, tuple[dt.date, int, str | None]] = {}
        for eid, day, rid, grade in session.execute(
            select(
                GradeRecord.enterprise_id,
                GradeRecord.effective_from,
                GradeRecord.record_id,
                GradeRecord.grade,
            ).where(
                GradeRecord.enterprise_id.in_(chunk),
                GradeRecord.line_id.is_(None),
                GradeRecord.effective_from <= today,
            )
        ):
            if eid not in current or (day, rid) > current[eid][:2]:
                current[eid] = (day, rid, grade)
        changes: dict[str, dict[str, str | None]] = {}
        for eid in chunk:
            col = cols.get(eid)
            before = current[eid][2] if eid in current else None
            if before == col and (eid in current or col is None):
                continue
            changes[eid] = {"before": before, "after": col}
        if not changes:
            continue
        session.add_all(
            GradeRecord(
                enterprise_id=eid,
                grade=c["after"],
                effective_from=today,
                evidence_kind="import",
                note=note,
                recorded_by=actor.user_id if actor is not None else None,
                recorded_by_name=(actor.username if actor is not None else "system")[:64],
                recorded_at=now,
            )
            for eid, c in changes.items()
        )
        session.flush()
        audit(
            session,
            actor,
            "grade_import",
            "enterprise",
            f"{len(changes)} enterprises",
            after={"changes": changes},
            note=note,
            at=now,
        )
        n += len(changes)
    return n


def history(session: Session, user: User, enterprise_id: str) -> list[GradeRecord]:
    """Every grade record of a visible enterprise (enterprise and lines), newest first."""
    _enterprise(session, user, enterprise_id)
    return list(
        session.scalars(
            select(GradeRecord)
            .where(GradeRecord.enterprise_id == enterprise_id, visible(user, "grade_record"))
            .order_by(GradeRecord.effective_from.desc(), GradeRecord.record_id.desc())
        )
    )


def records(session: Session, user: User) -> list[GradeRecord]:
    """Every grade record the user sees (all enterprises in scope), newest first."""
    return list(
        session.scalars(
            select(GradeRecord)
            .where(visible(user, "grade_record", session=session))
            .order_by(GradeRecord.recorded_at.desc(), GradeRecord.record_id.desc())
        )
    )


# --------------------------------------------------------------------------- 创A升B


def apply(
    session: Session,
    user: User,
    config: GradeConfig,
    *,
    target_grade: str,
    statement: str,
    line_id: str | None = None,
) -> GradeApplication:
    """An enterprise account applies for ``target_grade`` (its own enterprise only).

    Raises
    ------
    PermissionDenied
        Not an enterprise account.
    ValidationError
        A grade not open to application, an empty statement, a line of another
        enterprise, or an application for the same target already open.
    """
    if user.role != "enterprise" or not user.enterprise_id:
        raise PermissionDenied("only enterprise accounts apply")
    eid = user.enterprise_id
    if target_grade not in config.applicable_grades:
        raise ValidationError("target_grade: choose one of the options", field="target_grade")
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError("statement is required", field="statement")
    line_id = line_id or None
    _check_line(session, eid, line_id)
    dup = session.scalar(
        select(GradeApplication.application_id).where(
            GradeApplication.enterprise_id == eid,
            GradeApplication.status.in_(OPEN_APPLICATION),
            GradeApplication.target_grade == target_grade,
            GradeApplication.line_id.is_(None)
            if line_id is None
            else GradeApplication.line_id == line_id,
        )
    )
    if dup is not None:
        raise ValidationError(f"target_grade: 已有一份申请正在评审 (#{dup})", field="target_grade")
    cur = current_grade(session, eid, line_id)
    now = now_cst()
    row = GradeApplication(
        enterprise_id=eid,
        line_id=line_id,
        from_grade=cur.grade if cur is not None else session.get(Enterprise, eid).grade,  # type: ignore[union-attr]
        target_grade=target_grade,
        statement=statement,
        status="submitted",
        submitted_by=user.user_id,
        submitted_at=now,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        user,
        "grade_apply",
        "grade_application",
        row.application_id,
        after={"enterprise_id": eid, "line_id": line_id, "target_grade": target_grade},
        note=statement,
        at=now,
    )
    return row


def steps_of(session: Session, application_id: int) -> list[GradeApplicationStep]:
    """The recorded steps of an application, in order."""
    return list(
        session.scalars(
            select(GradeApplicationStep)
            .where(GradeApplicationStep.application_id == application_id)
            .order_by(GradeApplicationStep.step_id)
        )
    )


def next_step(config: GradeConfig, done: list[str]) -> str | None:
    """The next configured step after the ``done`` ones (``None``: all done)."""
    for step in config.steps:
        if step not in done:
            return step
    return None


def load_application(session: Session, user: User, application_id: int) -> GradeApplication:
    """An application the user sees (an officer: enterprises in scope; an enterprise: its own)."""
    row: GradeApplication = load_visible(
        session, user, "grade_application", application_id, what="application"
    )
    return row


def record_step(
    session: Session,
    user: User,
    config: GradeConfig,
    application_id: int,
    *,
    step: str,
    result: str,
    note: str = "",
    evidence_ref: str | None = None,
) -> GradeApplication:
    """Record the next assessment step of an application (officers in scope; audited).

    Steps are taken in the configured order. A failed step rejects the application; the
    last step passed approves it and records the target grade (evidence ``assessment``,
    reference ``evidence_ref`` or the application number) from today.
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record assessment steps")
    app = load_application(session, user, application_id)
    if app.status not in OPEN_APPLICATION:
        raise InvalidTransition("该申请已办结 (already decided)")
    if step not in GRADE_STEPS or result not in STEP_RESULTS:
        raise ValidationError("step: choose one of the options", field="step")
    done = [s.step for s in steps_of(session, application_id)]
    expected = next_step(config, done)
    if step != expected:
        name = GRADE_STEPS.name(expected) if expected else "（无）"
        raise InvalidTransition(f"下一步应为{name} (next step: {expected})")
    note = (note or "").strip()
    if result == "failed" and not note:
        raise ValidationError("note is required", field="note")
    now = now_cst()
    session.add(
        GradeApplicationStep(
            application_id=application_id,
            step=step,
            result=result,
            note=note or None,
            recorded_by=user.user_id,
            recorded_at=now,
        )
    )
    before = app.status
    last = step == config.steps[-1]
    if result == "failed":
        app.status = "rejected"
        app.decided_at = now
    elif last:
        app.status = "approved"
        app.decided_at = now
    else:
        app.status = "in_progress"
    session.flush()
    audit(
        session,
        user,
        "grade_step",
        "grade_application",
        application_id,
        before={"status": before},
        after={"status": app.status, "step": step, "result": result},
        note=note or None,
        at=now,
    )
    if app.status == "approved":
        record_grade(
            session,
            user,
            app.enterprise_id,
            app.target_grade,
            effective_from=now.date(),
            evidence_kind="assessment",
            evidence_ref=(evidence_ref or "").strip() or f"创A升B申请 #{application_id}",
            note=note or None,
            line_id=app.line_id,
            application_id=application_id,
        )
    return app


def applications(
    session: Session, user: User, *, open_only: bool = False
) -> list[tuple[GradeApplication, Enterprise]]:
    """Applications of the enterprises the user sees, newest first."""
    q = (
        select(GradeApplication, Enterprise)
        .join(Enterprise, Enterprise.enterprise_id == GradeApplication.enterprise_id)
        .where(visible(user, "grade_application", session=session))
    )
    if open_only:
        q = q.where(GradeApplication.status.in_(OPEN_APPLICATION))
    return [
        (a, e) for a, e in session.execute(q.order_by(GradeApplication.application_id.desc())).all()
    ]
