"""Penalty assessment on the case page: the suggestion with its reasons, assess and decide.

``GET /cases/{id}/penalty`` answers an HTMX request (the case page loads it into its
处罚裁量 card) with the card alone, and a plain request with a page of its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.enforcement import services as es
from lantian.enforcement.assess import OUTCOME_LABELS, OUTCOMES
from lantian.enforcement.config import HARM_LEVELS
from lantian.enforcement.queries import decision_of, latest_assessment, leniency_records
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser
from lantian.web.templating import render
from lantian.workflow.core import load_case

router = APIRouter(include_in_schema=False)


def _done(request: Request, case_id: int) -> Response:
    target = f"/cases/{case_id}?done=penalty#penalty"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/cases/{case_id}/penalty")
def penalty_card(
    request: Request, case_id: int, user: PageUser, principal: PageOfficer, db: DbDep
) -> Response:
    """The 处罚裁量 card of a case: newest assessment, its reasons, decision, forms."""
    case = load_case(db, user, case_id)
    a = latest_assessment(db, case_id)
    d = decision_of(db, a.assessment_id) if a is not None else None
    confirmed = case.status in es.CONFIRMED_STATES and case.judged_at is not None
    pset = es.set_for(case.province, es.case_day(case)) if confirmed else None
    ctx: dict[str, Any] = {
        "case": case,
        "a": a,
        "decision": d,
        "confirmed": confirmed,
        "pset": pset,
        "harms": HARM_LEVELS,
        "outcomes": OUTCOMES,
        "outcome_labels": OUTCOME_LABELS,
        "records": leniency_records(db, case_id),
    }
    if request.headers.get("hx-request"):
        return render(request, "enforcement/_penalty_card.html", ctx)
    return render(request, "enforcement/penalty_page.html", ctx)


def _bool(fields: dict[str, Any], key: str) -> bool | None:
    v = fields.get(key)
    if v in (None, "", "auto"):
        return None
    return v in ("1", "true", "yes", "on")


@router.post("/cases/{case_id}/penalty")
async def penalty_assess(
    request: Request, case_id: int, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """Assess the confirmed case from the form (stored, audited)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if k != "csrf_token"}
    facts: dict[str, Any] = {
        "violation": fields.get("violation") or None,
        "harm": fields.get("harm") or None,
        "corrected_in_time": bool(_bool(fields, "corrected_in_time")),
        "no_fault_proven": bool(_bool(fields, "no_fault_proven")),
        "mitigating": [str(v) for v in form.getlist("mitigating")],
        "aggravating": [str(v) for v in form.getlist("aggravating")],
        "refused_correction": bool(_bool(fields, "refused_correction")),
    }
    first = _bool(fields, "first_offence")
    if first is not None:
        facts["first_offence"] = first
    factors = {
        k.removeprefix("factor_"): str(v)
        for k, v in fields.items()
        if k.startswith("factor_") and v
    }
    if factors:
        facts["factors"] = factors
    days = str(fields.get("days_refused") or "").strip()
    if days:
        facts["days_refused"] = int(days) if days.isdigit() else days

    def work() -> None:
        es.assess_case(db, user, case_id, facts)
        db.commit()

    await run_in_threadpool(work)
    return _done(request, case_id)


@router.post("/cases/{case_id}/penalty/decision")
async def penalty_decide(
    request: Request, case_id: int, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """Accept or override the newest assessment (override needs a reason)."""
    form = await request.form()
    accept = form.get("accept") == "yes"
    amount_raw = str(form.get("amount") or "").strip()

    def work() -> None:
        a = latest_assessment(db, load_case(db, user, case_id).case_id)
        if a is None:
            from lantian.auth.errors import InvalidTransition

            raise InvalidTransition("请先进行处罚裁量 (assess first)")
        amount: int | None = None
        if amount_raw:
            if not amount_raw.isdigit():
                from lantian.auth.errors import ValidationError

                raise ValidationError("amount: whole yuan", field="amount")
            amount = int(amount_raw)
        es.decide(
            db,
            user,
            a.assessment_id,
            accept=accept,
            outcome=None if accept else (str(form.get("outcome") or "") or None),
            amount=None if accept else amount,
            reason=str(form.get("reason") or "") or None,
            education=str(form.get("education") or "") or None,
        )
        db.commit()

    await run_in_threadpool(work)
    return _done(request, case_id)


@router.get("/portal/penalties")
def portal_penalties(request: Request, user: PageUser, db: DbDep) -> Response:
    """The enterprise's decisions (education to acknowledge) and its confirmed cases
    (道歉承诺 letters); other users go to the start page."""
    from sqlalchemy import select

    from lantian.auth.visibility import visible
    from lantian.enforcement.models import PenaltyDecision
    from lantian.workflow.models import Case

    if user.role != "enterprise" or user.enterprise_id is None:
        return RedirectResponse("/", status_code=303)
    decisions = list(
        db.scalars(
            select(PenaltyDecision)
            .where(PenaltyDecision.enterprise_id == user.enterprise_id)
            .order_by(PenaltyDecision.decided_at.desc())
        )
    )
    cases = list(
        db.scalars(
            select(Case)
            .where(visible(user, "case", session=db), Case.status.in_(es.CONFIRMED_STATES))
            .order_by(Case.case_id.desc())
        )
    )
    records = {c.case_id: leniency_records(db, c.case_id) for c in cases}
    ctx = {
        "decisions": decisions,
        "cases": cases,
        "records": records,
        "outcome_labels": OUTCOME_LABELS,
    }
    return render(request, "enforcement/portal_penalties.html", ctx)


def _portal_done() -> Response:
    return RedirectResponse("/portal/penalties?done=1", status_code=303)


@router.post("/portal/penalties/{decision_id}/acknowledge")
async def portal_acknowledge(
    request: Request, decision_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """The enterprise acknowledges the education it was given (audited)."""

    def work() -> None:
        es.acknowledge_education(db, user, decision_id)
        db.commit()

    await run_in_threadpool(work)
    return _portal_done()


@router.post("/cases/{case_id}/apology")
async def portal_apology(request: Request, case_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise submits its 道歉承诺 letter for a confirmed case (audited)."""
    form = await request.form()
    text = str(form.get("text") or "")

    def work() -> None:
        es.submit_apology(db, user, case_id, text)
        db.commit()

    await run_in_threadpool(work)
    return _portal_done()


@router.post("/apologies/{record_id}/approve")
async def approve_apology(
    request: Request, record_id: int, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """An officer approves an apology letter (published by the province's rule)."""

    def work() -> int:
        rec = es.approve_apology(db, user, record_id)
        db.commit()
        return rec.case_id

    case_id = await run_in_threadpool(work)
    return _done(request, case_id)


def _stat_dates(request: Request) -> tuple[Any, Any, dict[str, str]]:
    from datetime import date

    from lantian.auth.errors import ValidationError

    raw = {k: (request.query_params.get(k) or "").strip() for k in ("start", "end")}
    out: list[date | None] = []
    for key in ("start", "end"):
        try:
            out.append(date.fromisoformat(raw[key]) if raw[key] else None)
        except ValueError as exc:
            raise ValidationError("请输入日期（年-月-日）", field=key) from exc
    if out[0] and out[1] and out[1] < out[0]:
        raise ValidationError("结束日期不能早于开始日期", field="end")
    return out[0], out[1], raw


@router.get("/penalty-statistics")
def penalty_statistics_page(
    request: Request, user: PageUser, principal: PageOfficer, db: DbDep
) -> Response:
    """处罚统计: counts and amounts by outcome, 首违不罚/轻微免罚 shares, reductions by 学法
    and 道歉, by district and industry, over the cases the officer sees (chart + table)."""
    from lantian.auth.errors import ValidationError
    from lantian.enforcement.queries import STAT_HEADER_ZH, statistics_rows
    from lantian.web.api.penalty import visible_statistics
    from lantian.web.deps import current_language

    lang = current_language.get()
    error = None
    try:
        start, end, raw = _stat_dates(request)
    except ValidationError as exc:
        start = end = None
        raw = {k: request.query_params.get(k, "") for k in ("start", "end")}
        error = str(exc)
    stats = visible_statistics(db, user, start, end)
    rows = statistics_rows(stats, lang)
    chart = {
        "outcomes": [[r[1], r[2], r[3]] for r in rows[:5]],
        "districts": [[r[1], r[2], r[3]] for r in rows if r[0] in ("区县", "District")][:15],
        "industries": [[r[1], r[2], r[3]] for r in rows if r[0] in ("行业", "Industry")][:15],
    }
    ctx = {
        "nav": "penalty_stats",
        "stats": stats,
        "rows": rows,
        "header": STAT_HEADER_ZH,
        "chart": chart,
        "form": raw,
        "error": error,
    }
    return render(request, "enforcement/statistics.html", ctx, status_code=422 if error else 200)


@router.get("/penalty-statistics.xlsx")
def penalty_statistics_xlsx(
    request: Request, user: PageUser, principal: PageOfficer, db: DbDep
) -> Response:
    """The statistics as an Excel workbook with Chinese headers (the page's table)."""
    from lantian.enforcement.queries import STAT_HEADER_ZH, statistics_rows
    from lantian.web.api.exports import dated_name, download
    from lantian.web.api.penalty import visible_statistics
    from lantian.web.xlsx import rows_to_xlsx

    start, end, _raw = _stat_dates(request)
    stats = visible_statistics(db, user, start, end)
    period = f"{start or '…'} 至 {end or '…'}" if (start or end) else "全部"
    rows = [
        (*r[:4], f"{r[4]:.1%}" if isinstance(r[4], float) else "—")
        for r in statistics_rows(stats, "zh_CN")
    ]
    rows.append(("统计范围", f"决定日期 {period}", stats["decisions"], None, None))
    data = rows_to_xlsx("处罚统计", STAT_HEADER_ZH, rows)
    return download(data, dated_name("处罚统计"), ascii_name="penalty-statistics.xlsx")


def credit_context(db: Any, user: Any, enterprise_id: str) -> dict[str, Any]:
    """The credit page of an enterprise: grade, points, events, repair requests, and the
    decisions that may be repaired with their conditions judged from Lantian's data."""
    from sqlalchemy import select

    from lantian.auth.visibility import load_visible
    from lantian.enforcement.credit import repair_evidence
    from lantian.enforcement.models import CreditRepair, PenaltyDecision
    from lantian.enforcement.queries import GRADE_LABELS, credit_record
    from lantian.timeutil import now_cst
    from lantian.vocab import enforcement as ev

    ent = load_visible(db, user, "enterprise", enterprise_id)
    now = now_cst()
    rec = credit_record(db, enterprise_id, now)
    repairs = list(
        db.scalars(
            select(CreditRepair)
            .where(CreditRepair.enterprise_id == enterprise_id)
            .order_by(CreditRepair.repair_id.desc())
        )
    )
    taken = {r.decision_id for r in repairs if r.status in ("pending", "granted")}
    decisions = list(
        db.scalars(
            select(PenaltyDecision)
            .where(PenaltyDecision.enterprise_id == enterprise_id)
            .order_by(PenaltyDecision.decided_at.desc())
        )
    )
    lost = {
        e["decision_id"]: e["points"]
        for e in rec.events
        if e["kind"] == "decision" and e["decision_id"] is not None
    }
    repairable = [
        (d, repair_evidence(db, d, now))
        for d in decisions
        if d.decision_id not in taken and lost.get(d.decision_id, 0) < 0
    ]
    evidence = {
        r.repair_id: repair_evidence(db, d, now)
        for r in repairs
        if r.status == "pending" and (d := db.get(PenaltyDecision, r.decision_id)) is not None
    }
    return {
        "enterprise": ent,
        "rec": rec,
        "grade_labels": GRADE_LABELS,
        "repairs": repairs,
        "repairable": repairable,
        "evidence": evidence,
        "conditions": ev.REPAIR_CONDITIONS,
        "repair_states": ev.REPAIR_STATUSES,
        "event_kinds": ev.CREDIT_EVENT_KINDS,
        "outcome_labels": OUTCOME_LABELS,
        "decisions": {d.decision_id: d for d in decisions},
    }


@router.get("/enterprises/{enterprise_id}/credit")
def credit_page(request: Request, enterprise_id: str, user: PageUser, db: DbDep) -> Response:
    """环境信用: grade, points and the events that set them, 信用修复 requests; the enterprise
    requests a repair (conditions from Lantian's data shown), an officer decides."""
    ctx = credit_context(db, user, enterprise_id)
    ctx["nav"] = "portal" if user.role == "enterprise" else "enterprises"
    return render(request, "enforcement/credit.html", ctx)


@router.get("/portal/credit")
def portal_credit(request: Request, user: PageUser, db: DbDep) -> Response:
    """The enterprise's own credit page."""
    if user.role != "enterprise" or user.enterprise_id is None:
        return RedirectResponse("/enterprises", status_code=303)
    return RedirectResponse(f"/enterprises/{user.enterprise_id}/credit", status_code=303)


def _credit_error(
    request: Request, db: Any, user: Any, enterprise_id: str, exc: Exception, form: dict[str, Any]
) -> Response:
    from lantian.auth.errors import InvalidTransition

    db.rollback()
    ctx = credit_context(db, user, enterprise_id)
    ctx |= {"nav": "enterprises", "error": str(exc), "form": form}
    return render(
        request,
        "enforcement/credit.html",
        ctx,
        status_code=409 if isinstance(exc, InvalidTransition) else 422,
    )


@router.post("/enterprises/{enterprise_id}/credit/repairs")
async def credit_repair_request(
    request: Request, enterprise_id: str, user: PagePostUser, db: DbDep
) -> Response:
    """信用修复 request for one decision, with the conditions the enterprise claims."""
    from lantian.auth.errors import InvalidTransition, NotFound, ValidationError
    from lantian.enforcement.models import PenaltyDecision

    form = await request.form()
    raw = str(form.get("decision_id") or "")
    claimed = {str(c) for c in form.getlist("conditions")}
    allowed = ("correction_done", "training", "commitment", "no_new_violation")

    def work() -> None:
        if not raw.isdigit():
            raise ValidationError("请选择处罚决定", field="decision_id")
        d = db.get(PenaltyDecision, int(raw))
        if d is None or d.enterprise_id != enterprise_id:
            raise NotFound(f"decision {raw} not found")
        es.request_credit_repair(db, user, d.decision_id, {c: c in claimed for c in allowed})
        db.commit()

    try:
        await run_in_threadpool(work)
    except (ValidationError, InvalidTransition) as exc:
        return _credit_error(request, db, user, enterprise_id, exc, {"decision_id": raw})
    return RedirectResponse(f"/enterprises/{enterprise_id}/credit?done=repair", status_code=303)


@router.post("/credit-repairs/{repair_id}/decision")
async def credit_repair_decide(
    request: Request, repair_id: int, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """The officer grants or refuses a 信用修复 request, with reasons."""
    from lantian.auth.errors import InvalidTransition, NotFound, ValidationError
    from lantian.enforcement.models import CreditRepair

    form = await request.form()
    grant = form.get("grant") == "yes"
    reason = str(form.get("reason") or "")
    row = db.get(CreditRepair, repair_id)
    if row is None:
        raise NotFound(f"credit repair {repair_id} not found")
    enterprise_id = row.enterprise_id

    def work() -> None:
        es.decide_credit_repair(db, user, repair_id, grant=grant, reason=reason)
        db.commit()

    try:
        await run_in_threadpool(work)
    except (ValidationError, InvalidTransition) as exc:
        form_values = {"reason": reason, "repair_id": str(repair_id)}
        return _credit_error(request, db, user, enterprise_id, exc, form_values)
    return RedirectResponse(f"/enterprises/{enterprise_id}/credit?done=decided", status_code=303)
