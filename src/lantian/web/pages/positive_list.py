"""正面清单 and 绩效分级 pages (docs/SUPERVISION.md).

Officers: the current list and its history with filters (district, industry, dates) and
their Excel export, the periodic review's proposals to accept or reject, manual decisions;
an enterprise's grade history with the form to record a grade; 创A升B applications with
their assessment steps. Enterprises: ``/portal/grades`` (their grade, its history, their
applications and the form to apply).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.auth.errors import PermissionDenied, ValidationError
from lantian.auth.models import User
from lantian.registry.models import Line
from lantian.supervision.config import SupervisionConfig, load_config
from lantian.supervision.grades import services as gs
from lantian.supervision.listing import services as ls
from lantian.timeutil import now_cst
from lantian.vocab import registry as rv
from lantian.vocab import supervision as sv
from lantian.web.access import enterprise_or_404
from lantian.web.api.exports import download
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PagePrincipal, PageUser, _
from lantian.web.forms import (
    check_max_lengths,
    check_required,
    errors_from,
    form_error_response,
    submitted_values,
)
from lantian.web.labels import N_, VocabLabels, vocab_name
from lantian.web.templating import render
from lantian.web.xlsx import sheets_to_xlsx

router = APIRouter(include_in_schema=False)

LABELS: dict[str, Any] = {
    "action_labels": VocabLabels(sv.POSITIVE_LIST_ACTIONS),
    "source_labels": VocabLabels(sv.POSITIVE_LIST_SOURCES),
    "change_labels": VocabLabels(sv.PROPOSAL_CHANGES),
    "proposal_labels": VocabLabels(sv.PROPOSAL_STATUSES),
    "grade_labels": VocabLabels(rv.GRADES),
    "evidence_labels": VocabLabels(sv.GRADE_EVIDENCE_KINDS),
    "application_labels": VocabLabels(sv.GRADE_APPLICATION_STATUSES),
    "step_labels": VocabLabels(sv.GRADE_STEPS),
    "step_result_labels": VocabLabels(sv.STEP_RESULTS),
}
STATE_LABELS: dict[str, str] = {"listed": N_("On the list"), "suspended": N_("Suspended")}


def _config(request: Request) -> SupervisionConfig:
    return load_config(request.app.state.settings.supervision_config)


def _date(values: dict[str, str], name: str) -> dt.date | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(_("Enter a date (YYYY-MM-DD)"), field=name) from exc


def _filter(request: Request) -> ls.ListFilter:
    q = request.query_params
    try:
        start = dt.date.fromisoformat(q["start"]) if q.get("start") else None
        end = dt.date.fromisoformat(q["end"]) if q.get("end") else None
    except ValueError:
        start = end = None
    return ls.ListFilter(
        district=(q.get("district") or "").strip()[:64],
        industry=(q.get("industry") or "").strip()[:32],
        start=start,
        end=end,
    )


def _list_context(request: Request, user: User, db: DbDep) -> dict[str, Any]:
    f = _filter(request)
    current = ls.current_list(db, user, f)
    hist = ls.history(db, user, f)
    return {
        "nav": "positive_list",
        "f": f,
        "current": current,
        "history": hist,
        "proposals": ls.pending_proposals(db, user),
        "districts": sorted(
            {e.district for _d, e in hist if e.district}
            | {r["enterprise"].district for r in current if r["enterprise"].district}
        ),
        "industries": rv.INDUSTRIES,
        "actions": sv.POSITIVE_LIST_ACTIONS,
        "state_labels": {k: _(v) for k, v in STATE_LABELS.items()},
        "done": request.query_params.get("done"),
        "query": request.url.query,
        **LABELS,
    }


@router.get("/positive-list")
def positive_list_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """The current 正面清单, pending review proposals, the history and the decision form."""
    return render(request, "supervision/positive_list.html", _list_context(request, user, db))


async def _list_error(
    request: Request, user: User, db: DbDep, form_id: str, exc: ValidationError, values: Any
) -> Response:
    def context() -> dict[str, Any]:
        db.rollback()
        return _list_context(request, user, db)

    ctx = await run_in_threadpool(context)
    ctx["done"] = None
    return form_error_response(
        request, "supervision/positive_list.html", ctx, errors_from(exc, form_id, values)
    )


@router.post("/positive-list/decisions")
async def decide_page(request: Request, _p: PageOfficer, user: PagePostUser, db: DbDep) -> Response:
    """An officer's decision (纳入 / 移出 / 暂停 / 恢复) with its reason; audited."""
    form = submitted_values(await request.form())

    def work() -> None:
        check_max_lengths(form, {"enterprise_id": 64, "action": 16, "reason": 2000})
        check_required(form, "enterprise_id", "action", "reason")
        if form["action"] not in sv.POSITIVE_LIST_ACTIONS:
            raise ValidationError(_("Choose one of the options"), field="action")
        ls.decide(
            db,
            user,
            form["enterprise_id"].strip(),
            form["action"],
            [form["reason"]],
            effective_from=_date(form, "effective_from"),
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _list_error(request, user, db, "decide-form", exc, form)
    return RedirectResponse("/positive-list?done=decided", status_code=303)


@router.post("/positive-list/proposals/{proposal_id}")
async def proposal_page(
    request: Request, proposal_id: int, _p: PageOfficer, user: PagePostUser, db: DbDep
) -> Response:
    """采纳 or 不采纳 (with a reason) one proposal of the periodic review."""
    form = submitted_values(await request.form())

    def work() -> None:
        check_max_lengths(form, {"decision": 8, "note": 2000})
        if form.get("decision") not in ("accept", "reject"):
            raise ValidationError(_("Choose one of the options"), field="decision")
        ls.decide_proposal(
            db, user, proposal_id, accept=form["decision"] == "accept", note=form.get("note", "")
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _list_error(request, user, db, f"proposal-{proposal_id}", exc, form)
    return RedirectResponse("/positive-list?done=proposal", status_code=303)


@router.post("/positive-list/review")
async def review_page(request: Request, _p: PageOfficer, user: PagePostUser, db: DbDep) -> Response:
    """Run the periodic review now over the user's jurisdiction (proposals stored, audited)."""
    config = _config(request)

    def work() -> int:
        n = len(
            ls.run_review(
                db, user, config, now_cst().date(), jurisdiction=user.district or user.city
            )
        )
        db.commit()
        return n

    n = await run_in_threadpool(work)
    return RedirectResponse(f"/positive-list?done=review-{n}", status_code=303)


@router.get("/positive-list/export.xlsx")
def positive_list_xlsx(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """The current list and its history (same filters as the page) as one workbook."""
    ctx = _list_context(request, user, db)
    states = ctx["state_labels"]
    current = [
        [
            r["enterprise"].enterprise_id,
            r["enterprise"].name,
            r["enterprise"].district or "",
            vocab_name(rv.INDUSTRIES, r["enterprise"].industry),
            vocab_name(rv.GRADES, r["enterprise"].grade) if r["enterprise"].grade else "",
            states.get(r["state"], r["state"]),
            r["since"].isoformat() if r["since"] else "",
            "；".join(r["decision"].reasons) if r["decision"] else "",
        ]
        for r in ctx["current"]
    ]
    history = [
        [
            d.decided_at,
            e.enterprise_id,
            e.name,
            e.district or "",
            vocab_name(rv.INDUSTRIES, e.industry),
            vocab_name(sv.POSITIVE_LIST_ACTIONS, d.action),
            vocab_name(sv.POSITIVE_LIST_SOURCES, d.source),
            "；".join(d.reasons),
            d.decided_by_name,
            d.effective_from.isoformat(),
            d.effective_to.isoformat() if d.effective_to else "",
        ]
        for d, e in ctx["history"]
    ]
    data = sheets_to_xlsx(
        [
            (
                _("Positive list"),
                [
                    _("Enterprise ID"),
                    _("Enterprise"),
                    _("District"),
                    _("Industry"),
                    _("Performance grade"),
                    _("State"),
                    _("Listed since"),
                    _("Reasons for the decision"),
                ],
                current,
            ),
            (
                _("Decision history"),
                [
                    _("Decided at"),
                    _("Enterprise ID"),
                    _("Enterprise"),
                    _("District"),
                    _("Industry"),
                    _("Decision"),
                    _("Source"),
                    _("Reasons for the decision"),
                    _("Decided by"),
                    _("Effective from"),
                    _("Effective to"),
                ],
                history,
            ),
        ]
    )
    name = f"{_('Positive list')}_{now_cst():%Y%m%d}.xlsx"
    return download(data, name, ascii_name=f"positive-list_{now_cst():%Y%m%d}.xlsx")


# --------------------------------------------------------------------------- grades


def _lines(db: DbDep, enterprise_id: str) -> list[Line]:
    from sqlalchemy import select

    return list(db.scalars(select(Line).where(Line.enterprise_id == enterprise_id)))


def _grades_context(request: Request, user: User, db: DbDep, enterprise_id: str) -> dict[str, Any]:
    ent = enterprise_or_404(db, request.state.principal, enterprise_id)
    return {
        "nav": "enterprises",
        "enterprise": ent,
        "records": gs.history(db, user, enterprise_id),
        "lines": _lines(db, enterprise_id),
        "grades": rv.GRADES,
        "evidence_kinds": [t for t in sv.GRADE_EVIDENCE_KINDS if t.code != "import"],
        "applications": [
            a for a, _e in gs.applications(db, user) if a.enterprise_id == enterprise_id
        ],
        "today": now_cst().date().isoformat(),
        "done": request.query_params.get("done"),
        **LABELS,
    }


@router.get("/enterprises/{enterprise_id}/grades")
def grades_page(
    request: Request, enterprise_id: str, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """An enterprise's 绩效分级 history (enterprise and lines) and the form to record one."""
    return render(
        request, "supervision/grades.html", _grades_context(request, user, db, enterprise_id)
    )


@router.post("/enterprises/{enterprise_id}/grades")
async def record_grade_page(
    request: Request, enterprise_id: str, _p: PageOfficer, user: PagePostUser, db: DbDep
) -> Response:
    """Record a grade with its effective date and evidence (audited)."""
    form = submitted_values(await request.form())

    def work() -> None:
        check_max_lengths(
            form,
            {"grade": 2, "line_id": 64, "evidence_kind": 16, "evidence_ref": 200, "note": 2000},
        )
        check_required(form, "effective_from", "evidence_kind")
        day = _date(form, "effective_from")
        assert day is not None
        grade = form.get("grade") or None
        if grade is not None and grade not in rv.GRADES:
            raise ValidationError(_("Choose one of the options"), field="grade")
        gs.record_grade(
            db,
            user,
            enterprise_id,
            grade,
            effective_from=day,
            evidence_kind=form["evidence_kind"],
            evidence_ref=form.get("evidence_ref"),
            note=form.get("note"),
            line_id=form.get("line_id") or None,
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            return _grades_context(request, user, db, enterprise_id)

        ctx = await run_in_threadpool(context)
        ctx["done"] = None
        return form_error_response(
            request, "supervision/grades.html", ctx, errors_from(exc, "grade-form", form)
        )
    return RedirectResponse(f"/enterprises/{enterprise_id}/grades?done=recorded", status_code=303)


@router.get("/grade-applications")
def applications_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """创A升B applications of the enterprises in scope, open ones first."""
    rows = gs.applications(db, user)
    rows.sort(key=lambda r: (r[0].status not in gs.OPEN_APPLICATION, -r[0].application_id))
    ctx = {"nav": "grade_applications", "rows": rows, **LABELS}
    return render(request, "supervision/grade_applications.html", ctx)


def _application_context(
    request: Request, user: User, db: DbDep, application_id: int
) -> dict[str, Any]:
    app = gs.load_application(db, user, application_id)
    config = _config(request).grades
    steps = gs.steps_of(db, application_id)
    return {
        "nav": "grade_applications" if user.role != "enterprise" else "portal_grades",
        "app": app,
        "enterprise": enterprise_or_404(db, request.state.principal, app.enterprise_id),
        "steps": steps,
        "next_step": gs.next_step(config, [s.step for s in steps])
        if app.status in gs.OPEN_APPLICATION
        else None,
        "configured_steps": config.steps,
        "is_officer": user.role != "enterprise",
        **LABELS,
    }


@router.get("/grade-applications/{application_id}")
def application_page(
    request: Request, application_id: int, _p: PagePrincipal, user: PageUser, db: DbDep
) -> Response:
    """One application: statement, configured steps with what was recorded, next step form."""
    ctx = _application_context(request, user, db, application_id)
    return render(request, "supervision/grade_application.html", ctx)


@router.post("/grade-applications/{application_id}/steps")
async def record_step_page(
    request: Request, application_id: int, _p: PageOfficer, user: PagePostUser, db: DbDep
) -> Response:
    """Record the next assessment step (a failed step needs a note; the last one decides)."""
    form = submitted_values(await request.form())
    config = _config(request).grades

    def work() -> None:
        check_max_lengths(form, {"step": 16, "result": 8, "note": 2000, "evidence_ref": 200})
        check_required(form, "step", "result")
        if form["result"] not in sv.STEP_RESULTS:
            raise ValidationError(_("Choose one of the options"), field="result")
        gs.record_step(
            db,
            user,
            config,
            application_id,
            step=form["step"],
            result=form["result"],
            note=form.get("note", ""),
            evidence_ref=form.get("evidence_ref"),
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            return _application_context(request, user, db, application_id)

        ctx = await run_in_threadpool(context)
        return form_error_response(
            request,
            "supervision/grade_application.html",
            ctx,
            errors_from(exc, "step-form", form),
        )
    return RedirectResponse(f"/grade-applications/{application_id}", status_code=303)


# --------------------------------------------------------------------------- portal


def _portal_context(request: Request, user: User, db: DbDep) -> dict[str, Any]:
    if user.role != "enterprise" or not user.enterprise_id:
        raise PermissionDenied(_("Only enterprise accounts apply"))
    eid = user.enterprise_id
    config = _config(request).grades
    return {
        "nav": "portal_grades",
        "enterprise": enterprise_or_404(db, request.state.principal, eid),
        "records": gs.history(db, user, eid),
        "applications": [a for a, _e in gs.applications(db, user)],
        "lines": _lines(db, eid),
        "applicable": [t for t in rv.GRADES if t.code in config.applicable_grades],
        "configured_steps": config.steps,
        **LABELS,
    }


@router.get("/portal/grades")
def portal_grades_page(request: Request, _p: PagePrincipal, user: PageUser, db: DbDep) -> Response:
    """The enterprise's grade, its history, its 创A升B applications and the form to apply."""
    if _p.is_officer:
        return RedirectResponse("/grade-applications", status_code=303)
    return render(request, "portal/grades.html", _portal_context(request, user, db))


@router.post("/portal/grades")
async def portal_apply(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Apply for a grade (target, optional line, statement); audited."""
    form = submitted_values(await request.form())
    config = _config(request).grades

    def work() -> int:
        check_max_lengths(form, {"target_grade": 2, "line_id": 64, "statement": 4000})
        check_required(form, "target_grade", "statement")
        app = gs.apply(
            db,
            user,
            config,
            target_grade=form["target_grade"],
            statement=form["statement"],
            line_id=form.get("line_id") or None,
        )
        db.commit()
        return app.application_id

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            return _portal_context(request, user, db)

        ctx = await run_in_threadpool(context)
        return form_error_response(
            request, "portal/grades.html", ctx, errors_from(exc, "apply-form", form)
        )
    return RedirectResponse("/portal/grades?done=applied", status_code=303)
