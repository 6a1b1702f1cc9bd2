"""整改方案 on one seeded app (module-scoped): a plan on a 督办 case and on a self-check
finding, bad input refused with nothing stored, a milestone done with evidence, late
milestones, the progress in the 督办台账 and on the case page; one PostgreSQL parity test."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.conftest import PASSWORD, Seeded, bearer, login, seed

from lantian.assist.rectification import services as rs
from lantian.assist.rectification.models import RectificationMilestone, RectificationPlan
from lantian.assist.selfchecks import queries as sq
from lantian.assist.selfchecks import services as ss
from lantian.auth.models import User
from lantian.db.session import dispose_engines, session_scope
from lantian.settings import Settings, get_settings
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow import service as wf
from lantian.workflow.ledger import ledger_rows
from lantian.workflow.models import ChecklistTemplate

PNG_IMAGE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def _supervision_case(settings: Settings, seeded: Seeded) -> int:
    with session_scope(settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        case = wf.open_case(db, admin, ["LE1-0"])
        wf.dispatch(
            db,
            admin,
            case_ids=[case.case_id],
            assignee_id=seeded.user_ids["ts_city"],
            deadline=now_cst() + timedelta(days=5),
        )
        wf.start_check(db, admin, case.case_id, mode="remote")
        wf.record_remote_check(db, admin, case.case_id, notes="调阅数据")
        wf.judge(db, admin, case.case_id, confirmed=True, finding="料场扬尘")
        wf.choose_fix_path(
            db,
            admin,
            case.case_id,
            "supervision_order",
            rectify_deadline=now_cst() + timedelta(days=10),
        )
        return case.case_id


def _finding(settings: Settings, seeded: Seeded, username: str = "ent1") -> int:
    with session_scope(settings) as db:
        ss.ensure_selfcheck_templates(db)
        user = db.get(User, seeded.user_ids[username])
        assert user is not None and user.enterprise_id
        draft = ss.start_draft(db, user)
        tpl = db.get(ChecklistTemplate, draft.template_id)
        assert tpl is not None
        facts = sq.registry_facts(db, [user.enterprise_id])[user.enterprise_id]
        items = ss.applicable_items(tpl, facts)
        answers = [
            {"item_id": it["code"], "answer": "no" if i == 0 else "yes"}
            for i, it in enumerate(items)
        ]
        sc = ss.save_self_check(db, user, tpl.template_id, answers)
        return sq.findings_of(db, sc.self_check_id)[0].finding_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("rectification-home")
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    settings = get_settings()
    seeded = seed(settings)
    case_id = _supervision_case(settings, seeded)
    finding_id = _finding(settings, seeded)
    app = create_app(settings)
    with TestClient(app) as c:
        heads = {u: bearer(c, u) for u in ("ent1", "ent2", "ts_city")}
        yield {
            "client": c,
            "app": app,
            "heads": heads,
            "settings": settings,
            "seeded": seeded,
            "case": case_id,
            "finding": finding_id,
        }
    dispose_engines()
    get_settings.cache_clear()
    if old is None:
        os.environ.pop("LANTIAN_HOME", None)
    else:
        os.environ["LANTIAN_HOME"] = old


@pytest.fixture(autouse=True)
def _keep_home(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "world" in request.fixturenames:
        w = request.getfixturevalue("world")
        monkeypatch.setenv("LANTIAN_HOME", str(w["settings"].home))
        get_settings.cache_clear()


def _post(w: dict[str, Any], user: str, path: str, **kw: Any) -> Any:
    return w["client"].post(path, headers=w["heads"][user], **kw)


def _day(days: int) -> str:
    return (now_cst() + timedelta(days=days)).date().isoformat()


def _plans(w: dict[str, Any]) -> int:
    with session_scope(w["settings"]) as db:
        return int(db.scalar(select(func.count()).select_from(RectificationPlan)) or 0)


def test_bad_plans_are_refused_and_nothing_stored(world: dict[str, Any]) -> None:
    n = _plans(world)
    ms = [{"title": "封闭料场", "due_date": _day(5), "responsible": "张三"}]
    for body, needle in (
        ({"case_id": world["case"], "measures": "x", "milestones": []}, "milestone"),
        (
            {
                "case_id": world["case"],
                "measures": "x",
                "milestones": [{**ms[0], "due_date": _day(-1)}],
            },
            "past",
        ),
        (
            {
                "case_id": world["case"],
                "measures": "x",
                "milestones": [{**ms[0], "due_date": "soon"}],
            },
            "not a date",
        ),
        (
            {
                "case_id": world["case"],
                "measures": "x",
                "milestones": [{**ms[0], "responsible": " "}],
            },
            "responsible",
        ),
        ({"case_id": world["case"], "measures": " ", "milestones": ms}, "measures"),
        ({"measures": "x", "milestones": ms}, "case_id"),
    ):
        r = _post(world, "ent1", "/api/rectification-plans", json=body)
        assert r.status_code == 422 and needle in r.text, (body, r.text)
    r = _post(
        world,
        "ent2",
        "/api/rectification-plans",
        json={"case_id": world["case"], "measures": "x", "milestones": ms},
    )
    assert r.status_code == 404
    assert _plans(world) == n


def test_plan_on_a_case_progress_in_ledger_and_case_page(world: dict[str, Any]) -> None:
    body = {
        "case_id": world["case"],
        "measures": "料场全封闭，增设喷淋",
        "milestones": [
            {"title": "采购封闭材料", "due_date": _day(3), "responsible": "王工"},
            {"title": "完成封闭", "due_date": _day(9), "responsible": "李厂长"},
        ],
    }
    r = _post(world, "ent1", "/api/rectification-plans", json=body)
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["progress"] == {"done": 0, "total": 2, "late": 0, "label": "0/2"}
    first = plan["milestones"][0]["milestone_id"]
    # done needs evidence or a note; a file that is not what it claims is refused
    r = _post(world, "ent1", f"/api/rectification-milestones/{first}/complete", data={})
    assert r.status_code == 422
    r = _post(
        world,
        "ent1",
        f"/api/rectification-milestones/{first}/complete",
        data={"note": "已到货"},
        files=[("files", ("a.png", b"not png", "image/png"))],
    )
    assert r.status_code == 422
    r = _post(
        world,
        "ent1",
        f"/api/rectification-milestones/{first}/complete",
        data={"note": "已到货"},
        files=[("files", ("a.png", PNG_IMAGE, "image/png"))],
    )
    assert r.status_code == 200, r.text
    again = _post(
        world, "ent1", f"/api/rectification-milestones/{first}/complete", data={"note": "x"}
    )
    assert again.status_code == 409
    listed = (
        world["client"]
        .get(f"/api/rectification-plans?case_id={world['case']}", headers=world["heads"]["ts_city"])
        .json()
    )
    m0 = listed["items"][0]["milestones"][0]
    assert m0["state"] == "done" and m0["evidence"][0]["filename"] == "a.png"
    assert listed["items"][0]["progress"]["label"] == "1/2"
    with session_scope(world["settings"]) as db:
        officer = db.get(User, world["seeded"].user_ids["ts_city"])
        assert officer is not None
        row = next(r for r in ledger_rows(db, officer) if r.case_id == world["case"])
        assert "整改方案节点 1/2" in row.progress_zh and "plan 1/2" in row.progress_en
        # ten days on, the second milestone (due in 9) is late
        later = rs.progress_by_case(db, [world["case"]], today=now_cst().date() + timedelta(10))
        assert later[world["case"]].label() == "1/2，逾期1"
    c = TestClient(world["app"])
    with c:
        login(c, "ts_city", PASSWORD)
        page = c.get(f"/cases/{world['case']}/rectification")
        assert page.status_code == 200
        assert "料场全封闭" in page.text and "已完成" in page.text and "进行中" in page.text
        detail = c.get(f"/cases/{world['case']}")
        assert f'hx-get="/cases/{world["case"]}/rectification"' in detail.text


def test_plan_on_a_self_check_finding_page(world: dict[str, Any]) -> None:
    c = TestClient(world["app"])
    with c:
        csrf = login(c, "ent1", PASSWORD)
        form = {
            "csrf_token": csrf,
            "finding_id": str(world["finding"]),
            "measures": "更换滤袋",
            "rows": "2",
            "m_title_0": "更换",
            "m_due_0": _day(2),
            "m_who_0": "赵六",
        }
        r = c.post("/rectification-plans", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
        page = c.get(r.headers["location"])
        assert "更换滤袋" in page.text and "赵六" in page.text
        bad = c.post("/rectification-plans", data={**form, "m_due_0": _day(-3)})
        assert bad.status_code == 422 and "更换滤袋" in bad.text  # input kept


def test_milestone_state() -> None:
    today = dt.date(2026, 12, 10)
    due = dt.date(2026, 12, 9)
    m = RectificationMilestone(due_date=due, done_at=None)
    assert rs.milestone_state(m, today) == "late"
    assert rs.milestone_state(m, due) == "due"
    m.done_at = dt.datetime(2026, 12, 9, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert rs.milestone_state(m, today) == "done"
    m.done_at = dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert rs.milestone_state(m, today) == "done_late"


@pytest.fixture
def both(db_settings: Settings) -> Seeded:
    """The seeded world on SQLite and on PostgreSQL."""
    return seed(db_settings)


def test_services_on_both_databases(both: Seeded) -> None:
    """PostgreSQL parity: self-check with a finding, a plan on it, progress and risk input."""
    seeded, settings = both, both.settings
    finding_id = _finding(settings, seeded, "ent2")
    with session_scope(settings) as db:
        ent = db.get(User, seeded.user_ids["ent2"])
        assert ent is not None
        plan = rs.create_plan(
            db,
            ent,
            measures="m",
            finding_id=finding_id,
            milestones=[{"title": "t", "responsible": "r", "due_date": _day(1)}],
        )
        views = rs.plans_of(db, ent, finding_id=finding_id)
        assert [v.plan.plan_id for v in views] == [plan.plan_id]
        assert views[0].progress.label() == "0/1"
        assert "E2" in sq.latest_fail_shares(db, ["E1", "E2"])
        officer = db.get(User, seeded.user_ids["ln_district"])
        assert officer is not None
        rows = sq.list_self_checks(db, officer, enterprise_id="E2")
        assert len(rows) == 1 and rows[0].findings_open == 1
