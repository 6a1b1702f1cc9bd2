"""调度督办 on the web (one seeded SQLite app for the module): an overdue case escalates into a
task for the next level's officer, who closes it on /tasks (bad input kept, 422); 约谈 /
通报 recorded on the case page and through the API, with their PDFs; the dashboard counts."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import bearer, keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow import service as ws
from lantian.workflow.dispatch_models import CaseMeeting, SupervisionTask
from lantian.workflow.escalation import escalate_overdue


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("tasks-home")) as settings:
        seeded = seed(settings)
        with session_scope(settings) as db:
            ts = db.get(User, seeded.user_ids["ts_city"])
            assert ts is not None
            (case,) = ws.dispatch(
                db,
                ts,
                ["LE1-0"],
                assignee_id=seeded.user_ids["lb_district"],
                deadline=now_cst() + timedelta(hours=1),
            )
            case_id = case.case_id
            # 8 days overdue: level 2, two rungs above the district officer = the province's
            # work group (wg, province 13)
            escalate_overdue(db, now_cst() + timedelta(days=8))
        application = create_app(settings)
        application.state.case_id = case_id
        yield application


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def _task(app: Any) -> SupervisionTask:
    with session_scope(app.state.settings) as db:
        task = db.scalars(
            select(SupervisionTask).where(SupervisionTask.case_id == app.state.case_id)
        ).one()
        db.expunge(task)
        return task


def test_the_next_level_closes_its_task_on_the_tasks_page(app: Any) -> None:
    task = _task(app)
    with TestClient(app) as wg:
        csrf = login(wg, "wg")
        page = wg.get("/tasks")
        assert page.status_code == 200
        assert f"/cases/{app.state.case_id}" in page.text and "逾期7日以上" in page.text
        assert_clean_zh(html_text(page.text), allow=ALLOW)
        bad = wg.post(f"/tasks/{task.task_id}/done", data={"result": " ", "csrf_token": csrf})
        assert bad.status_code == 422 and "请填写督办情况" in bad.text
        r = wg.post(
            f"/tasks/{task.task_id}/done",
            data={"result": "已约谈区分局负责人，限三日内办结", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303
        done = wg.get("/tasks?status=done")
        assert "已约谈区分局负责人" in done.text
    with TestClient(app) as ts:
        login(ts, "ts_city")
        # the city officer sees the task in its jurisdiction, not addressed to it
        assert f"/cases/{app.state.case_id}" not in ts.get("/tasks").text
        everything = ts.get("/tasks?scope=all&status=all").text
        assert f"/cases/{app.state.case_id}" in everything
        case_page = ts.get(f"/cases/{app.state.case_id}").text
        assert "督办任务" in case_page and "已约谈区分局负责人" in case_page


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def test_interview_on_the_case_page_and_circular_through_the_api(app: Any, tmp_path: Path) -> None:
    cid = app.state.case_id
    form = {
        "kind": "interview",
        "held_at": (now_cst() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "唐山市生态环境局三楼会议室",
        "people": "王五（总经理）\n赵六（环保科长）",
        "content": "企业二氧化硫超标问题逾期未整改，约谈企业主要负责人。",
        "follow_up": "五个工作日内提交整改方案",
    }
    with TestClient(app) as ts:
        csrf = login(ts, "ts_city")
        bad = ts.post(f"/cases/{cid}/meetings", data={**form, "csrf_token": csrf})
        assert bad.status_code == 422, bad.text[:300]
        assert "时间不能晚于当前时间" in bad.text and "王五（总经理）" in bad.text  # input kept
        with session_scope(app.state.settings) as db:
            assert db.query(CaseMeeting).count() == 0
        form["held_at"] = (now_cst() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
        ok = ts.post(
            f"/cases/{cid}/meetings", data={**form, "csrf_token": csrf}, follow_redirects=False
        )
        assert ok.status_code == 303
        page = ts.get(f"/cases/{cid}").text
        assert "约谈" in page and "王五（总经理）" in page
        link = re.search(r'href="(/api/meetings/\d+\.pdf)"', page)
        assert link
        pdf = ts.get(link.group(1))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        if shutil.which("pdftotext"):
            text = _pdf_text(pdf.content, tmp_path)
            for needle in ("约谈记录", "约谈〔", "王五（总经理）", "三楼会议室", "五个工作日"):
                assert needle in text, needle
        api = bearer(ts, "ts_city")
        r = ts.post(
            f"/api/cases/{cid}/circulars",
            json={
                "held_at": now_cst().isoformat(),
                "people": ["各县（市、区）生态环境分局"],
                "content": "现将冀东钢铁有限公司逾期未整改问题予以通报。",
            },
            headers=api,
        )
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == "circular" and r.json()["pdf"].endswith(".pdf")
        bad_api = ts.post(
            f"/api/cases/{cid}/circulars",
            json={"held_at": "not a time", "people": ["x"], "content": "y"},
            headers=api,
        )
        assert bad_api.status_code == 422 and "held_at" in bad_api.text
        listed = ts.get(f"/api/cases/{cid}/meetings", headers=api).json()
        assert [m["kind"] for m in listed["items"]] == ["interview", "circular"]
        dash = ts.get("/api/dashboard", headers=api).json()
        assert dash["meetings"] == {"interview": 1, "circular": 1}
        assert dash["escalation_tasks"]["done"] == 1
    with TestClient(app) as ent:
        h = bearer(ent, "ent2")
        assert ent.get(f"/api/cases/{cid}/meetings", headers=h).status_code in (403, 404)
        r = ent.post(
            f"/api/cases/{cid}/interviews",
            json={"held_at": now_cst().isoformat(), "place": "x", "people": ["x"], "content": "y"},
            headers=h,
        )
        assert r.status_code in (403, 404)
