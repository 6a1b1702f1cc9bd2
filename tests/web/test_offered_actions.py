"""A step is offered on the case page exactly when it can be done now.

For every case state and role: each step the page offers succeeds when its form is
posted with valid input, and each step of the state machine from that state that the page
does not offer fails when posted (so no possible step is hidden). 认定 (judging) is
offered only once a check is recorded (:func:`lantian.web.casework.offered_actions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.case_driver import PATHS, STATE_OF, drive_case
from tests.web.conftest import Seeded

from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.workflow.models import Case
from lantian.workflow.states import TRANSITIONS

Login = Callable[[str], tuple[TestClient, str]]
ROLES = ("admin", "ts_city", "lb_district", "ln_district", "ent1")
"""Admin, the dispatching city officer, the assignee, a district officer of another
district, and the enterprise."""


def valid_fields(action: str, seeded: Seeded) -> dict[str, str]:
    """Valid input of the case page's form of ``action`` (confirmation ticked)."""
    future = (now_cst() + timedelta(days=5)).date().isoformat()
    return {
        "dispatch": {"assignee_id": str(seeded.user_ids["lb_district"]), "deadline": future},
        "start_check": {"mode": "remote"},
        "judge_confirmed": {"finding": "属实"},
        "judge_false_positive": {"reason": "仪表故障"},
        "choose_immediate_fix": {},
        "issue_supervision_order": {"rectify_deadline": future},
        "start_rectification": {},
        "submit_rectification": {"text": "已整改"},
        "close_immediate_fix": {"comment": "现场确认"},
        "review_accept": {"comment": "通过"},
        "review_reject": {"comment": "不通过"},
        "reopen": {"reason": "复发"},
        "convert_to_supervision": {"reason": "逾期未完成整改"},
    }[action] | {"confirm": "yes"}


def status_of(seeded: Seeded, case_id: int) -> str:
    with session_scope(seeded.settings) as db:
        return str(db.scalar(select(Case.status).where(Case.case_id == case_id)))


@pytest.mark.parametrize("state", sorted(PATHS))
def test_offered_steps_succeed_and_no_possible_step_is_hidden(
    seeded_sqlite: Seeded, login_as: Login, state: str
) -> None:
    status = STATE_OF.get(state, state)
    candidates = sorted({t.action for t in TRANSITIONS if t.source == status})
    clients = {role: login_as(role) for role in ROLES}
    shown = drive_case(seeded_sqlite, state)
    for role, (client, csrf) in clients.items():
        page = client.get(f"/cases/{shown}")
        assert page.status_code in (200, 404), (role, page.status_code)
        offered = set(re.findall(r'id="action-([a-z_]+)"', page.text))
        assert offered <= set(candidates), (state, role, offered)
        if state == "checking":
            assert not offered & {"judge_confirmed", "judge_false_positive"}
        for action in candidates:
            cid = drive_case(seeded_sqlite, state)
            data = valid_fields(action, seeded_sqlite) | {"csrf_token": csrf}
            r = client.post(f"/cases/{cid}/actions/{action}", data=data, follow_redirects=False)
            target = next(t.target for t in TRANSITIONS if t.action == action)
            if action in offered:
                assert r.status_code == 303, (state, role, action, r.status_code, r.text[:300])
                assert status_of(seeded_sqlite, cid) == target, (state, role, action)
            else:
                assert r.status_code != 303, f"{role} could {action} in {state} but not offered"
                assert status_of(seeded_sqlite, cid) == status
