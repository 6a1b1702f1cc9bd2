"""Fixtures: a small region (two cities, three districts, four enterprises), leads and users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.service import create_user
from lantian.db.session import session_factory
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Station
from lantian.settings import Settings
from lantian.timeutil import CST
from lantian.workflow.checklists import ensure_checklist_templates

PASSWORD = "Lantian-Test-2024!"
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=CST)


def make_lead(
    lead_id: str,
    enterprise_id: str | None,
    *,
    rule: str = "CEMS-EXCEED",
    family: str = "EXCEEDANCE",
    subject_type: str = "outlet",
    subject_id: str = "P1",
    start: datetime = T0,
    hours: int = 5,
    severity: int = 2,
) -> Lead:
    return Lead(
        lead_id=lead_id,
        rule=rule,
        family=family,
        enterprise_id=enterprise_id,
        subject_type=subject_type,
        subject_id=subject_id,
        pollutant="a21026",
        start=start,
        end=start + timedelta(hours=hours),
        severity=severity,
        score=0.9,
        summary=f"{lead_id}: 二氧化硫折算浓度超标",
        evidence={"observed": 120.0, "threshold": 100.0},
        open=False,
        detected_at=start + timedelta(hours=hours + 1),
        updated_at=start + timedelta(hours=hours + 1),
    )


@dataclass
class World:
    session: Session
    admin: User
    wg: User
    wg_city_b: User
    city_a: User
    city_b: User
    district_a1: User
    district_a2: User
    ent_a: User
    ent_b: User


ENTERPRISES = [
    # id, name, credit code (province 13), city, district, positive_list, industry
    ("EA", "甲市钢铁有限公司", "91130100MA0000001A", "甲市", "一区", False, "steel"),
    ("EB", "甲市印务有限公司", "91130100MA0000002B", "甲市", "二区", True, "printing"),
    ("EC", "乙市水泥有限公司", "91140100MA0000003C", "乙市", "三区", False, "cement"),
    ("ED", "甲市供热有限公司", "91130100MA0000004D", "甲市", "一区", False, "industrial_boiler"),
]


@pytest.fixture
def world(db_settings: Settings) -> Iterator[World]:
    session = session_factory(db_settings)()
    for eid, name, code, city, district, pos, industry in ENTERPRISES:
        session.add(
            Enterprise(
                enterprise_id=eid,
                name=name,
                credit_code=code,
                industry=industry,
                city=city,
                district=district,
                positive_list=pos,
                grade="B",
            )
        )
    session.add(
        Station(station_id="S1", name="甲市一区站", kind="national", city="甲市", district="一区")
    )
    session.flush()
    ensure_checklist_templates(session)

    def mk(username: str, role: str, **kw: str) -> User:
        return create_user(session, None, username, PASSWORD, role, **kw)  # type: ignore[arg-type]

    w = World(
        session=session,
        admin=mk("admin", "admin"),
        wg=mk("wg", "work_group"),
        wg_city_b=mk("wgb", "work_group", city="乙市"),
        city_a=mk("citya", "city_officer", city="甲市"),
        city_b=mk("cityb", "city_officer", city="乙市"),
        district_a1=mk("dista1", "district_officer", city="甲市", district="一区"),
        district_a2=mk("dista2", "district_officer", city="甲市", district="二区"),
        ent_a=mk("enta", "enterprise", enterprise_id="EA"),
        ent_b=mk("entb", "enterprise", enterprise_id="EB"),
    )
    for i, eid in enumerate(["EA", "EA", "EB", "EC", "ED"], start=1):
        session.add(make_lead(f"L{i}", eid, subject_id=f"P{i}"))
    session.add(
        make_lead(
            "LS",
            None,
            subject_type="station",
            subject_id="S1",
            rule="AMB-HOT",
            family="AMBIENT_HOTSPOT",
        )
    )
    session.commit()
    try:
        yield w
    finally:
        session.close()
