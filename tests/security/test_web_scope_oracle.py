"""Adversary: out-of-scope ids must be indistinguishable from ids that do not exist.

Finding (issue 11, item 10): error texts revealed whether an out-of-scope outlet id existed
("Enterprise not found" vs "Outlet not found"). Live server on 127.0.0.1; each probe is one
request, the answers (status and text) are compared pairwise.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from tests.security.web_live import live_server
from tests.web.conftest import PASSWORD, seed

from lantian.settings import get_settings
from lantian.timeutil import now_cst


def _token(c: httpx.Client, username: str) -> dict[str, str]:
    r = c.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize("prober", ["ent2", "sjz_city"])
def test_out_of_scope_answers_equal_not_found_answers(lantian_home: object, prober: str) -> None:
    settings = get_settings()
    s = seed(settings)
    with live_server(settings) as live, httpx.Client(base_url=live.url, timeout=10) as c:
        officer = _token(c, "ts_city")
        r = c.post(
            "/api/leads/dispatch",
            json={
                "lead_ids": ["LE1-0"],
                "assignee_id": s.user_ids["lb_district"],
                "deadline": str((now_cst() + timedelta(days=5)).date()),
            },
            headers=officer,
        )
        case_id = r.json()["cases"][0]["case_id"]
        h = _token(c, prober)
        pairs = [  # (path of a hidden object, its id), (path of a missing one, its id)
            ("/api/outlets/{}/series", "E1-O1", "NOPE-O9"),
            ("/api/cases/{}", str(case_id), "999999"),
            ("/api/leads/{}", "LE1-0", "NOPE-0"),
            ("/api/enterprises/{}", "E1", "NOPE"),
        ]
        for path, hidden, missing in pairs:
            a = c.get(path.format(hidden), headers=h)
            b = c.get(path.format(missing), headers=h)
            # the same status and the same text (up to the id the caller sent)
            da = a.json()["detail"].replace(hidden, "<id>")
            db = b.json()["detail"].replace(missing, "<id>")
            assert (a.status_code, da) == (b.status_code, db), (path, a.text, b.text)
            assert a.status_code == 404
