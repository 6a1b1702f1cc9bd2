"""Only the assignee (or a supervising role) takes the assignee's steps and closes a case.

Finding (issue 11, item 10): any officer in scope, not only the assignee, could close a case.
Decision (lantian.workflow.states.may_fire): the assignee's steps (核查, 认定, 销号 …) are
fired by the case's assignee or by a supervising role (admin, work group, city officer: the
roles that dispatch and reassign); another district officer of the same district cannot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from tests.supervision.visit_helpers import approve_onsite_in
from tests.web.conftest import PASSWORD, Seeded, bearer

from lantian.auth.service import create_user
from lantian.db.session import session_scope
from lantian.timeutil import now_cst


def _fire(c: TestClient, h: dict[str, str], case_id: int, action: str, **fields: Any) -> Any:
    return c.post(
        f"/api/cases/{case_id}/transitions", json={"action": action, "fields": fields}, headers=h
    )


def test_only_the_assignee_or_a_supervisor_closes_a_case(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    with session_scope(seeded_sqlite.settings) as db:
        create_user(
            db, None, "lb_other", PASSWORD, "district_officer", city="唐山市", district="路北区"
        )
    officer = bearer(client, "ts_city")
    assignee = bearer(client, "lb_district")
    other = bearer(client, "lb_other")
    r = client.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": ["LE1-0"],
            "assignee_id": seeded_sqlite.user_ids["lb_district"],
            "deadline": str((now_cst() + timedelta(days=5)).date()),
        },
        headers=officer,
    )
    case_id = r.json()["cases"][0]["case_id"]
    assert client.get(f"/api/cases/{case_id}", headers=other).status_code == 200  # in scope
    assert _fire(client, other, case_id, "start_check", mode="onsite").status_code == 403
    assert _fire(client, assignee, case_id, "start_check", mode="onsite").status_code == 200
    approve_onsite_in(seeded_sqlite.settings, case_id)
    chk = client.post(
        f"/api/cases/{case_id}/checks",
        json={"kind": "onsite", "notes": "脱硫塔循环泵停运", "lon": 118.18, "lat": 39.63},
        headers=assignee,
    )
    assert chk.status_code == 200, chk.text
    assert _fire(client, other, case_id, "judge_confirmed", finding="x").status_code == 403
    assert _fire(client, assignee, case_id, "judge_confirmed", finding="属实").status_code == 200
    assert _fire(client, assignee, case_id, "choose_immediate_fix").status_code == 200
    r = _fire(client, other, case_id, "close_immediate_fix", comment="ok")
    assert r.status_code == 403 and "assignee" in r.json()["detail"]
    r = _fire(client, officer, case_id, "close_immediate_fix", comment="复核通过")  # supervisor
    assert r.status_code == 200
    assert client.get(f"/api/cases/{case_id}", headers=other).json()["status"] == "closed"
