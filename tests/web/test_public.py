"""Public (anonymous) page and API of published 道歉承诺 letters: only approved letters the
province's rule publishes, no personal or internal data, rate-limited (one seeded app)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import keep_home, module_home, seed

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.enforcement import services as es
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.web.security import RateLimiter
from lantian.workflow import service as ws

PUBLISHED = "我公司对超标排放深表歉意，承诺立即整改并接受社会监督。"
PENDING = "我公司承诺加强运维管理，杜绝此类问题再次发生，欢迎监督。"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("public-home")) as settings:
        seeded = seed(settings)
        with session_scope(settings) as db:
            admin = db.get(User, seeded.user_ids["admin"])
            ent1 = db.get(User, seeded.user_ids["ent1"])
            assert admin is not None and ent1 is not None
            cases = ws.dispatch(
                db,
                admin,
                seeded.leads["E1"][:2],
                assignee_id=seeded.user_ids["lb_district"],
                deadline=now_cst() + timedelta(days=5),
            )
            for case in cases:
                ws.share_case(db, admin, case.case_id)
                ws.start_check(db, admin, case.case_id, mode="remote")
                ws.record_remote_check(db, admin, case.case_id, notes="调阅在线数据")
                ws.judge(db, admin, case.case_id, confirmed=True, finding="超标排放")
            rec = es.submit_apology(db, ent1, cases[0].case_id, PUBLISHED)
            es.approve_apology(db, admin, rec.record_id)
            es.submit_apology(db, ent1, cases[1].case_id, PENDING)  # not approved: not public
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


INTERNAL = ("ent1", "admin", "91130200", "lb_district", "case_id", "amount")


def test_anonymous_sees_only_published_letters(app: Any) -> None:
    with TestClient(app) as anon:
        r = anon.get("/api/public/apologies")
        assert r.status_code == 200, r.text
        body = r.json()
        assert [i["text"] for i in body["items"]] == [PUBLISHED]
        item = body["items"][0]
        assert set(item) == set(body["fields"])
        assert item["enterprise_name"] == "冀东钢铁有限公司" and item["city"] == "唐山市"
        for needle in INTERNAL:
            assert needle not in r.text
        page = anon.get("/public/apologies")
        assert page.status_code == 200 and PUBLISHED in page.text and PENDING not in page.text
        text = html_text(page.text)
        for needle in INTERNAL:
            assert needle not in text
        assert_clean_zh(text, allow=("Lantian",), where="/public/apologies")


def test_public_routes_are_rate_limited(app: Any) -> None:
    old = getattr(app.state, "public_limiter", None)
    app.state.public_limiter = RateLimiter(limit=3, window_s=60.0)
    try:
        with TestClient(app) as anon:
            codes = [anon.get("/api/public/apologies").status_code for _ in range(3)]
            assert codes == [200, 200, 200]
            r = anon.get("/public/apologies")
            assert r.status_code == 429 and r.headers["retry-after"] == "60"
            assert anon.get("/api/public/apologies").status_code == 429
    finally:
        app.state.public_limiter = old
