"""Spot checks (抽查复核): drawing a share of closed cases and recording the results (a
failed spot check reopens the case). Draws and results are case events (on the case's
timeline). Whoever closed (销号) a case may not spot-check it: the draw leaves out the
cases the drawing officer closed, and recording a result is refused to the closer.
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible, visible
from lantian.settings import get_settings
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import (
    _event,
    _require_text,
    load_case,
)
from lantian.workflow.models import (
    Case,
    SpotCheck,
    SpotCheckDraw,
)


def draw_spot_checks(
    session: Session,
    user: User,
    share: float | None = None,
    *,
    seed: int | None = None,
    closed_from: datetime | None = None,
    closed_to: datetime | None = None,
) -> SpotCheckDraw:
    """抽查复核: draw ``ceil(share × n)`` of the n closed cases in scope (closed in the window).

    ``share`` defaults to ``settings.spot_check_share`` (``LANTIAN_SPOT_CHECK_SHARE``).

    The draw is ``random.Random(seed).sample`` over case ids in ascending order, so the
    same population and seed give the same cases; the seed (random when not given) and
    the drawn ids are recorded. Cases with a pending spot check are not drawn again.
    """
    if user.role not in ("admin", "work_group", "city_officer"):
        raise PermissionDenied("only an admin, a work group or a city officer draws spot checks")
    if share is None:
        share = get_settings().spot_check_share
    if not 0 < share <= 1:
        raise ValidationError("share must be in (0, 1]", field="share")
    stmt = select(Case.case_id).where(Case.status == "closed")
    stmt = stmt.where(visible(user, "case"))
    if closed_from is not None:
        stmt = stmt.where(Case.closed_at >= to_cst(closed_from))
    if closed_to is not None:
        stmt = stmt.where(Case.closed_at < to_cst(closed_to))
    pending = select(SpotCheck.case_id).where(SpotCheck.result == "pending")
    stmt = stmt.where(Case.case_id.not_in(pending))
    # 销号人不得抽查本人销号的案件: the drawing officer's own close-outs are not drawn
    stmt = stmt.where((Case.closed_by.is_(None)) | (Case.closed_by != user.user_id))
    population = sorted(session.scalars(stmt))
    seed = seed if seed is not None else secrets.randbits(62)
    k = math.ceil(share * len(population)) if population else 0
    chosen = sorted(random.Random(seed).sample(population, k))
    draw = SpotCheckDraw(
        drawn_at=now_cst(),
        drawn_by=user.user_id,
        seed=seed,
        share=share,
        population=len(population),
        closed_from=closed_from,
        closed_to=closed_to,
        case_ids=chosen,
    )
    session.add(draw)
    session.flush()
    for cid in chosen:
        session.add(SpotCheck(draw_id=draw.draw_id, case_id=cid, result="pending"))
    session.flush()
    for cid in chosen:
        _event(
            session,
            user,
            load_case(session, user, cid),
            "spot_check_drawn",
            data={"draw_id": draw.draw_id, "seed": seed},
        )
    audit(session, user, "draw_spot_checks", "spot_check_draw", draw.draw_id, after=snapshot(draw))
    return draw


def record_spot_check(
    session: Session, user: User, spot_check_id: int, *, passed: bool, note: str
) -> SpotCheck:
    """Result of one spot check; a failed one reopens the case."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record spot checks")
    sc: SpotCheck = load_visible(session, user, "spot_check", spot_check_id)
    case = load_case(session, user, sc.case_id)
    if sc.result != "pending":
        raise InvalidTransition(f"spot check {spot_check_id} already {sc.result}")
    if case.closed_by is not None and case.closed_by == user.user_id:
        raise PermissionDenied(
            "销号人不得抽查本人销号的案件，请由其他执法人员复核 "
            "(whoever closed a case may not spot-check it)"
        )
    _require_text(note, "note")
    before = snapshot(sc)
    sc.result = "passed" if passed else "failed"
    sc.checked_by = user.user_id
    sc.checked_at = now_cst()
    sc.note = note
    session.flush()
    audit(
        session,
        user,
        "record_spot_check",
        "spot_check",
        sc.spot_check_id,
        before=before,
        after=snapshot(sc),
    )
    _event(
        session,
        user,
        case,
        "spot_check_passed" if passed else "spot_check_failed",
        note=note,
        data={"passed": passed, "spot_check_id": sc.spot_check_id},
    )
    if not passed and case.status == "closed":
        from lantian.workflow.service import reopen

        reopen(session, user, case.case_id, reason=f"抽查复核不通过: {note}")
    return sc
