"""Consultation pages (咨询): the enterprise asks and rates (phone-first), officers work
their queue (unclaimed in scope, mine, overdue) under 首问负责制; the FAQ."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lantian.assist.questions import queries as qq
from lantian.assist.questions import rules
from lantian.assist.questions import services as qs
from lantian.assist.questions.config import load_config
from lantian.assist.questions.models import FaqEntry, QuestionPhoto
from lantian.auth.errors import DomainError, NotFound, ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import can_see
from lantian.vocab import consultation as cv
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.forms import (
    check_max_lengths,
    check_required,
    errors_from,
    form_error_response,
    submitted_values,
)
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.web.templating import render
from lantian.workflow.files import UploadedFile

router = APIRouter(include_in_schema=False)

TRANSFER_ROLES = ("district_officer", "city_officer", "work_group")


def _queue_context(request: Request, db: DbDep, user: User) -> dict[str, Any]:
    is_officer = user.role != "enterprise"
    queue = request.query_params.get("queue") or ("unclaimed" if is_officer else "all")
    if queue not in qq.QUEUES:
        queue = "all"
    return {
        "nav": "questions",
        "queue": queue,
        "queues": qq.QUEUES,
        "rows": qq.list_questions(db, user, queue),  # type: ignore[arg-type]
        "counts": qq.queue_counts(db, user) if is_officer else {},
        "states": cv.QUESTION_STATES,
        "timeliness": cv.QUESTION_TIMELINESS,
        "max_photos": qs.MAX_PHOTOS,
        "done": request.query_params.get("done"),
    }


@router.get("/questions")
def questions_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Enterprise: the ask form and its questions. Officers: the queues."""
    return render(request, "assist/questions.html", _queue_context(request, db, user))


async def _read_form(request: Request) -> tuple[dict[str, str], list[UploadedFile]]:
    form = await request.form()
    files: list[UploadedFile] = []
    uploads = [v for _k, v in form.multi_items() if isinstance(v, UploadFile) and v.filename]
    check_upload_count(len(uploads))
    for value in uploads:
        check_upload_size(value.filename or "", value.size)
        files.append(UploadedFile(value.filename or "", await value.read(), value.content_type))
    return submitted_values(form), files


@router.post("/questions")
async def ask(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Ask (text and up to 6 photos); stored before anything else runs."""
    values, files = await _read_form(request)

    def work() -> int:
        check_max_lengths(values, {"text": qs.MAX_TEXT})
        check_required(values, "text")
        settings = request.app.state.settings
        q = qs.ask(
            db,
            user,
            values["text"],
            photos=files,
            uploads_dir=settings.uploads_dir,
            config=load_config(settings.questions_config),
        )
        db.commit()
        return q.question_id

    try:
        qid = await run_in_threadpool(work)
    except ValidationError as exc:

        def ctx() -> dict[str, Any]:
            db.rollback()
            return _queue_context(request, db, user)

        context = await run_in_threadpool(ctx)
        return form_error_response(
            request, "assist/questions.html", context, errors_from(exc, "ask-form", values)
        )
    qs.run_after_ask(qid)
    return RedirectResponse(f"/questions/{qid}?done=asked", status_code=303)


def _officers_for(db: DbDep, question_id: int, exclude: int | None) -> list[User]:
    rows = db.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_(TRANSFER_ROLES))
        .order_by(User.role, User.display_name)
        .limit(500)
    ).all()
    return [u for u in rows if u.user_id != exclude and can_see(db, u, "question", question_id)]


def _detail_context(request: Request, db: DbDep, user: User, question_id: int) -> dict[str, Any]:
    q = qs.load_question(db, user, question_id)
    data = qq.question_dict(db, q)
    is_officer = user.role != "enterprise"
    answered = q.answered_at is not None
    ctx: dict[str, Any] = {
        "nav": "questions",
        "q": q,
        "d": data,
        "photos": qq.photos_of(db, q.question_id),
        "is_owner": q.owner_id == user.user_id,
        "done": request.query_params.get("done"),
        "ratings": cv.RATINGS,
        "faq": db.scalar(select(FaqEntry).where(FaqEntry.question_id == q.question_id)),
    }
    if is_officer and not answered:
        decide = {
            a: rules.decide(
                a,
                owner_id=q.owner_id,
                answered=answered,
                actor_id=user.user_id,
                actor_role=user.role,
                target_id=-1,
            )
            for a in ("claim", "answer", "transfer")
        }
        ctx["can_claim"] = decide["claim"].outcome == "ok"
        ctx["can_answer"] = decide["answer"].allowed
        ctx["can_transfer"] = decide["transfer"].allowed
        if ctx["can_transfer"]:
            ctx["officers"] = _officers_for(db, q.question_id, q.owner_id)
    ctx["can_rate"] = user.role == "enterprise" and answered and q.rated_at is None
    ctx["can_faq"] = is_officer and answered and ctx["faq"] is None
    return ctx


@router.get("/questions/{question_id}")
def question_page(request: Request, question_id: int, user: PageUser, db: DbDep) -> Response:
    """One question: its answer, and the forms the user may use."""
    return render(request, "assist/question.html", _detail_context(request, db, user, question_id))


async def _post(
    request: Request,
    user: User,
    db: DbDep,
    question_id: int,
    form_id: str,
    action: Any,
    done: str,
) -> Response:
    values = submitted_values(await request.form())

    def work() -> None:
        action(values)
        db.commit()

    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise

        def ctx() -> dict[str, Any]:
            db.rollback()
            return _detail_context(request, db, user, question_id)

        context = await run_in_threadpool(ctx)
        return form_error_response(
            request, "assist/question.html", context, errors_from(exc, form_id, values)
        )
    return RedirectResponse(f"/questions/{question_id}?done={done}", status_code=303)


@router.post("/questions/{question_id}/claim")
async def claim(request: Request, question_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Open and claim (首问): the first officer owns the question."""
    return await _post(
        request, user, db, question_id, "claim-form",
        lambda v: qs.claim(db, user, question_id), "claimed",
    )  # fmt: skip


@router.post("/questions/{question_id}/answer")
async def answer(request: Request, question_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The owner answers."""

    def act(v: dict[str, str]) -> None:
        check_max_lengths(v, {"text": qs.MAX_TEXT})
        check_required(v, "text")
        qs.answer(db, user, question_id, v["text"])

    return await _post(request, user, db, question_id, "answer-form", act, "answered")


@router.post("/questions/{question_id}/transfer")
async def transfer(request: Request, question_id: int, user: PagePostUser, db: DbDep) -> Response:
    """转办 with a reason."""

    def act(v: dict[str, str]) -> None:
        check_max_lengths(v, {"reason": 1000, "to_officer_id": 12})
        check_required(v, "to_officer_id", "reason")
        try:
            target = int(v["to_officer_id"])
        except ValueError as exc:
            raise ValidationError(_("Choose an officer"), field="to_officer_id") from exc
        qs.transfer(db, user, question_id, target, v["reason"])

    return await _post(request, user, db, question_id, "transfer-form", act, "transferred")


@router.post("/questions/{question_id}/rate")
async def rate(request: Request, question_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise rates the answer."""

    def act(v: dict[str, str]) -> None:
        check_max_lengths(v, {"rating": 2, "comment": 1000})
        check_required(v, "rating")
        try:
            n = int(v["rating"])
        except ValueError as exc:
            raise ValidationError(_("Choose one of the options"), field="rating") from exc
        qs.rate(db, user, question_id, n, v.get("comment"))

    return await _post(request, user, db, question_id, "rate-form", act, "rated")


@router.post("/questions/{question_id}/faq")
async def faq_promote(
    request: Request, question_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Publish the answer as an FAQ entry (reworded)."""

    def act(v: dict[str, str]) -> None:
        check_max_lengths(v, {"title": 300, "answer": qs.MAX_TEXT})
        check_required(v, "title", "answer")
        qs.promote_to_faq(db, user, question_id, title=v["title"], answer_text=v["answer"])

    return await _post(request, user, db, question_id, "faq-form", act, "published")


@router.get("/questions/{question_id}/photos/{photo_id}")
def photo(request: Request, question_id: int, photo_id: int, user: PageUser, db: DbDep) -> Response:
    """A photo of a question the user sees."""
    q = qs.load_question(db, user, question_id)
    p = db.get(QuestionPhoto, photo_id)
    if p is None or p.question_id != q.question_id:
        raise NotFound(f"photo {photo_id} not found")
    path = request.app.state.settings.uploads_dir / p.path
    if not path.is_file():
        raise NotFound(f"photo {photo_id}: file missing")
    return FileResponse(
        path, media_type=p.content_type, filename=p.filename, content_disposition_type="inline"
    )


@router.get("/faq")
def faq_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """常见问题: answers published by officers, searchable; every logged-in user."""
    search = (request.query_params.get("q") or "").strip()[:100]
    return render(
        request,
        "assist/faq.html",
        {"nav": "questions", "entries": qq.faq_entries(db, user, search or None), "q": search},
    )
