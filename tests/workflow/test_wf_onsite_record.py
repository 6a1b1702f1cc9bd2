"""On-site record as the law expects: two certified inspectors (copied onto the record),
the enterprise's representative, a signature, and the GPS distance from the site with a
warning beyond the configured distance."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select
from tests.supervision.visit_helpers import approve_onsite

from lantian.registry.models import Enterprise
from lantian.supervision.inspectors.models import InspectorCertificate
from lantian.timeutil import now_cst
from lantian.workflow import service as wf
from lantian.workflow.checks import certified_officers, decode_signature, haversine_m
from lantian.workflow.models import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def test_haversine() -> None:
    assert haversine_m(118.18, 39.63, 118.18, 39.63) == 0
    # one degree of latitude is about 111.2 km
    assert haversine_m(118.0, 39.0, 118.0, 40.0) == pytest.approx(111_195, rel=1e-3)
    # Tangshan to Beijing (Tiananmen): about 150 km
    assert haversine_m(118.18, 39.63, 116.397, 39.909) == pytest.approx(156_000, rel=0.02)


def _certify(s: Any, w: Any) -> None:
    for n, u in enumerate((w.city_a, w.district_a1, w.district_a2, w.city_b), start=1):
        s.add(InspectorCertificate(user_id=u.user_id, cert_no=f"C{n:04d}", updated_at=now_cst()))
    # an expired certificate does not count
    s.add(
        InspectorCertificate(
            user_id=w.wg.user_id,
            cert_no="C-OLD",
            valid_until=date(2020, 1, 1),
            updated_at=now_cst(),
        )
    )
    ent = s.get(Enterprise, "EA")
    ent.lon, ent.lat = 118.18, 39.63
    s.flush()


def test_onsite_record_with_inspectors_representative_signature_and_gps(
    world: Any, tmp_path: Any
) -> None:
    s, w = world.session, world
    _certify(s, w)
    case = W.drive(s, w, "dispatched")
    wf.start_check(s, w.admin, case.case_id, mode="onsite")
    approve_onsite(s, case.case_id)
    # choices: certified officers whose scope covers the case (not 二区, not 乙市, not expired)
    names = {u.username for u, _cert in certified_officers(s, case)}
    assert names == {"citya", "dista1"}
    common = {"notes": "脱硫塔循环泵停运", "uploads_dir": tmp_path, "require_onsite_record": True}
    with pytest.raises(wf.ValidationError) as e:
        wf.record_onsite_check(s, w.admin, case.case_id, inspector_ids=[w.city_a.user_id], **common)
    assert e.value.field == "inspector_ids" and "至少两名" in str(e.value)
    with pytest.raises(wf.ValidationError) as e:
        wf.record_onsite_check(
            s,
            w.admin,
            case.case_id,
            inspector_ids=[w.city_a.user_id, w.district_a2.user_id],  # 二区 does not cover it
            **common,
        )
    assert e.value.field == "inspector_ids"
    ids = [w.city_a.user_id, w.district_a1.user_id]
    with pytest.raises(wf.ValidationError) as e:
        wf.record_onsite_check(s, w.admin, case.case_id, inspector_ids=ids, **common)
    assert e.value.field == "representative_name"
    with pytest.raises(wf.ValidationError) as e:
        wf.record_onsite_check(
            s, w.admin, case.case_id, inspector_ids=ids, representative_name="王厂长", **common
        )
    assert e.value.field == "signature"
    with pytest.raises(wf.ValidationError) as e:
        wf.record_onsite_check(
            s,
            w.admin,
            case.case_id,
            inspector_ids=ids,
            representative_name="王厂长",
            representative_phone="<script>",
            signature_png=PNG,
            **common,
        )
    assert e.value.field == "representative_phone"
    # 150 km from the plant: stored with a warning (default 1,000 m)
    far = wf.record_onsite_check(
        s,
        w.admin,
        case.case_id,
        inspector_ids=ids,
        representative_name="王厂长",
        representative_title="环保负责人",
        representative_phone="0315-1234567",
        signature_png=decode_signature("data:image/png;base64," + base64.b64encode(PNG).decode()),
        lon=116.397,
        lat=39.909,
        **common,
    )
    assert far.inspectors == [
        {"user_id": w.city_a.user_id, "name": w.city_a.display_name, "cert_no": "C0001"},
        {"user_id": w.district_a1.user_id, "name": w.district_a1.display_name, "cert_no": "C0002"},
    ]
    assert far.representative_name == "王厂长" and far.representative_phone == "0315-1234567"
    assert far.site_distance_m is not None and far.site_distance_m > 150_000
    assert far.gps_warn_m == 1000.0 and far.site_distance_m > far.gps_warn_m
    sig = s.get(Attachment, far.signature_attachment_id)
    assert sig is not None and sig.check_id == far.check_id and sig.content_type == "image/png"
    # on site: within the distance, no warning
    near = wf.record_onsite_check(
        s,
        w.admin,
        case.case_id,
        inspector_ids=ids,
        representative_name="王厂长",
        signature_png=PNG,
        lon=118.181,
        lat=39.631,
        **common,
    )
    assert near.site_distance_m is not None and near.site_distance_m < near.gps_warn_m  # type: ignore[operator]
    # the copy survives a later change of the account's certificate
    cert = s.scalar(select(InspectorCertificate).where(InspectorCertificate.cert_no == "C0001"))
    cert.cert_no = "C9999"
    s.flush()
    s.refresh(far)
    assert far.inspectors[0]["cert_no"] == "C0001"  # type: ignore[index]
    with pytest.raises(wf.ValidationError):
        decode_signature("data:text/html;base64,PHNjcmlwdD4=")


def test_gps_warning_distance_is_a_setting(
    world: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lantian.settings import get_settings

    s, w = world.session, world
    _certify(s, w)
    monkeypatch.setenv("LANTIAN_ONSITE_GPS_WARN_M", "200000")
    get_settings.cache_clear()
    case = W.drive(s, w, "checking")
    approve_onsite(s, case.case_id)
    rec = wf.record_onsite_check(
        s, w.admin, case.case_id, notes="x", lon=116.397, lat=39.909, uploads_dir=tmp_path
    )
    assert rec.gps_warn_m == 200000 and rec.site_distance_m < rec.gps_warn_m  # type: ignore[operator]
    # the service alone (API, imports) does not demand the on-site fields; the form does
    assert rec.inspectors is None
    get_settings.cache_clear()
