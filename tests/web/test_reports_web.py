"""Periodic reports on the web (one seeded SQLite app for the module): the page (Chinese),
generating one (bad period refused with the input kept), the downloads checked against
their SHA-256 (a changed file is refused), the API, and enterprises refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import bearer, keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.db.session import session_scope
from lantian.reports.models import ArchivedReport
from lantian.web.app import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("reports-home")) as settings:
        seed(settings)
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def test_generate_list_download_and_refusals(app: Any) -> None:
    with TestClient(app) as ts:
        csrf = login(ts, "ts_city")
        page = ts.get("/reports")
        assert page.status_code == 200 and "生成统计报告" in page.text
        assert_clean_zh(html_text(page.text), allow=ALLOW)
        bad = ts.post("/reports", data={"kind": "monthly", "period": "2026-13", "csrf_token": csrf})
        assert bad.status_code == 422 and "不是有效的月份" in bad.text and "2026-13" in bad.text
        with session_scope(app.state.settings) as db:
            assert db.query(ArchivedReport).count() == 0
        ok = ts.post(
            "/reports",
            data={"kind": "monthly", "period": "2026-11", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        listed = ts.get("/reports").text
        assert "唐山市大气环境监督帮扶月报（2026年11月）" in listed
        with session_scope(app.state.settings) as db:
            row = db.query(ArchivedReport).one()
            rid, sha = row.report_id, row.pdf_sha256
        pdf = ts.get(f"/reports/{rid}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        xlsx = ts.get(f"/reports/{rid}.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        api = bearer(ts, "ts_city")
        one = ts.get(f"/api/reports/{rid}", headers=api).json()
        assert one["verified"] == {"pdf": True, "xlsx": True} and one["pdf_sha256"] == sha
        made = ts.post("/api/reports", json={"kind": "weekly", "period": "2026-W47"}, headers=api)
        assert made.status_code == 201 and made.json()["title"].endswith("（2026年第47周）")
        assert ts.post("/api/reports", json={"kind": "yearly"}, headers=api).status_code == 422
        # a changed archive file is refused, and the API says it no longer verifies
        path = app.state.settings.reports_dir / f"{sha}.pdf"
        path.write_bytes(path.read_bytes() + b"%")
        assert ts.get(f"/reports/{rid}.pdf").status_code == 409
        assert ts.get(f"/api/reports/{rid}", headers=api).json()["verified"]["pdf"] is False
    with TestClient(app) as other:
        login(other, "sjz_city")
        assert "唐山市" not in other.get("/reports").text
        assert other.get(f"/reports/{rid}.xlsx").status_code == 404
    with TestClient(app) as ent:
        h = bearer(ent, "ent1")
        assert ent.post("/api/reports", json={"kind": "monthly"}, headers=h).status_code == 403
        assert ent.get("/api/reports", headers=h).status_code == 403
