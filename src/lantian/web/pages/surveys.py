"""Satisfaction survey pages: the enterprise answers (phone-first, anonymous option);
officers read results by service kind, district and team, and export them to Excel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.assist.scoring.compute import PeriodError, parse_period
from lantian.assist.surveys import queries as sq
from lantian.assist.surveys import services as ss
from lantian.assist.surveys.config import load_form
from lantian.assist.surveys.models import SurveyInvitation
from lantian.auth.errors import DomainError, InvalidTransition, NotFound, ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.timeutil import now_cst
from lantian.vocab import consultation as cv
from lantian.web.api.exports import dated_name, download
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser, _
from lantian.web.forms import errors_from, form_error_response, submitted_values
from lantian.web.templating import render
from lantian.web.xlsx import rows_to_xlsx

router = APIRouter(include_in_schema=False)


def _period(request: Request) -> str:
    period = (request.query_params.get("period") or "").strip() or f"{now_cst():%Y-%m}"
    try:
        parse_period(period)
    except PeriodError as exc:
        raise ValidationError(_("Enter a month as YYYY-MM"), field="period") from exc
    return period


def _results(request: Request, db: DbDep, user: User, period: str) -> dict[str, Any]:
    start, end = parse_period(period)
    from lantian.web.deps import current_language

    return sq.results(db, user, sq.months_between(start, end), lang=current_language.get())


@router.get("/surveys/results.xlsx")
def results_xlsx(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """The results of a month as a workbook (one row per group)."""
    period = _period(request)
    groups = _results(request, db, user, period)
    form = load_form()
    rating_qs = [q for q in form.questions if q.kind == "rating"]
    dims = {"kind": _("Service kind"), "district": _("District"), "team": _("Team")}
    header = [
        _("Grouped by"),
        _("Group"),
        _("Responses"),
        _("Anonymous"),
        _("Overall (1-5)"),
        *[q.zh for q in rating_qs],
    ]
    rows = []
    for dim, gs in groups.items():
        for g in gs:
            hidden = _("fewer than %(n)s answers") % {"n": sq.MIN_GROUP}
            rows.append(
                [
                    dims[dim],
                    g.label,
                    g.n,
                    g.anonymous,
                    hidden if g.suppressed else (round(g.overall, 2) if g.overall else None),
                    *[
                        hidden
                        if g.suppressed
                        else (None if g.means.get(q.id) is None else round(g.means[q.id] or 0, 2))
                        for q in rating_qs
                    ],
                ]
            )
    data = rows_to_xlsx(_("Survey results") + " " + period, header, rows)
    return download(data, dated_name(_("Survey results") + period), ascii_name="surveys.xlsx")


@router.get("/surveys")
def surveys_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Enterprise: its invitations (open first). Officers: the results of a month."""
    if user.role == "enterprise":
        return render(
            request,
            "assist/surveys.html",
            {
                "nav": "surveys",
                "invitations": sq.invitations_of(db, user),
                "kinds": cv.SURVEY_KINDS,
                "done": request.query_params.get("done"),
            },
        )
    period = _period(request)
    form = load_form()
    return render(
        request,
        "assist/survey_results.html",
        {
            "nav": "surveys",
            "period": period,
            "groups": _results(request, db, user, period),
            "rating_questions": [q for q in form.questions if q.kind == "rating"],
            "min_group": sq.MIN_GROUP,
        },
    )


def _form_context(db: DbDep, user: User, invitation_id: int) -> dict[str, Any]:
    if user.role != "enterprise":
        raise NotFound(f"survey invitation {invitation_id} not found")
    inv: SurveyInvitation = load_visible(db, user, "survey_invitation", invitation_id)
    return {
        "nav": "surveys",
        "inv": inv,
        "kind_label": cv.SURVEY_KINDS.name(inv.kind),
        "questions": load_form().for_kind(inv.kind),
        "ratings": cv.RATINGS,
    }


@router.get("/surveys/{invitation_id}")
def survey_form(request: Request, invitation_id: int, user: PageUser, db: DbDep) -> Response:
    """The survey form of one invitation (enterprise)."""
    return render(request, "assist/survey_form.html", _form_context(db, user, invitation_id))


@router.post("/surveys/{invitation_id}")
async def survey_submit(
    request: Request, invitation_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Answer once; ``anonymous`` keeps no link to the enterprise."""
    values = submitted_values(await request.form())

    def work() -> None:
        answers = {k: v for k, v in values.items() if k != "anonymous"}
        ss.respond(db, user, invitation_id, answers, anonymous=values.get("anonymous") == "yes")
        db.commit()

    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        if isinstance(exc, NotFound | InvalidTransition):
            raise

        def ctx() -> dict[str, Any]:
            db.rollback()
            return _form_context(db, user, invitation_id)

        context = await run_in_threadpool(ctx)
        return form_error_response(
            request, "assist/survey_form.html", context, errors_from(exc, "survey-form", values)
        )
    return RedirectResponse("/surveys?done=1", status_code=303)
