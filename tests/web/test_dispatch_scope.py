"""Dispatch by jurisdiction (issue 12, item 1): each lead offers exactly the officers whose
scope covers it; bulk dispatch groups the selected leads by district; when nobody covers
a lead the page says so in place and links to adding an account."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import Seeded, bearer

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.supervision.inspectors.models import InspectorCertificate
from lantian.timeutil import now_cst
from lantian.workflow.models import Case, CaseLead

Login = Callable[[str], tuple[TestClient, str]]


def _names(items: list[dict[str, object]]) -> list[object]:
    return [x["username"] for x in items]


def _deactivate(seeded: Seeded, username: str) -> None:
    with session_scope(seeded.settings) as db:
        u = db.scalar(select(User).where(User.username == username))
        assert u is not None
        u.active = False


def test_api_offers_the_district_and_city_officers_of_the_lead(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    with session_scope(seeded_sqlite.settings) as db:
        # the seeded world certifies four officers; give lb_district a number of its own
        # and take ts_city's away, so both cases of the field are shown
        for username, cert_no in (("lb_district", "冀13020012345"), ("ts_city", None)):
            cert = db.get(InspectorCertificate, seeded_sqlite.user_ids[username])
            if cert_no is None:
                if cert is not None:
                    db.delete(cert)
            elif cert is None:
                db.add(
                    InspectorCertificate(
                        user_id=seeded_sqlite.user_ids[username],
                        cert_no=cert_no,
                        updated_at=now_cst(),
                    )
                )
            else:
                cert.cert_no = cert_no
    city = bearer(client, "ts_city")
    # E1 is in 唐山市 路北区: its district officer first, then the city officer
    r = client.get("/api/leads/LE1-1/assignees", headers=city)
    assert r.status_code == 200, r.text
    items = r.json()
    assert _names(items) == ["lb_district", "ts_city"]
    lb = items[0]
    assert lb["id"] == seeded_sqlite.user_ids["lb_district"]
    assert lb["display_name"] == "lb_district 用户" and lb["role"] == "district_officer"
    assert (lb["city"], lb["district"], lb["cert_no"]) == ("唐山市", "路北区", "冀13020012345")
    assert items[1]["cert_no"] is None
    # E2 is in 路南区: 路南区's officer, not 路北区's
    assert _names(client.get("/api/leads/LE2-1/assignees", headers=city).json()) == [
        "ln_district",
        "ts_city",
    ]
    # the station lead of 路北区 likewise; admin and work group are not offered
    admin = bearer(client, "admin")
    assert _names(client.get("/api/leads/LS1-0/assignees", headers=admin).json()) == [
        "lb_district",
        "ts_city",
    ]
    assert _names(client.get("/api/leads/LE3-0/assignees", headers=admin).json()) == ["sjz_city"]
    # out of scope: 404; enterprise accounts: 403
    assert (
        client.get("/api/leads/LE1-1/assignees", headers=bearer(client, "sjz_city")).status_code
        == 404
    )
    assert (
        client.get("/api/leads/LE1-1/assignees", headers=bearer(client, "ent1")).status_code == 403
    )


def test_the_service_check_agrees_with_the_list(client: TestClient, seeded_sqlite: Seeded) -> None:
    city = bearer(client, "ts_city")
    deadline = str((now_cst() + timedelta(days=3)).date())
    body = {"lead_ids": ["LE2-0"], "deadline": deadline}
    # 路北区's officer is not offered for a 路南区 lead, and dispatching to them fails
    r = client.post(
        "/api/leads/dispatch",
        json=body | {"assignee_id": seeded_sqlite.user_ids["lb_district"]},
        headers=city,
    )
    assert r.status_code == 422, r.text
    r = client.post(
        "/api/leads/dispatch",
        json=body | {"assignee_id": seeded_sqlite.user_ids["ln_district"]},
        headers=city,
    )
    assert r.status_code == 200, r.text


def test_inbox_offers_per_district_group_only_the_covering_officers(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    c, _csrf = login_as("ts_city")
    text = c.get("/leads").text
    ids = seeded_sqlite.user_ids

    def select_of(group: str) -> str:
        start = text.index(f'data-group="{group}"')
        return text[start : text.index("</select>", start)]

    north, south = select_of("唐山市/路北区"), select_of("唐山市/路南区")
    assert f'value="{ids["lb_district"]}"' in north and f'value="{ids["ln_district"]}"' not in north
    assert f'value="{ids["ln_district"]}"' in south and f'value="{ids["lb_district"]}"' not in south
    assert f'value="{ids["ts_city"]}"' in north and f'value="{ids["ts_city"]}"' in south
    assert "区县执法人员·路北区" in north


def test_bulk_dispatch_sends_each_district_group_to_its_officer(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    c, csrf = login_as("ts_city")
    ids = seeded_sqlite.user_ids
    deadline = (now_cst() + timedelta(days=3)).date().isoformat()
    r = c.post(
        "/leads/dispatch",
        data={
            "lead_ids": ["LE1-0", "LE2-0", "LS1-0"],
            "group": ["唐山市/路北区", "唐山市/路南区"],
            "assignee_id": [str(ids["lb_district"]), str(ids["ln_district"])],
            "deadline": deadline,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("dispatched=3")
    with session_scope(seeded_sqlite.settings) as db:
        rows = db.execute(select(CaseLead.lead_id, Case.assignee_id).join(Case))
        got = {lid: uid for lid, uid in rows}
    assert got == {
        "LE1-0": ids["lb_district"],
        "LS1-0": ids["lb_district"],
        "LE2-0": ids["ln_district"],
    }


def test_bulk_dispatch_to_an_officer_outside_a_group_stores_nothing(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    c, csrf = login_as("ts_city")
    ids = seeded_sqlite.user_ids
    r = c.post(
        "/leads/dispatch",
        data={
            "lead_ids": ["LE1-0", "LE2-0"],
            "group": ["唐山市/路北区", "唐山市/路南区"],
            "assignee_id": [str(ids["lb_district"]), str(ids["lb_district"])],
            "deadline": (now_cst() + timedelta(days=3)).date().isoformat(),
            "csrf_token": csrf,
        },
        headers={"HX-Request": "true"},
    )
    # an HTMX post gets the error in place (the form's error area), the form is kept
    assert r.headers.get("HX-Retarget") == "#form-errors" and "无权管辖" in html.unescape(r.text)
    with session_scope(seeded_sqlite.settings) as db:
        assert db.scalar(select(Case.case_id)) is None  # nothing partial: LE1-0 neither


def test_a_lead_nobody_covers_says_so_in_place_with_a_link(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    _deactivate(seeded_sqlite, "sjz_city")
    c, csrf = login_as("admin")
    text = html.unescape(c.get("/leads").text)
    assert "石家庄市 长安区 还没有执法人员账号，暂时无法交办该线索。" in text
    assert "/admin/users?role=district_officer&city=石家庄市&district=长安区#add-user" in (
        text.replace("%E7%9F%B3%E5%AE%B6%E5%BA%84%E5%B8%82", "石家庄市").replace(
            "%E9%95%BF%E5%AE%89%E5%8C%BA", "长安区"
        )
    )
    assert 'name="lead_ids" value="LE3-0"' not in text  # no checkbox: 无人管辖 instead
    detail = html.unescape(c.get("/leads/LE3-0").text)
    assert "还没有执法人员账号" in detail and 'id="dispatch-one"' not in detail
    assert c.get("/api/leads/LE3-0/assignees").json() == []
    # the link prefills the add-user form
    form = html.unescape(
        c.get("/admin/users?role=district_officer&city=石家庄市&district=长安区").text
    )
    assert 'value="石家庄市"' in form and 'value="长安区"' in form
    assert '<option value="district_officer" selected>' in form
    # posting the lead anyway: an in-place error, nothing stored
    r = c.post(
        "/leads/dispatch",
        data={
            "lead_ids": ["LE3-0"],
            "group": ["唐山市/路北区"],
            "assignee_id": [str(seeded_sqlite.user_ids["lb_district"])],
            "deadline": (now_cst() + timedelta(days=3)).date().isoformat(),
            "csrf_token": csrf,
        },
        headers={"HX-Request": "true"},
    )
    assert r.headers.get("HX-Retarget") == "#form-errors"
    assert "没有可交办的执法人员账号" in html.unescape(r.text)
