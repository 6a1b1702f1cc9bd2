"""Device credentials on the enterprise page: officers see, per outlet and meter, whether
its data logger has a PW (never the PW), with a warning for ``allow_no_pw`` and for a
logger the gateway refuses; enterprise accounts see none of it. The verdict is the
gateway's own (:func:`lantian.gateway.registry.load_registry`).
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, login

from lantian.db.session import session_scope
from lantian.gateway.registry import load_registry
from lantian.registry.models import Line, Meter, Outlet
from lantian.settings import Settings
from lantian.web.device_auth import credential_status, enterprise_device_status, logger_status

SECRET_PW = "Pw-s3cret-E1O1"
ALLOWED = "未设置通信密码，已允许免密接入"
REFUSED = "未设置通信密码，网关将拒收"
HAS_PW = "已设置通信密码"


def _devices(settings: Settings) -> None:
    """E1: an outlet with a PW, one with allow_no_pw, one with neither; meters on the PW
    logger (without their own PW), on a logger of their own without PW, and without MN."""
    with session_scope(settings) as db:
        o1 = db.get(Outlet, "E1-O1")
        assert o1 is not None
        o1.pw = SECRET_PW
        db.add(Line(line_id="E1-L1", enterprise_id="E1", name="1号线"))
        db.add_all(
            [
                Outlet(
                    outlet_id="E1-O2",
                    enterprise_id="E1",
                    name="2号排口",
                    mn="MNE10002",
                    allow_no_pw=True,
                ),
                Outlet(outlet_id="E1-O3", enterprise_id="E1", name="3号排口", mn="MNE10003"),
                Outlet(outlet_id="E1-O4", enterprise_id="E1", name="4号排口", mn="MNE10004", pw=""),
            ]
        )
        db.flush()
        db.add_all(
            [
                Meter(
                    meter_id="E1-M1",
                    enterprise_id="E1",
                    line_id="E1-L1",
                    role="production",
                    name="1号电表",
                    mn="MNE10001",
                    factor_code="e01",
                ),
                Meter(
                    meter_id="E1-M2",
                    enterprise_id="E1",
                    line_id="E1-L1",
                    role="treatment",
                    name="2号电表",
                    mn="MNE1M002",
                    factor_code="e01",
                    allow_no_pw=True,
                ),
                Meter(
                    meter_id="E1-M3",
                    enterprise_id="E1",
                    line_id="E1-L1",
                    role="treatment",
                    name="3号电表",
                    mn="MNE1M002",
                    factor_code="e02",
                ),
                Meter(
                    meter_id="E1-M4",
                    enterprise_id="E1",
                    line_id="E1-L1",
                    role="production",
                    name="4号电表",
                ),
                Meter(
                    meter_id="E1-M5",
                    enterprise_id="E1",
                    line_id="E1-L1",
                    role="production",
                    name="5号电表",
                    mn="MNE1M005",
                    factor_code="e01",
                ),
            ]
        )


EXPECTED = {
    "outlet": {"E1-O1": "pw", "E1-O2": "allow_no_pw", "E1-O3": "refused", "E1-O4": "refused"},
    "meter": {
        "E1-M1": "pw",  # the meters of one logger share its PW
        "E1-M2": "allow_no_pw",
        "E1-M3": "allow_no_pw",  # the exception holds for the logger (MN)
        "E1-M4": "no_logger",
        "E1-M5": "refused",
    },
}


def test_credential_status() -> None:
    assert credential_status(True, False) == "pw" and credential_status(True, True) == "pw"
    assert credential_status(False, True) == "allow_no_pw"
    assert credential_status(False, False) == "refused"


def test_status_agrees_with_the_gateway(seeded: Seeded) -> None:
    """SQLite and PostgreSQL: the page's verdict per logger is the gateway's."""
    _devices(seeded.settings)
    snap = load_registry(seeded.settings)
    with session_scope(seeded.settings) as db:
        assert enterprise_device_status(db, "E1") == EXPECTED
        mns = [mn.decode() for mn in snap.passwords]
        status = logger_status(db, mns)
    assert set(status) == set(mns)
    for mn, st in status.items():
        key = mn.encode()
        gateway = (
            "refused" if key in snap.no_pw else "allow_no_pw" if key in snap.allow_no_pw else "pw"
        )
        assert st == gateway, mn
    assert status["MNE10001"] == "pw" and status["MNE20001"] == "refused"


def _device_lines(html: str) -> dict[str, str]:
    """Each outlet/meter line of the profile card → the data-pw verdict shown on it."""
    out = {}
    for li in re.findall(r"<li>(?:排放口|电表|Outlet|Meter) · (.*?)</li>", html, flags=re.S):
        name = li.split(" ", 1)[0].strip()
        m = re.search(r'data-pw="([a-z_]+)"', li)
        out[name] = m.group(1) if m else ""
    return out


def test_officer_sees_each_logger_s_credentials(app: FastAPI, seeded_sqlite: Seeded) -> None:
    _devices(seeded_sqlite.settings)
    with TestClient(app) as c:
        login(c, "lb_district")
        r = c.get("/enterprises/E1")
    assert r.status_code == 200
    assert SECRET_PW not in r.text  # never the PW itself
    assert ALLOWED in r.text and REFUSED in r.text and HAS_PW in r.text
    assert _device_lines(r.text) == {
        "1号排口": "pw",
        "2号排口": "allow_no_pw",
        "3号排口": "refused",
        "4号排口": "refused",
        "1号电表": "pw",
        "2号电表": "allow_no_pw",
        "3号电表": "allow_no_pw",
        "4号电表": "no_logger",
        "5号电表": "refused",
    }


def test_english_warnings(app: FastAPI, seeded_sqlite: Seeded) -> None:
    _devices(seeded_sqlite.settings)
    with TestClient(app) as c:
        login(c, "ts_city")
        text = c.get("/enterprises/E1?lang=en").text
    assert "No PW registered; access without PW allowed" in text
    assert "No PW registered; the gateway refuses its data" in text
    assert ALLOWED not in text


@pytest.mark.parametrize("path", ["/enterprises/E1", "/portal"])
def test_the_enterprise_sees_no_credentials(app: FastAPI, seeded_sqlite: Seeded, path: str) -> None:
    _devices(seeded_sqlite.settings)
    with TestClient(app) as c:
        login(c, "ent1")
        r = c.get(path)
    assert r.status_code == 200 and "2号排口" in r.text  # its own devices, listed
    for text in (SECRET_PW, ALLOWED, REFUSED, HAS_PW, "data-pw="):
        assert text not in r.text


def test_out_of_scope_officers_get_404(app: FastAPI, seeded_sqlite: Seeded) -> None:
    _devices(seeded_sqlite.settings)
    for username in ("ln_district", "sjz_city"):
        with TestClient(app) as c:
            login(c, username)
            r = c.get("/enterprises/E1")
        assert r.status_code == 404 and REFUSED not in r.text, username
