"""Self-check (自查) pages: the enterprise fills its self-check on the phone (portal), officers
list and review them, and edit the templates (new version, items, applicability preview).

Enterprise: ``/portal/self-checks`` (due date, 预告知 asking for one, drafts, submitted ones,
open findings), ``/portal/self-checks/{id}`` (compact list: answer, note, fix-by date and a
photo per item; save and resume, or submit). Officers: ``/self-checks``,
``/self-checks/{id}`` (review), ``/self-checks/templates`` and
``/self-checks/templates/{industry}`` (editor with preview).
"""

from __future__ import annotations

import tomllib
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lantian.assist.selfchecks import queries as sq
from lantian.assist.selfchecks import services as ss
from lantian.assist.selfchecks.conditions import applies, describe
from lantian.assist.selfchecks.models import SelfCheck
from lantian.auth.errors import DomainError, ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst
from lantian.vocab import selfchecks as scv
from lantian.vocab.registry import INDUSTRIES
from lantian.web.deps import DbDep, PagePostUser, PageUser, _, current_language
from lantian.web.forms import FormErrors, localized_message
from lantian.web.limits import check_upload_size
from lantian.web.templating import render
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import ChecklistTemplate, Notice

router = APIRouter(include_in_schema=False)


def _names() -> dict[str, dict[str, str]]:
    lang = current_language.get()
    return {
        "answer": {t.code: t.name(lang) for t in scv.SELF_CHECK_ANSWERS},
        "status": {t.code: t.name(lang) for t in scv.SELF_CHECK_STATUSES},
        "origin": {t.code: t.name(lang) for t in scv.SELF_CHECK_ORIGINS},
        "finding": {t.code: t.name(lang) for t in scv.FINDING_STATUSES},
        "industry": {t.code: t.name(lang) for t in INDUSTRIES},
    }


def _enterprise(user: User) -> str:
    if user.role != "enterprise" or not user.enterprise_id:
        raise HTTPException(403, _("Only enterprise accounts have an enterprise"))
    return user.enterprise_id


# --------------------------------------------------------------------------- enterprise


@router.get("/portal/self-checks")
def portal_list(request: Request, user: PageUser, db: DbDep) -> Response:
    """The enterprise's self-checks, the next due date, pre-notifications and open findings."""
    if user.role != "enterprise":
        return RedirectResponse("/self-checks", status_code=303)
    eid = _enterprise(user)
    settings = request.app.state.settings
    rows = sq.list_self_checks(db, user, include_drafts=True)
    ent = db.get(Enterprise, eid)
    pre = db.scalars(
        select(Notice)
        .where(Notice.enterprise_id == eid, Notice.kind == "pre_notification")
        .order_by(Notice.issued_at.desc())
        .limit(10)
    ).all()
    answered = {r.self_check.notice_id for r in rows if r.self_check.status != "draft"}
    ctx = {
        "nav": "self_checks",
        "rows": rows,
        "pre_notices": [n for n in pre if n.notice_id not in answered],
        "findings": sq.open_findings(db, user, eid),
        "due": sq.next_due(db, eid, interval_days=settings.selfcheck_interval_days, now=now_cst()),
        "today": now_cst().date(),
        "template": ss.current_template(db, ent.industry) if ent else None,
        "names": _names(),
    }
    return render(request, "assist/selfchecks_portal.html", ctx)


@router.post("/portal/self-checks/start")
async def portal_start(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Open (or continue) the draft of the current template, for a 预告知 if named."""
    form = await request.form()
    raw = str(form.get("notice_id") or "").strip()
    notice_id = int(raw) if raw.isdigit() else None

    def work() -> int:
        sc = ss.start_draft(db, user, notice_id=notice_id)
        db.commit()
        return sc.self_check_id

    sid = await run_in_threadpool(work)
    return RedirectResponse(f"/portal/self-checks/{sid}", status_code=303)


def _fill_context(
    db: Any, user: User, sc: SelfCheck, values: dict[str, str] | None = None
) -> dict[str, Any]:
    tpl = db.get(ChecklistTemplate, sc.template_id)
    facts = sq.registry_facts(db, [sc.enterprise_id])[sc.enterprise_id]
    items = ss.applicable_items(tpl, facts) if tpl is not None else []
    if values is None:
        values = {}
        for item_id, a in (sc.answers or {}).items():
            values[f"answer_{item_id}"] = a.get("answer") or ""
            values[f"note_{item_id}"] = a.get("note") or ""
            values[f"fix_by_{item_id}"] = a.get("fix_by") or ""
    return {
        "nav": "self_checks",
        "sc": sc,
        "tpl": tpl,
        "items": items,
        "values": values,
        "photos": sq.files_of(db, sc.self_check_id),
        "findings": sq.findings_of(db, sc.self_check_id),
        "names": _names(),
        "done": sum(1 for it in items if values.get(f"answer_{it['code']}")),
    }


@router.get("/portal/self-checks/{self_check_id}")
def portal_fill(request: Request, self_check_id: int, user: PageUser, db: DbDep) -> Response:
    """The self-check form (a draft) or the submitted self-check with its findings."""
    _enterprise(user)
    sc = sq.get_self_check(db, user, self_check_id)
    ctx = _fill_context(db, user, sc)
    ctx["saved"] = request.query_params.get("saved")
    return render(request, "assist/selfchecks_fill.html", ctx)


@router.post("/portal/self-checks/{self_check_id}")
async def portal_save(
    request: Request, self_check_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Save the answers (``action=save``) or submit them (``action=submit``); photos of
    the items come with it. On refusal the page shows the error with the input kept and
    nothing is stored."""
    _enterprise(user)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    photos: list[tuple[str, UploadedFile]] = []
    for key, value in form.multi_items():
        if key.startswith("photo_") and isinstance(value, UploadFile) and value.filename:
            check_upload_size(value.filename, value.size)
            photos.append(
                (key[6:], UploadedFile(value.filename, await value.read(), value.content_type))
            )
    submit = values.get("action") == "submit"
    settings = request.app.state.settings

    def work() -> None:
        sc = sq.get_self_check(db, user, self_check_id)
        item_ids = [k[7:] for k in values if k.startswith("answer_")] + [
            k[5:] for k in values if k.startswith("note_") and f"answer_{k[5:]}" not in values
        ]
        answers = [
            {
                "item_id": i,
                "answer": values.get(f"answer_{i}") or None,
                "note": values.get(f"note_{i}", ""),
                "fix_by": values.get(f"fix_by_{i}") or None,
            }
            for i in dict.fromkeys(item_ids)
        ]
        for item_id, upload in photos:  # photos first: the draft is still open
            ss.add_photo(
                db, user, sc.self_check_id, item_id, upload, uploads_dir=settings.uploads_dir
            )
        ss.save_self_check(
            db,
            user,
            sc.template_id,
            answers,
            submit=submit,
            self_check_id=sc.self_check_id,
            interval_days=settings.selfcheck_interval_days,
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except DomainError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            sc = sq.get_self_check(db, user, self_check_id)
            return _fill_context(db, user, sc, values)

        ctx = await run_in_threadpool(context)
        ctx["error"] = localized_message(exc)
        ctx["error_item"] = exc.details.get("item_id")
        ctx["form_errors"] = FormErrors("selfcheck-form", values, {}, ctx["error"])
        return render(request, "assist/selfchecks_fill.html", ctx, status_code=422)
    target = "?saved=submitted" if submit else "?saved=draft"
    return RedirectResponse(f"/portal/self-checks/{self_check_id}{target}", status_code=303)


@router.post("/portal/self-check-findings/{finding_id}/fixed")
async def portal_fixed(
    request: Request, finding_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """The enterprise reports a finding fixed."""
    form = await request.form()
    note = str(form.get("note") or "")

    def work() -> int:
        f = ss.mark_finding_fixed(db, user, finding_id, note=note)
        db.commit()
        return f.self_check_id

    sid = await run_in_threadpool(work)
    return RedirectResponse(f"/portal/self-checks/{sid}", status_code=303)


# --------------------------------------------------------------------------- officers


def _officer(user: User) -> None:
    if user.role == "enterprise":
        raise HTTPException(403, _("Only officers may do this"))


@router.get("/self-checks")
def officer_list(
    request: Request,
    user: PageUser,
    db: DbDep,
    status: str | None = None,
    enterprise_id: str | None = None,
) -> Response:
    """Submitted and reviewed self-checks of enterprises in scope."""
    _officer(user)
    st = status if status in scv.SELF_CHECK_STATUSES.codes() else None
    rows = sq.list_self_checks(db, user, status=st, enterprise_id=enterprise_id or None)
    due = sq.due_enterprises(
        db,
        user,
        interval_days=request.app.state.settings.selfcheck_interval_days,
        now=now_cst(),
    )
    ctx = {"nav": "self_checks", "rows": rows, "status": st or "", "names": _names(), "due": due}
    return render(request, "assist/selfchecks_list.html", ctx)


@router.get("/self-checks/templates")
def template_list(request: Request, user: PageUser, db: DbDep) -> Response:
    """The active template of every industry."""
    _officer(user)
    tpls = {
        t.industry: t
        for t in db.scalars(
            select(ChecklistTemplate).where(
                ChecklistTemplate.kind == "self_inspection", ChecklistTemplate.active.is_(True)
            )
        )
    }
    ctx = {"nav": "self_checks", "tpls": tpls, "industries": INDUSTRIES.codes(), "names": _names()}
    return render(request, "assist/selfchecks_templates.html", ctx)


def _editor_context(db: Any, user: User, industry: str) -> dict[str, Any]:
    tpl = ss.current_template(db, industry)
    ids = db.scalars(
        select(Enterprise.enterprise_id).where(
            Enterprise.industry == industry, visible(user, "enterprise", session=db)
        )
    ).all()
    facts = sq.registry_facts(db, ids)
    names = (
        dict(
            db.execute(
                select(Enterprise.enterprise_id, Enterprise.name).where(
                    Enterprise.enterprise_id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    rows = []
    for it in tpl.items if tpl else []:
        hits = [e for e, f in facts.items() if applies(it.get("when"), f)]
        rows.append(
            {
                "item": it,
                "when_text": _when_text(it.get("when")),
                "describe": describe(it.get("when")),
                "count": len(hits),
                "examples": [names.get(e, e) for e in sorted(hits)[:5]],
            }
        )
    return {
        "nav": "self_checks",
        "industry": industry,
        "tpl": tpl,
        "rows": rows,
        "total": len(facts),
        "names": _names(),
        "blank_rows": 3,
    }


def _when_text(when: Any) -> str:
    if not when:
        return ""
    parts = []
    for k, v in when.items():
        if isinstance(v, bool):
            parts.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, list):
            parts.append(f"{k} = [{', '.join(repr(x).replace(chr(39), chr(34)) for x in v)}]")
        else:
            parts.append(f"{k} = {v}")
    return "{ " + ", ".join(parts) + " }"


def parse_when(text: str, where: str) -> dict[str, Any] | None:
    """A condition typed in the editor as a TOML inline table (``{ has_cems = true }``)."""
    t = text.strip()
    if not t:
        return None
    try:
        parsed: dict[str, Any] = tomllib.loads(f"when = {t}")["when"]
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise ValidationError(f"{where}: 适用条件格式错误 (when: {exc})", field="items") from exc
    return parsed


def row_count(value: str | None, most: int) -> int:
    """The ``rows`` field of a form with repeated rows (0 when not a number), capped."""
    text = (value or "").strip()
    return min(int(text), most) if text.isdigit() else 0


def _submitted_rows(values: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(row_count(values.get("rows"), 300)):
        if not values.get(f"id_{i}", "").strip():
            continue
        item = {k: values.get(f"{k}_{i}", "") for k in ("text", "basis")}
        rows.append(
            {
                "item": {"code": values[f"id_{i}"], **item},
                "when_text": values.get(f"when_{i}", ""),
                "describe": "",
                "count": None,
                "examples": [],
            }
        )
    return rows


@router.get("/self-checks/templates/{industry}")
def template_editor(request: Request, industry: str, user: PageUser, db: DbDep) -> Response:
    """The current version with the enterprises (in scope) each item applies to."""
    _officer(user)
    if industry not in INDUSTRIES:
        raise HTTPException(404, _("Not found"))
    return render(request, "assist/selfchecks_editor.html", _editor_context(db, user, industry))


@router.post("/self-checks/templates/{industry}")
async def template_save(request: Request, industry: str, user: PagePostUser, db: DbDep) -> Response:
    """Save the edited items as a new version (the previous one is deactivated)."""
    _officer(user)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}

    def work() -> None:
        items = []
        for i in range(row_count(values.get("rows"), 300)):
            item_id = values.get(f"id_{i}", "").strip()
            if not item_id or values.get(f"delete_{i}"):
                continue
            items.append(
                {
                    "id": item_id,
                    "text": values.get(f"text_{i}", ""),
                    "basis": values.get(f"basis_{i}", ""),
                    "when": parse_when(values.get(f"when_{i}", ""), f"item {item_id}"),
                }
            )
        ss.new_template_version(db, user, industry, title=values.get("title", ""), items=items)
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            return _editor_context(db, user, industry)

        ctx = await run_in_threadpool(context)
        ctx["error"] = localized_message(exc)
        ctx["form_errors"] = FormErrors("template-form", values, {}, ctx["error"])
        ctx["rows"] = _submitted_rows(values)  # the input is kept
        ctx["title"] = values.get("title", "")
        return render(request, "assist/selfchecks_editor.html", ctx, status_code=422)
    return RedirectResponse(f"/self-checks/templates/{industry}?saved=1", status_code=303)


@router.get("/self-checks/{self_check_id}")
def officer_detail(request: Request, self_check_id: int, user: PageUser, db: DbDep) -> Response:
    """A submitted self-check with answers, photos and findings, and the review form."""
    _officer(user)
    sc = sq.get_self_check(db, user, self_check_id)
    ctx = _fill_context(db, user, sc)
    ctx["nav"] = "self_checks"
    ctx["enterprise"] = db.get(Enterprise, sc.enterprise_id)
    ctx["reviewer"] = db.get(User, sc.reviewed_by) if sc.reviewed_by else None
    return render(request, "assist/selfchecks_review.html", ctx)


@router.post("/self-checks/{self_check_id}/review")
async def officer_review(
    request: Request, self_check_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Mark a submitted self-check reviewed (with an optional note)."""
    form = await request.form()
    note = str(form.get("note") or "")[:4000]

    def work() -> None:
        ss.review_self_check(db, user, self_check_id, note=note)
        db.commit()

    await run_in_threadpool(work)
    return RedirectResponse(f"/self-checks/{self_check_id}", status_code=303)
