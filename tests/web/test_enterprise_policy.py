"""The enterprise visibility policy through the web API and pages: an enterprise account
sees a lead only once its case reached it (here: an officer shares it), and check notes
only once an officer shares the record; both shares are API actions, officers only.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, bearer, login

from lantian.auth.models import AuditLog, User
from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.workflow import service as ws


def _dispatched_case_with_check(seeded: Seeded) -> tuple[int, int]:
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        case = ws.dispatch(
            db,
            admin,
            ["LE1-0"],
            assignee_id=seeded.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=5),
        )[0]
        ws.start_check(db, admin, case.case_id, mode="remote")
        rec = ws.record_remote_check(db, admin, case.case_id, notes="内部: 疑似篡改数据")
        return case.case_id, rec.check_id


def test_enterprise_sees_lead_and_check_only_when_shared(
    app: FastAPI, seeded_sqlite: Seeded
) -> None:
    case_id, check_id = _dispatched_case_with_check(seeded_sqlite)
    with TestClient(app) as c:
        ent = bearer(c, "ent1")
        officer = bearer(c, "ts_city")
        other_city = bearer(c, "sjz_city")
        # before: the dispatched, unverified lead and its case are invisible to E1
        assert "LE1-0" not in c.get("/api/leads", headers=ent).text
        assert c.get("/api/leads/LE1-0", headers=ent).status_code == 404
        assert c.get(f"/api/cases/{case_id}", headers=ent).status_code == 404
        assert c.get("/api/enterprises/E1", headers=ent).json()["leads_by_family"] == {}
        # only an officer of the region may share
        assert c.post(f"/api/cases/{case_id}/share", headers=ent).status_code in (403, 404)
        assert c.post(f"/api/cases/{case_id}/share", headers=other_city).status_code == 404
        r = c.post(f"/api/cases/{case_id}/share", headers=officer, json={"note": "请配合"})
        assert r.status_code == 200 and r.json()["shared_with_enterprise_at"]
        # after: the lead and the case, but not the officers' check notes
        assert "LE1-0" in c.get("/api/leads", headers=ent).text
        assert c.get("/api/leads/LE1-0", headers=ent).status_code == 200
        d = c.get(f"/api/cases/{case_id}", headers=ent).json()
        assert d["checks"] == [] and "疑似篡改" not in str(d)
        assert "LE1-1" not in c.get("/api/leads", headers=ent).text  # not in the case
        assert c.post(f"/api/checks/{check_id}/share", headers=ent).status_code in (403, 404)
        r = c.post(f"/api/checks/{check_id}/share", headers=officer)
        assert r.status_code == 200
        d = c.get(f"/api/cases/{case_id}", headers=ent).json()
        assert [x["check_id"] for x in d["checks"]] == [check_id]
        # the officer always saw everything
        assert c.get(f"/api/cases/{case_id}", headers=officer).json()["checks"]
    with session_scope(seeded_sqlite.settings) as db:
        actions = {
            a.action
            for a in db.query(AuditLog).filter(
                AuditLog.action.in_(("share_case", "share_check_record"))
            )
        }
    assert actions == {"share_case", "share_check_record"}


def test_enterprise_pages_follow_the_policy(app: FastAPI, seeded_sqlite: Seeded) -> None:
    case_id, _check_id = _dispatched_case_with_check(seeded_sqlite)
    with TestClient(app) as c:
        login(c, "ent1")
        portal = c.get("/portal").text
        assert "E1 1号排口 SO2 折算浓度超标 1" not in portal  # LE1-0's summary
        assert c.get("/leads/LE1-0").status_code == 404
        assert c.get(f"/cases/{case_id}").status_code == 404
    with session_scope(seeded_sqlite.settings) as db:
        officer = db.get(User, seeded_sqlite.user_ids["ts_city"])
        assert officer is not None
        ws.share_case(db, officer, case_id)
    with TestClient(app) as c:
        login(c, "ent1")
        assert c.get(f"/cases/{case_id}").status_code == 200
        assert "内部: 疑似篡改数据" not in c.get(f"/cases/{case_id}").text
        assert "E1 1号排口 SO2 折算浓度超标 1" in c.get("/portal").text
        page = c.get("/leads/LE1-0").text  # its lead, without the history of hidden ones
        assert "折算浓度超标 1" in page
        assert "/leads/LE1-1" not in page and "/leads/LE1-2" not in page
