"""Training and law study pages: the officers' plan and sessions (``/training``), the
enterprise's portal (``/portal/training``: vote, register, check in, courses, exams,
certificates) and the certificate PDF. 学法减罚: ``?case_id=`` on a law-study course makes
the exam the case's (see :func:`lantian.enforcement.services.law_study_offer`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from lantian.assist.training import queries as tq
from lantian.assist.training import services as ts
from lantian.assist.training.certificate import certificate_pdf
from lantian.assist.training.models import (
    Course,
    CourseMaterial,
    ExamAttempt,
    SessionRegistration,
    TrainingSession,
)
from lantian.auth.errors import ValidationError
from lantian.auth.visibility import load_visible, visible
from lantian.enforcement import services as es
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst, parse_time_cst
from lantian.vocab import training as training_vocab
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser, _
from lantian.web.templating import render
from lantian.workflow.models import Case

router = APIRouter(include_in_schema=False)


def _form_text(form: Any, key: str) -> str:
    return str(form.get(key) or "").strip()


@router.get("/training")
def training_index(request: Request, user: PageUser, principal: PageOfficer, db: DbDep) -> Response:
    """Officers: the plan (topics by votes), sessions with places taken, courses."""
    courses = ts.ensure_builtin_courses(db)
    db.commit()
    ctx = {
        "nav": "training",
        "plan": tq.training_plan(db),
        "sessions": tq.sessions_with_counts(db),
        "courses": courses,
    }
    return render(request, "assist/training_index.html", ctx)


def _int(form: Any, key: str) -> int:
    raw = _form_text(form, key)
    if not raw.isdigit():
        raise ValidationError(f"{key}: a whole number", field=key)
    return int(raw)


def _float(form: Any, key: str) -> float:
    try:
        return float(_form_text(form, key))
    except ValueError:
        raise ValidationError(f"{key}: a number", field=key) from None


def _time(form: Any, key: str) -> Any:
    try:
        return parse_time_cst(_form_text(form, key))
    except ValueError:
        raise ValidationError(f"{key}: a date and time", field=key) from None


@router.post("/training/sessions")
async def create_session(
    request: Request, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """Schedule a session (of a voted topic and/or a course)."""
    form = await request.form()

    def work() -> int:
        topic = _form_text(form, "topic_id")
        course = _form_text(form, "course_id")
        row = ts.create_session(
            db,
            user,
            title=_form_text(form, "title"),
            starts_at=_time(form, "starts_at"),
            ends_at=_time(form, "ends_at"),
            capacity=_int(form, "capacity"),
            hours=_float(form, "hours"),
            place=_form_text(form, "place"),
            online_url=_form_text(form, "online_url"),
            topic_id=int(topic) if topic.isdigit() else None,
            course_id=int(course) if course.isdigit() else None,
        )
        db.commit()
        return row.session_id

    sid = await run_in_threadpool(work)
    return RedirectResponse(f"/training/sessions/{sid}", status_code=303)


@router.get("/training/sessions/{session_id}")
def session_page(
    request: Request, session_id: int, user: PageUser, principal: PageOfficer, db: DbDep
) -> Response:
    """Officers: a session with the registrations they see, its check-in code, attendance."""
    ts_row = db.get(TrainingSession, session_id)
    if ts_row is None:
        raise HTTPException(404, _("Not found"))
    rows = db.scalars(
        select(SessionRegistration)
        .where(
            SessionRegistration.session_id == session_id,
            visible(user, "training_registration", session=db),
        )
        .order_by(SessionRegistration.registration_id)
    )
    regs = [(r, db.get(Enterprise, r.enterprise_id)) for r in rows]
    ctx = {
        "nav": "training",
        "s": ts_row,
        "regs": regs,
        "methods": training_vocab.ATTENDANCE_METHODS,
    }
    return render(request, "assist/training_session.html", ctx)


@router.post("/training/registrations/{registration_id}/attend")
async def mark_attendance(
    request: Request, registration_id: int, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """An officer marks a registered enterprise as attended."""

    def work() -> int:
        reg = ts.mark_attendance(db, user, registration_id)
        db.commit()
        return reg.session_id

    sid = await run_in_threadpool(work)
    return RedirectResponse(f"/training/sessions/{sid}?done=1", status_code=303)


@router.post("/training/topics")
async def propose_topic(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """A topic proposed by an enterprise (its vote) or an officer."""
    form = await request.form()

    def work() -> None:
        ts.propose_topic(db, user, _form_text(form, "title"), _form_text(form, "description"))
        db.commit()

    await run_in_threadpool(work)
    target = "/training" if user.role != "enterprise" else "/portal/training"
    return RedirectResponse(f"{target}?done=1", status_code=303)


def _enterprise_only(user: Any) -> Response | None:
    if user.role != "enterprise" or not user.enterprise_id:
        return RedirectResponse("/training", status_code=303)
    return None


@router.get("/portal/training")
def portal_training(request: Request, user: PageUser, db: DbDep) -> Response:
    """The enterprise: topics to vote for, sessions to register and check in, courses,
    its 学法减罚 offers, certificates and hours."""
    if (other := _enterprise_only(user)) is not None:
        return other
    courses = ts.ensure_builtin_courses(db)
    db.commit()
    eid = user.enterprise_id
    assert eid is not None
    offers = []
    for case in db.scalars(
        select(Case).where(visible(user, "case", session=db), Case.status.in_(es.CONFIRMED_STATES))
    ):
        offer = es.law_study_offer(db, case)
        if offer is not None:
            offers.append((case, offer))
    ctx = {
        "nav": "training",
        "plan": tq.training_plan(db),
        "voted": tq.voted_topics(db, eid),
        "sessions": tq.sessions_with_counts(db, since=now_cst()),
        "mine": tq.registrations_of(db, eid),
        "courses": courses,
        "certificates": tq.certificates_of(db, eid),
        "hours": tq.enterprise_hours(db, eid),
        "offers": offers,
        "law_course": next((c for c in courses if c.law_study), None),
        "now": now_cst(),
    }
    return render(request, "portal/training.html", ctx)


def _portal_done(anchor: str = "") -> Response:
    return RedirectResponse(f"/portal/training?done=1{anchor}", status_code=303)


@router.post("/portal/training/topics/{topic_id}/vote")
async def vote(request: Request, topic_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise votes for a topic (once)."""

    def work() -> None:
        ts.vote_topic(db, user, topic_id)
        db.commit()

    await run_in_threadpool(work)
    return _portal_done("#topics")


@router.post("/portal/training/sessions/{session_id}/register")
async def register(request: Request, session_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise registers for a session."""

    def work() -> None:
        ts.register(db, user, session_id)
        db.commit()

    await run_in_threadpool(work)
    return _portal_done("#sessions")


@router.post("/portal/training/sessions/{session_id}/check-in")
async def check_in(request: Request, session_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise checks in with the code given at the session."""
    form = await request.form()

    def work() -> None:
        ts.check_in(db, user, session_id, _form_text(form, "code"))
        db.commit()

    await run_in_threadpool(work)
    return _portal_done("#sessions")


@router.get("/portal/training/courses/{course_id}")
def course_page(request: Request, course_id: int, user: PageUser, db: DbDep) -> Response:
    """A course: its materials, the exam rule, the enterprise's attempts and the start."""
    if (other := _enterprise_only(user)) is not None:
        return other
    course = db.get(Course, course_id)
    if course is None:
        raise HTTPException(404, _("Not found"))
    eid = user.enterprise_id
    assert eid is not None
    materials = list(
        db.scalars(
            select(CourseMaterial)
            .where(CourseMaterial.course_id == course_id)
            .order_by(CourseMaterial.position)
        )
    )
    raw = request.query_params.get("case_id", "")
    case_id = int(raw) if raw.isdigit() else None
    ctx = {
        "nav": "training",
        "course": course,
        "materials": materials,
        "attempts": tq.attempts_of(db, eid, course_id),
        "decision": ts.can_start(db, course, eid, case_id=case_id),
        "case_id": case_id,
        "bank_size": len(ts.bank_of(db, course_id)),
    }
    return render(request, "portal/training_course.html", ctx)


@router.post("/portal/training/courses/{course_id}/exam")
async def start_exam(request: Request, course_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Start (or resume) an exam attempt; refused when the retake rule forbids it."""
    form = await request.form()
    raw = _form_text(form, "case_id")

    def work() -> int:
        a = ts.start_attempt(db, user, course_id, case_id=int(raw) if raw.isdigit() else None)
        db.commit()
        return a.attempt_id

    aid = await run_in_threadpool(work)
    return RedirectResponse(f"/portal/training/exams/{aid}", status_code=303)


@router.get("/portal/training/exams/{attempt_id}")
def exam_page(request: Request, attempt_id: int, user: PageUser, db: DbDep) -> Response:
    """The paper of an open attempt (options in the attempt's order), or its result."""
    attempt: ExamAttempt = load_visible(db, user, "exam_attempt", attempt_id)
    course = db.get(Course, attempt.course_id)
    assert course is not None
    bank = ts.bank_of(db, attempt.course_id)
    items = [
        (i + 1, bank[int(it["question_id"])], list(it["order"]))
        for i, it in enumerate(attempt.paper)
    ]
    cert = None
    if attempt.passed:
        from lantian.assist.training.models import Certificate

        cert = db.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id))
    ctx = {
        "nav": "training",
        "a": attempt,
        "course": course,
        "items": items,
        "kinds": training_vocab.QUESTION_KINDS,
        "cert": cert,
        "answers": attempt.answers or {},
        "records": (
            [r for r in es_records(db, attempt.case_id) if r.exam_attempt_id == attempt_id]
            if attempt.case_id
            else []
        ),
    }
    return render(request, "portal/training_exam.html", ctx)


def es_records(db: Any, case_id: int) -> list[Any]:
    from lantian.enforcement.queries import leniency_records

    return leniency_records(db, case_id)


@router.post("/portal/training/exams/{attempt_id}")
async def submit_exam(request: Request, attempt_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Hand in the paper: ``q<question_id>`` fields with the shown option positions."""
    form = await request.form()
    answers: dict[int, list[int]] = {}
    for key in form:
        if key.startswith("q") and key[1:].isdigit():
            vals = [str(v) for v in form.getlist(key)]
            if not all(v.isdigit() for v in vals):
                raise ValidationError(f"{key}: option positions", field=key)
            answers[int(key[1:])] = [int(v) for v in vals]

    def work() -> None:
        ts.submit_attempt(db, user, attempt_id, answers)
        db.commit()

    await run_in_threadpool(work)
    return RedirectResponse(f"/portal/training/exams/{attempt_id}", status_code=303)


@router.get("/training/certificates/{certificate_id}.pdf")
def certificate(request: Request, certificate_id: int, user: PageUser, db: DbDep) -> Response:
    """The certificate PDF (the enterprise itself, officers who see it)."""
    doc = certificate_pdf(db, user, certificate_id)
    return Response(
        doc.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(doc.filename)}",
            "X-Document-Code": doc.code,
        },
    )


@router.post("/training/courses/{course_id}/materials")
async def add_material(
    request: Request, course_id: int, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """An officer attaches a PDF to a course (checked like every upload)."""
    from starlette.datastructures import UploadFile

    from lantian.web.limits import check_upload_size
    from lantian.workflow.files import UploadedFile

    form = await request.form()
    value = form.get("file")
    if not isinstance(value, UploadFile) or not value.filename:
        raise ValidationError("files: 请选择 PDF 文件 (a PDF is required)", field="files")
    check_upload_size(value.filename, value.size)
    upload = UploadedFile(value.filename, await value.read(), value.content_type)
    uploads = request.app.state.settings.uploads_dir

    def work() -> None:
        ts.add_pdf_material(db, user, course_id, _form_text(form, "title"), upload, uploads)
        db.commit()

    await run_in_threadpool(work)
    return RedirectResponse("/training?done=1#courses", status_code=303)


@router.get("/training/materials/{material_id}.pdf")
def material_pdf(request: Request, material_id: int, user: PageUser, db: DbDep) -> Response:
    """A course's PDF material (any signed-in user: courses are public)."""
    from pathlib import Path

    m = db.get(CourseMaterial, material_id)
    if m is None or not m.file_path:
        raise HTTPException(404, _("Not found"))
    path = Path(request.app.state.settings.uploads_dir) / m.file_path
    if not path.is_file():
        raise HTTPException(404, _("Not found"))
    return Response(
        path.read_bytes(),
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(m.title)}.pdf"},
    )
