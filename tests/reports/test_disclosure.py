"""Disclosure queries on SQLite and PostgreSQL (one parity test): only closed cases of key
dischargers within the configured days, only the configured fields; online data only of
key dischargers."""

from __future__ import annotations

from datetime import timedelta

from lantian.db.session import session_scope
from lantian.registry.models import Enterprise, Outlet
from lantian.reports import disclosure as d
from lantian.settings import Settings
from lantian.timeutil import now_cst
from lantian.workflow.models import Case


def test_closed_cases_and_key_dischargers_on_both_databases(db_settings: Settings) -> None:
    now = now_cst()
    with session_scope(db_settings) as db:
        for eid, name, code in (
            ("K", "重点电厂", "91130200MA000000KX"),
            ("N", "小作坊", "91130200MA000000NX"),
        ):
            db.add(
                Enterprise(
                    enterprise_id=eid,
                    name=name,
                    credit_code=code,
                    industry="coal_power",
                    city="唐山市",
                    district="路北区",
                )
            )
        db.flush()
        db.add(
            Outlet(
                outlet_id="K-O1", enterprise_id="K", name="1号排口", mn="MNK0001", limit_so2=35.0
            )
        )
        for eid, status, fix, ago in (
            ("K", "closed", "supervision_order", 1),
            ("K", "rectification", "supervision_order", None),
            ("K", "false_positive", None, 1),
            ("K", "closed", "immediate_fix", 40),
            ("N", "closed", "immediate_fix", 1),
        ):
            db.add(
                Case(
                    status=status,
                    title=f"{eid} {status}",
                    enterprise_id=eid,
                    city="唐山市",
                    district="路北区",
                    rule="CEMS-EXCEED",
                    family="EXCEEDANCE",
                    subject_type="outlet",
                    subject_id=f"{eid}-O1",
                    severity=2,
                    created_at=now - timedelta(days=60),
                    updated_at=now,
                    fix_path=fix,
                    closed_at=None if ago is None else now - timedelta(days=ago),
                )
            )
    config = d.DisclosureConfig(("enterprise_name", "outcome", "closed_date"), 30, 10, 24)
    with session_scope(db_settings) as db:
        assert [e.enterprise_id for e in d.key_dischargers(db)] == ["K"]
        assert d.key_discharger_count(db) == 1
        assert d.closed_cases(db, config, now=now) == [
            {
                "enterprise_name": "重点电厂",
                "outcome": "整改完成",
                "closed_date": (now - timedelta(days=1)).date().isoformat(),
            }
        ]
        assert d.latest_online(db, db_settings, config, "N") is None
        assert d.latest_online(db, db_settings, config, "K") == []  # nothing in the lake yet
