"""差异化监管 pages: 双随机 plans (list, draw form, detail, Excel for 公开) and the risk
explanation of an enterprise (docs/SUPERVISION.md).

Who may draw or see a plan: officers whose region covers the plan's jurisdiction
(:func:`lantian.supervision.plans.services.jurisdiction_in_scope`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lantian.supervision.config import SupervisionConfig, SupervisionConfigError, load_config
from lantian.supervision.plan import PlanError, parse_period
from lantian.supervision.plans import services as ps
from lantian.timeutil import now_cst
from lantian.vocab.risk import RISK_TERMS, plan_reason
from lantian.web.access import enterprise_or_404
from lantian.web.api.exports import download
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser, _, current_language
from lantian.web.labels import N_
from lantian.web.templating import render
from lantian.web.xlsx import rows_to_xlsx
from lantian.workflow.states import transition_for

router = APIRouter(include_in_schema=False)
DISPATCH_ROLES = tuple(transition_for("new", "dispatch").roles)  # type: ignore[union-attr]
"""Roles that may accept a plan (its visits are dispatched as cases)."""

MODE_LABELS: dict[str, str] = {"onsite": N_("On site"), "remote": N_("Remote (off-site)")}
UNSATISFIED_LABELS: dict[str, str] = {
    "minimum": N_("Minimum not met"),
    "quota": N_("Quota short"),
    "inspectors": N_("No inspector pair"),
}
CATEGORY_LABELS: dict[str, str] = {"key": N_("Key units"), "general": N_("General units")}


def _config(request: Request) -> SupervisionConfig:
    return load_config(request.app.state.settings.supervision_config)


def _labels() -> dict[str, Any]:
    tr = {t.code: t.name(current_language.get()) for t in RISK_TERMS}  # labels: the vocabulary
    return {
        "term_labels": tr,
        "mode_labels": {k: _(v) for k, v in MODE_LABELS.items()},
        "unsatisfied_labels": {k: _(v) for k, v in UNSATISFIED_LABELS.items()},
        "category_labels": {k: _(v) for k, v in CATEGORY_LABELS.items()},
        "plan_reason": plan_reason,  # a draw's reason in the page's language (vocab.risk)
    }


def _default_period() -> str:
    today = now_cst().date()
    nxt = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return f"{nxt.year:04d}-{nxt.month:02d}"


def _list_page(
    request: Request,
    user: Any,
    db: DbDep,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = {
        "nav": "plans",
        "draws": ps.list_draws(db, user),
        "error": error,
        "form": form
        or {
            "period": _default_period(),
            "jurisdiction": user.district or user.city or "",
            "seed": "",
        },
        **_labels(),
    }
    return render(request, "supervision/plans.html", ctx, status_code=status_code)


@router.get("/plans")
def plans_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """Stored 双随机 draws in the user's scope, newest first, and the draw form."""
    return _list_page(request, user, db)


@router.post("/plans")
def draw_plan_page(
    request: Request,
    user: PagePostUser,
    db: DbDep,
    period: Annotated[str, Form(max_length=16)],
    seed: Annotated[int, Form(ge=0, le=2**63 - 1)],
    jurisdiction: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Draw, store and audit a plan (as ``POST /api/plans``), then show it."""
    form = {"period": period, "jurisdiction": jurisdiction, "seed": seed}
    j = jurisdiction.strip() or None
    ps.require_draw_scope(db, user, j)
    try:
        config = _config(request)
    except SupervisionConfigError as exc:
        return _list_page(request, user, db, error=str(exc), form=form, status_code=422)
    try:
        _plan, draw_id = ps.draw_and_store(
            db, user, config, period=period.strip(), jurisdiction=j, seed=seed
        )
    except PlanError as exc:
        db.rollback()
        return _list_page(request, user, db, error=str(exc), form=form, status_code=422)
    db.commit()
    return RedirectResponse(f"/plans/{draw_id}", status_code=303)


@router.post("/plans/{draw_id}/accept")
def accept_plan_page(request: Request, draw_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Accept the plan: one dispatched inspection case per on-site visit."""
    cases = ps.accept_plan(db, user, draw_id)
    db.commit()
    return RedirectResponse(f"/plans/{draw_id}?accepted={len(cases)}", status_code=303)


@router.post("/plans/{draw_id}/pre-notify")
def pre_notify_page(
    request: Request,
    draw_id: int,
    user: PagePostUser,
    db: DbDep,
    inspection_date: Annotated[dt.date, Form()],
) -> Response:
    """预告知 of every inspection case of the accepted plan (with the self-check table)."""
    notices = ps.pre_notify_plan(db, user, _config(request), draw_id, inspection_date)
    db.commit()
    return RedirectResponse(f"/plans/{draw_id}?notified={len(notices)}", status_code=303)


@router.get("/plans/{draw_id}/export.xlsx")
def plan_xlsx(
    request: Request, draw_id: int, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """The plan as a workbook for 公开: one row per visit (seed and inputs hash included)."""
    row = ps.get_draw(db, user, draw_id)
    visits, _same = ps.draw_visits(db, row, _config(request))
    labels = _labels()
    header = [
        _("Period"),
        _("Jurisdiction"),
        _("Seed"),
        _("Inputs hash"),
        _("Enterprise ID"),
        _("Enterprise"),
        _("Region"),
        _("Category"),
        _("Mode"),
        _("Risk"),
        _("Inspectors"),
        _("Reasons"),
    ]
    data = [
        [
            row.period,
            row.jurisdiction or _("All"),
            row.seed,
            row.inputs_hash,
            v.enterprise_id,
            v.enterprise_name,
            f"{v.city or ''} {v.district or ''}".strip(),
            labels["category_labels"].get(v.category, v.category),
            labels["mode_labels"].get(v.mode, v.mode),
            v.risk,
            "、".join(v.inspector_names),
            "；".join(plan_reason(r, current_language.get()) for r in v.reasons),
        ]
        for v in visits
    ]
    return download(
        rows_to_xlsx(_("Inspection plan"), header, data), f"plan-{row.period}-{draw_id}.xlsx"
    )


@router.get("/plans/{draw_id}")
def plan_page(
    request: Request, draw_id: int, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """One draw: visits (names, inspectors, mode, risk explained term by term, reasons),
    quotas and what the draw could not satisfy."""
    row = ps.get_draw(db, user, draw_id)
    config = _config(request)
    visits, same_config = ps.draw_visits(db, row, config)
    cases = ps.plan_cases(db, draw_id)
    ctx = {
        "nav": "plans",
        "draw": row,
        "visits": visits,
        "same_config": same_config,
        "quotas": row.result.get("quotas", []),
        "unsatisfied": row.result.get("unsatisfied", []),
        "onsite": sum(1 for v in visits if v.mode == "onsite"),
        "cases": cases,
        "pre_notices": ps.pre_notices(db, [c.case_id for c in cases]),
        "earliest_day": max(
            ps.earliest_inspection_day(config, now_cst().date()), parse_period(row.period).start
        ),
        "notified": request.query_params.get("notified"),
        "accepted": request.query_params.get("accepted"),
        "can_accept": user.role in DISPATCH_ROLES,
        **_labels(),
    }
    return render(request, "supervision/plan.html", ctx)


@router.get("/enterprises/{enterprise_id}/risk")
def enterprise_risk_page(
    request: Request, enterprise_id: str, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """The enterprise's risk score this month, term by term (a fragment for the
    enterprise page; a full page without HTMX)."""
    enterprise_or_404(db, _p, enterprise_id)
    score = ps.enterprise_risk(db, _config(request), enterprise_id, now_cst().date())
    ctx = {"enterprise_id": enterprise_id, "score": score, **_labels()}
    if request.headers.get("hx-request") == "true":
        return render(request, "supervision/_risk.html", ctx)
    return render(request, "supervision/risk.html", {"nav": "enterprises", **ctx})
