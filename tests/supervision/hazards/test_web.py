"""隐患提示函 on the web (one seeded SQLite app for the module): the issue form (bad input kept,
422), the officer's list with the overdue filter, the PDF (pdftotext + zh scanner), the
enterprise's reply with a photo in its portal, close and escalate through the pages, the API."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import bearer, keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.db.session import session_scope
from lantian.supervision.hazards.models import HazardNotice
from lantian.web.app import create_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FORM = {
    "enterprise_id": "E1",
    "title": "原料堆场扬尘隐患",
    "problem_1": "原料堆场部分区域未苫盖",
    "basis_1": "《中华人民共和国大气污染防治法》第七十二条",
    "measure_1": "对堆场全面苫盖并定期洒水",
    "problem_2": "厂区道路积尘",
    "basis_2": "《中华人民共和国大气污染防治法》第六十九条",
    "measure_2": "每日清扫并洒水抑尘",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("hazard-home")) as settings:
        seed(settings)
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "h.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def test_officer_issues_enterprise_replies_officer_closes(app: Any, tmp_path: Path) -> None:
    with TestClient(app) as officer:
        csrf = login(officer, "lb_district")
        # bad input: 422, the message and the input kept, nothing stored
        bad = officer.post("/hazard-notices", data={**FORM, "basis_2": "", "csrf_token": csrf})
        assert bad.status_code == 422, bad.text[:300]
        assert "第 2 项" in bad.text and "原料堆场部分区域未苫盖" in bad.text
        with session_scope(app.state.settings) as db:
            assert db.query(HazardNotice).count() == 0
        r = officer.post(
            "/hazard-notices", data={**FORM, "csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 303, r.text[:300]
        page_url = r.headers["location"].split("?")[0]
        notice_id = int(page_url.rsplit("/", 1)[1])
        page = officer.get(page_url)
        assert page.status_code == 200 and "提示〔" in page.text and "厂区道路积尘" in page.text
        assert_clean_zh(html_text(page.text), allow=ALLOW, where="hazard notice page (officer)")
        listing = officer.get("/hazard-notices")
        assert "原料堆场扬尘隐患" in listing.text
        assert_clean_zh(html_text(listing.text), allow=ALLOW, where="hazard list")
        assert "原料堆场扬尘隐患" not in officer.get("/hazard-notices?overdue=1").text
        new_form = officer.get("/hazard-notices/new?enterprise_id=E1")
        assert_clean_zh(html_text(new_form.text), allow=ALLOW, where="hazard form")

        if shutil.which("pdftotext"):
            pdf = officer.get(f"/api/notices/{notice_id}.pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            text = _pdf_text(pdf.content, tmp_path)
            flat = "".join(text.split())
            assert "环境隐患提示函" in flat and "提示〔" in flat
            assert "厂区道路积尘" in flat and "每日清扫并洒水抑尘" in flat
            assert "第十八条" in flat and "前通过蓝天平台企业端书面回复" in flat
            assert_clean_zh(text, allow=("Lantian",), where="hazard notice PDF")

    with TestClient(app) as ent:
        csrf = login(ent, "ent1")
        portal = ent.get("/portal/hazard-notices")
        assert "原料堆场扬尘隐患" in portal.text
        assert_clean_zh(html_text(portal.text), allow=ALLOW, where="portal hazard list")
        detail = ent.get(f"/hazard-notices/{notice_id}")
        assert 'id="reply-form"' in detail.text and 'id="close-form"' not in detail.text
        bad = ent.post(
            f"/hazard-notices/{notice_id}/reply",
            data={"reply_text": "已全部苫盖", "csrf_token": csrf},
            files={"files": ("x.png", b"not a png", "image/png")},
        )
        assert bad.status_code == 422 and "已全部苫盖" in bad.text
        ok = ent.post(
            f"/hazard-notices/{notice_id}/reply",
            data={"reply_text": "已全部苫盖，道路每日清扫", "csrf_token": csrf},
            files={"files": ("苫盖后.png", PNG, "image/png")},
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text[:300]
        after = ent.get(f"/hazard-notices/{notice_id}")
        assert "苫盖后.png" in after.text
        assert_clean_zh(html_text(after.text), allow=(*ALLOW, "苫盖后.png"), where="reply page")

    with TestClient(app) as officer:
        csrf = login(officer, "lb_district")
        detail = officer.get(f"/hazard-notices/{notice_id}")
        assert "已全部苫盖，道路每日清扫" in detail.text
        file_link = detail.text.split('href="/hazard-notices/files/')[1].split('"')[0]
        photo = officer.get(f"/hazard-notices/files/{file_link}")
        assert photo.status_code == 200 and photo.content == PNG
        empty = officer.post(
            f"/hazard-notices/{notice_id}/close", data={"note": " ", "csrf_token": csrf}
        )
        assert empty.status_code == 422
        done = officer.post(
            f"/hazard-notices/{notice_id}/close",
            data={"note": "照片显示隐患已消除", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert "已办结" in officer.get(f"/hazard-notices/{notice_id}").text


def test_api_overdue_filter_and_escalation(app: Any) -> None:
    with TestClient(app) as c:
        h = bearer(c, "lb_district")
        body = {
            "enterprise_id": "E1",
            "title": "API 隐患",
            "items": [{"problem": "治污设施未正常运行", "basis": "第十八条", "measure": "检修"}],
        }
        r = c.post("/api/hazard-notices", headers=h, json=body)
        assert r.status_code == 200, r.text
        n = r.json()
        assert n["status"] == "issued" and n["number"].startswith("提示〔")
        bad = c.post(
            "/api/hazard-notices",
            headers=h,
            json={**body, "items": [{**body["items"][0], "basis": " "}]},
        )  # type: ignore[dict-item]
        assert bad.status_code == 422 and "items[1].basis" in bad.text
        with session_scope(app.state.settings) as db:
            row = db.get(HazardNotice, n["notice_id"])
            assert row is not None
            row.reply_due = row.reply_due - timedelta(days=60)
        overdue = c.get("/api/hazard-notices?overdue=true", headers=h).json()
        assert [i["notice_id"] for i in overdue["items"]] == [n["notice_id"]]
        assert overdue["items"][0]["overdue"] is True
        assert (
            c.get("/api/hazard-notices?overdue=true", headers=bearer(c, "sjz_city")).json()["total"]
            == 0
        )
        no_family = c.post(
            f"/api/hazard-notices/{n['notice_id']}/escalate", headers=h, json={"note": "逾期未回复"}
        )
        assert no_family.status_code == 422 and "family" in no_family.text
        esc = c.post(
            f"/api/hazard-notices/{n['notice_id']}/escalate",
            headers=h,
            json={"note": "逾期未回复", "family": "TREATMENT_OFF"},
        )
        assert esc.status_code == 200, esc.text
        out = esc.json()
        assert out["status"] == "escalated" and out["followup"]["escalated_case_id"]
        case = c.get(f"/api/cases/{out['case_id_opened']}", headers=h)
        assert case.status_code == 200 and "隐患提示函转立案" in case.text
