"""远程质控 on the web (one seeded SQLite app): the enterprise page's section queues a check
per outlet, the officers' list and its bulk form, the API, and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import bearer, keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.db.session import session_scope
from lantian.qc.models import QcCommand
from lantian.web.app import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("qc-home")) as settings:
        seed(settings)
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def test_queue_from_the_enterprise_page_bulk_and_api(app: Any) -> None:
    with TestClient(app) as ts:
        csrf = login(ts, "ts_city")
        page = ts.get("/enterprises/E1")
        assert 'hx-get="/enterprises/E1/qc"' in page.text
        section = ts.get("/enterprises/E1/qc")
        assert (
            section.status_code == 200 and "远程质控" in section.text and "MNE10001" in section.text
        )
        r = ts.post(
            "/outlets/E1-O1/qc", data={"cn": "1011", "csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/enterprises/E1")
        section = ts.get("/enterprises/E1/qc").text
        assert "待下发" in section and "时钟核查" in section
        listing = ts.get("/qc")
        assert listing.status_code == 200
        # rows name the enterprise (linked) and the outlet, not only ids
        assert '<a href="/enterprises/E1">冀东钢铁有限公司</a>' in listing.text
        assert_clean_zh(html_text(listing.text), allow=ALLOW)
        bulk = ts.post("/qc/bulk", data={"cn": "3011", "csrf_token": csrf}, follow_redirects=False)
        assert bulk.status_code == 303 and bulk.headers["location"] == "/qc?done=2"  # E1, E2
        api = bearer(ts, "ts_city")
        made = ts.post("/api/outlets/E2-O1/qc", json={"cn": "3020"}, headers=api)
        assert made.status_code == 201 and made.json()["status"] == "queued"
        assert ts.post("/api/outlets/E2-O1/qc", json={"cn": "2061"}, headers=api).status_code == 422
        items = ts.get("/api/qc", headers=api).json()["items"]
        assert [(i["outlet_id"], i["cn"]) for i in items][:2] == [
            ("E2-O1", "3020"),
            ("E2-O1", "3011"),
        ]
    with TestClient(app) as other:
        login(other, "sjz_city")
        assert "E1-O1" not in other.get("/qc").text
        assert other.get("/enterprises/E1/qc").status_code == 404
    with TestClient(app) as ent:
        h = bearer(ent, "ent1")
        assert ent.post("/api/outlets/E1-O1/qc", json={"cn": "1011"}, headers=h).status_code == 403
    with session_scope(app.state.settings) as db:
        assert db.query(QcCommand).count() == 4
