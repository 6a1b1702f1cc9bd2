"""``POST /api/plans`` and the plan pages: the CLI's bytes, scope, audit, names, risk terms
summing to the score, the Excel export for 公开, and the enterprise's risk fragment."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import delete, func, select
from tests.web.conftest import Seeded, bearer, login, seed
from typer.testing import CliRunner

from lantian.auth.errors import NotFound, ValidationError
from lantian.auth.models import AuditLog, User
from lantian.cli.main import app as cli
from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.settings import Settings
from lantian.supervision.inspectors.models import InspectorCertificate
from lantian.supervision.plans.models import PlanDraw
from lantian.timeutil import CST, now_cst
from lantian.web.app import create_app

REGION = {"路北区": "lb_district", "路南区": "ln_district"}
"""District officer of each district of 唐山市 in the seeded world."""
BODY = {"period": "2026-12", "jurisdiction": "唐山市", "seed": 7}


def _world(settings: Settings) -> Seeded:
    seeded = seed(settings)
    with session_scope(settings) as s:
        # exactly these three officers hold a certificate (the seeded world certifies
        # sjz_city too: it is outside 唐山市 and must not matter)
        s.execute(delete(InspectorCertificate))
        for name in ("ts_city", "lb_district", "ln_district"):
            s.add(
                InspectorCertificate(
                    user_id=seeded.user_ids[name],
                    cert_no=f"冀执法-{name}",
                    valid_until=None,
                    updated_at=now_cst(),
                )
            )
    return seeded


@pytest.fixture
def world(db_settings: Settings) -> Seeded:
    return _world(db_settings)


def _draws(settings: Settings) -> int:
    with session_scope(settings) as s:
        return s.scalar(select(func.count()).select_from(PlanDraw)) or 0


def test_api_body_is_the_cli_json_and_each_draw_is_stored_and_audited(world: Seeded) -> None:
    with TestClient(create_app(world.settings)) as c:
        h = bearer(c, "ts_city")
        r1 = c.post("/api/plans", json=BODY, headers=h)
        r2 = c.post("/api/plans", json=BODY, headers=h)
    assert r1.status_code == 200, r1.text
    assert r1.headers["content-type"].startswith("application/json")
    assert r1.content == r2.content
    out = CliRunner().invoke(
        cli,
        [
            "plan",
            "draw",
            "--period",
            "2026-12",
            "--jurisdiction",
            "唐山市",
            "--seed",
            "7",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[0].encode("utf-8") == r1.content
    plan = r1.json()
    assert plan["seed"] == 7 and {v["enterprise_id"] for v in plan["visits"]} <= {"E1", "E2"}
    assert _draws(world.settings) == 3
    with session_scope(world.settings) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "plan_draw")).all()
        ids = {int(r.object_id) for r in rows}
        by_ts = [r for r in rows if r.actor_id == world.user_ids["ts_city"]]
    assert int(r1.headers["x-plan-draw-id"]) in ids and len(by_ts) == 2


@pytest.mark.parametrize(
    ("username", "jurisdiction", "status"),
    [
        ("sjz_city", "唐山市", 403),  # another city
        ("lb_district", "唐山市", 403),  # the city is wider than the district
        ("lb_district", "路北区", 200),
        ("ts_city", None, 403),  # a city officer must name a jurisdiction
        ("wg", "唐山市", 200),
        ("admin", None, 200),
        ("ent1", "唐山市", 403),
    ],
)
def test_api_draws_only_in_the_officers_region(
    world: Seeded, username: str, jurisdiction: str | None, status: int
) -> None:
    with TestClient(create_app(world.settings)) as c:
        r = c.post(
            "/api/plans", json=BODY | {"jurisdiction": jurisdiction}, headers=bearer(c, username)
        )
    assert r.status_code == status, r.text
    assert _draws(world.settings) == (1 if status == 200 else 0)


def test_api_refuses_a_bad_period_naming_it_and_stores_nothing(world: Seeded) -> None:
    with TestClient(create_app(world.settings)) as c:
        r = c.post("/api/plans", json=BODY | {"period": "2026-13"}, headers=bearer(c, "ts_city"))
        neg = c.post("/api/plans", json=BODY | {"seed": -1}, headers=bearer(c, "ts_city"))
    assert r.status_code == 422 and "--period" in r.text
    assert neg.status_code == 422
    assert _draws(world.settings) == 0


def test_api_refuses_a_draw_without_two_certified_inspectors(lantian_home: object) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    seed(settings)
    with session_scope(settings) as s:
        s.execute(delete(InspectorCertificate))  # no certificates
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/plans", json=BODY, headers=bearer(c, "ts_city"))
    assert r.status_code == 422 and "执法证号" in r.text
    assert _draws(settings) == 0


def test_pages_draw_list_detail_and_export(lantian_home: object) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    _world(settings)
    today = now_cst().date()
    start = date(today.year + today.month // 12, today.month % 12 + 1, 1)  # next month
    period = f"{start.year:04d}-{start.month:02d}"
    day = max(start, today + timedelta(days=14))
    with TestClient(create_app(settings)) as c:
        csrf = login(c, "ts_city")
        page = c.get("/plans")
        assert page.status_code == 200 and "检查计划" in page.text
        r = c.post(
            "/plans",
            data={"period": period, "jurisdiction": "唐山市", "seed": "7", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        detail_url = r.headers["location"]
        detail = c.get(detail_url)
        bad = c.post(
            "/plans",
            data={"period": "2026-13", "jurisdiction": "唐山市", "seed": "7", "csrf_token": csrf},
        )
        xlsx = c.get(detail_url + "/export.xlsx")
        listing = c.get("/plans")
        acc = c.post(detail_url + "/accept", data={"csrf_token": csrf}, follow_redirects=False)
        accepted = c.get(acc.headers["location"])
        case_links = re.findall(r'href="/cases/(\d+)"', accepted.text.split('id="plan-cases"')[1])
        case_pages = [c.get(f"/cases/{cid}") for cid in case_links]
        case_list = c.get("/cases")
        ledger = c.get("/ledger")
        notify = c.post(
            detail_url + "/pre-notify",
            data={"inspection_date": day.isoformat(), "csrf_token": csrf},
            follow_redirects=False,
        )
        notified = c.get(notify.headers["location"])
    assert detail.status_code == 200
    with session_scope(settings) as s:
        row = s.scalars(select(PlanDraw)).one()
        names = dict(s.execute(select(User.username, User.display_name)).all())
        visits = row.result["visits"]
    assert visits, "the seeded world draws at least one visit"
    assert "冀东钢铁有限公司" in detail.text or "唐山印刷厂" in detail.text
    for v in visits:
        assert f'data-enterprise="{v["enterprise_id"]}"' in detail.text
        for u in v["inspectors"]:
            assert f"{names[u]}（冀执法-{u}）" in detail.text
    # each visit's risk table: the terms add up to the drawn risk
    for block in detail.text.split('class="plan-visit"')[1:]:
        pts = [float(x) for x in re.findall(r'<td class="num mono">(-?[\d.]+)</td>', block)]
        total = float(re.findall(r'<th class="num mono">(-?[\d.]+)</th>', block)[0])
        assert pts and abs(sum(pts) - total) < 0.011
    drawn = {v["enterprise_id"]: v["risk"] for v in visits}
    assert all(f"{risk:.2f}" in detail.text for risk in drawn.values())
    assert bad.status_code == 422 and "--period" in bad.text
    assert f'href="{detail_url}"' in listing.text
    assert acc.status_code == 303 and "accepted=" in acc.headers["location"]
    n_onsite = sum(1 for v in visits if v["mode"] == "onsite" and v["inspectors"])
    assert len(set(case_links)) == n_onsite and f'action="{detail_url}/accept"' not in accepted.text
    assert all(p.status_code == 200 and "双随机检查" in p.text for p in case_pages)
    assert case_list.status_code == 200 and ledger.status_code == 200
    assert notified.text.count("data-notice=") == n_onsite
    assert 'id="pre-notify-form"' not in notified.text
    wb = load_workbook(io.BytesIO(xlsx.content))
    cells = [[c.value for c in row] for row in wb.active.iter_rows()]
    assert len(cells) == 1 + len(visits)
    assert {r[4] for r in cells[1:]} == set(drawn)
    assert all(r[2] == 7 and r[3] == row.inputs_hash for r in cells[1:])


def test_other_city_cannot_see_the_plan_and_enterprise_risk_fragment(lantian_home: object) -> None:
    from lantian.settings import get_settings

    settings = get_settings()
    _world(settings)
    with TestClient(create_app(settings)) as c:
        assert c.post("/api/plans", json=BODY, headers=bearer(c, "ts_city")).status_code == 200
    with session_scope(settings) as s:
        draw_id = s.scalars(select(PlanDraw.draw_id)).one()
    with TestClient(create_app(settings)) as c:
        login(c, "sjz_city")
        assert c.get(f"/plans/{draw_id}").status_code == 404
        assert c.get(f"/plans/{draw_id}/export.xlsx").status_code == 404
        assert f"/plans/{draw_id}" not in c.get("/plans").text
        assert c.get("/enterprises/E1/risk").status_code == 404
    with TestClient(create_app(settings)) as c:
        login(c, "lb_district")
        frag = c.get("/enterprises/E1/risk", headers={"HX-Request": "true"})
        page = c.get("/enterprises/E1")
    assert frag.status_code == 200 and "<html" not in frag.text
    assert 'hx-get="/enterprises/E1/risk"' in page.text
    pts = [float(x) for x in re.findall(r'<td class="num mono">(-?[\d.]+)</td>', frag.text)]
    total = float(re.findall(r'<th class="num mono">(-?[\d.]+)</th>', frag.text)[0])
    assert len(pts) == 10 and abs(sum(pts) - total) < 0.011


def test_accepting_a_plan_dispatches_one_inspection_case_per_onsite_visit(world: Seeded) -> None:
    from lantian.supervision.plans.services import accept_plan
    from lantian.workflow.models import Case, CaseEvent

    with TestClient(create_app(world.settings)) as c:
        r = c.post("/api/plans", json=BODY | {"seed": 3}, headers=bearer(c, "ts_city"))
    assert r.status_code == 200, r.text
    draw_id = int(r.headers["x-plan-draw-id"])
    onsite = [v for v in r.json()["visits"] if v["mode"] == "onsite" and v["inspectors"]]
    assert onsite, "the seeded world draws an on-site visit"
    now = datetime(2026, 12, 2, 9, 0, tzinfo=CST)
    with session_scope(world.settings) as s:
        sjz = s.scalars(select(User).where(User.username == "sjz_city")).one()
        with pytest.raises(NotFound):
            accept_plan(s, sjz, draw_id, now=now)
        ts = s.scalars(select(User).where(User.username == "ts_city")).one()
        cases = accept_plan(s, ts, draw_id, now=now)
        ids = [c.case_id for c in cases]
    with session_scope(world.settings) as s:
        rows = s.scalars(select(Case).where(Case.case_id.in_(ids)).order_by(Case.case_id)).all()
        users = dict(s.execute(select(User.user_id, User.username)).all())
        assert [(c.enterprise_id, c.kind, c.status, c.plan_draw_id) for c in rows] == [
            (v["enterprise_id"], "inspection", "dispatched", draw_id) for v in onsite
        ]
        for c, v in zip(rows, onsite, strict=True):  # the first of the pair in its region
            ok = [u for u in v["inspectors"] if u in ("ts_city", REGION[c.district])]
            assert users[c.assignee_id] == ok[0]
        assert all(c.deadline == datetime(2027, 1, 1, tzinfo=CST) for c in rows)
        notes = s.scalars(
            select(CaseEvent.note).where(CaseEvent.case_id.in_(ids), CaseEvent.action == "dispatch")
        ).all()
        assert all("、".join(v["inspectors"]) in n for v, n in zip(onsite, notes, strict=True))
        actions = set(s.scalars(select(AuditLog.action)).all())
        assert {"open_case", "dispatch", "accept_plan"} <= actions
        with pytest.raises(ValidationError):  # accepted once
            accept_plan(s, s.get(User, world.user_ids["ts_city"]), draw_id, now=now)
        # lead cases keep the default kind
        assert s.scalar(select(func.count()).select_from(Case).where(Case.kind == "lead")) == 0


def test_pre_notification_of_an_accepted_plan_respects_the_lead_time(world: Seeded) -> None:
    from lantian.supervision.config import load_config
    from lantian.supervision.plans.services import accept_plan, pre_notify_plan
    from lantian.workflow.models import Notice
    from lantian.workflow.notices import acknowledge_notice

    config = load_config(None)
    with TestClient(create_app(world.settings)) as c:
        r = c.post("/api/plans", json=BODY | {"seed": 3}, headers=bearer(c, "ts_city"))
    draw_id = int(r.headers["x-plan-draw-id"])
    now = datetime(2026, 12, 2, 9, 0, tzinfo=CST)
    with session_scope(world.settings) as s:
        ts = s.get(User, world.user_ids["ts_city"])
        assert ts is not None
        with pytest.raises(ValidationError, match="not accepted"):
            pre_notify_plan(s, ts, config, draw_id, date(2026, 12, 20), now=now)
        cases = accept_plan(s, ts, draw_id, now=now)
        with pytest.raises(ValidationError, match="pre_notice_lead_days = 14"):
            pre_notify_plan(s, ts, config, draw_id, date(2026, 12, 15), now=now)
        with pytest.raises(ValidationError, match="outside the period"):
            pre_notify_plan(s, ts, config, draw_id, date(2027, 1, 4), now=now)
        notices = pre_notify_plan(s, ts, config, draw_id, date(2026, 12, 16), now=now)
        assert [n.case_id for n in notices] == [c.case_id for c in cases]
        assert pre_notify_plan(s, ts, config, draw_id, date(2026, 12, 16), now=now) == []
        ids = [n.notice_id for n in notices]
    with session_scope(world.settings) as s:
        rows = s.scalars(select(Notice).where(Notice.notice_id.in_(ids))).all()
        assert all(n.kind == "pre_notification" and n.template_id for n in rows)
        assert all(n.inspection_at == datetime(2026, 12, 16, 9, tzinfo=CST) for n in rows)
        e1 = [n for n in rows if n.enterprise_id == "E1"]
        if e1:  # the enterprise acknowledges in its portal (existing notice service)
            ent1 = s.get(User, world.user_ids["ent1"])
            assert ent1 is not None
            acknowledge_notice(s, ent1, e1[0].notice_id)
        audited = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "issue_notice")
        )
        assert audited == len(ids)


def test_findings_on_an_inspection_case_are_confirmed_leads_of_the_case(world: Seeded) -> None:
    from lantian.supervision.plans.services import accept_plan
    from lantian.workflow.models import Case, CaseLead

    finding = {
        "family": "EXCEEDANCE",
        "pollutant": "a21026",
        "summary": "现场检查发现 1号排口 SO2 超标",
        "severity": 2,
        "start": "2026-12-16T09:00:00+08:00",
        "end": "2026-12-16T11:00:00+08:00",
        "evidence": {"observed": 80.0, "threshold": 35.0},
    }
    with TestClient(create_app(world.settings)) as c:
        h = bearer(c, "ts_city")
        draw_id = int(
            c.post("/api/plans", json=BODY | {"seed": 3}, headers=h).headers["x-plan-draw-id"]
        )
        with session_scope(world.settings) as s:
            ts = s.get(User, world.user_ids["ts_city"])
            assert ts is not None
            case_id = accept_plan(s, ts, draw_id, now=datetime(2026, 12, 2, tzinfo=CST))[0].case_id
        r = c.post(f"/api/cases/{case_id}/findings", json=finding, headers=h)
        r2 = c.post(f"/api/cases/{case_id}/findings", json=finding, headers=h)
        bad = c.post(f"/api/cases/{case_id}/findings", json=finding | {"family": "NOPE"}, headers=h)
        other = c.post(
            f"/api/cases/{case_id}/findings", json=finding, headers=bearer(c, "sjz_city")
        )
        leads = c.get("/api/leads", params={"limit": 200}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["lead_id"] == f"FND-{case_id}-1" and r2.json()["lead_id"] == f"FND-{case_id}-2"
    assert bad.status_code == 422 and "family" in bad.text
    assert other.status_code == 404
    assert f"FND-{case_id}-1" in leads.text  # counted among the leads
    with session_scope(world.settings) as s:
        case = s.get(Case, case_id)
        assert case is not None
        lead = s.get(Lead, f"FND-{case_id}-1")
        assert lead is not None and lead.rule == "FINDING" and lead.outcome == "confirmed"
        assert lead.enterprise_id == case.enterprise_id and lead.severity == 2
        linked = s.scalars(select(CaseLead.lead_id).where(CaseLead.case_id == case_id)).all()
        assert sorted(linked) == [f"FND-{case_id}-1", f"FND-{case_id}-2"]
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "record_finding")
            )
            == 2
        )
        from lantian.supervision.findings import record_finding
        from lantian.workflow import service as ws

        ts = s.get(User, world.user_ids["ts_city"])
        assert ts is not None
        lead_case = ws.open_case(s, ts, ["LE1-0"])
        assert lead_case.kind == "lead"
        with pytest.raises(ValidationError, match="not an inspection case"):
            record_finding(
                s, ts, lead_case.case_id, family="EXCEEDANCE", summary="x", severity=1,
                start=datetime(2026, 12, 1, 9, tzinfo=CST),
                end=datetime(2026, 12, 1, 10, tzinfo=CST),
            )  # fmt: skip
