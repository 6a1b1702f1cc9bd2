"""Database side: inputs read from the registry, leads and cases; CLI draw stored and audited;
inspector import atomic and audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from lantian.auth.models import AuditLog, User
from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Outlet
from lantian.settings import Settings
from lantian.supervision.inspectors.models import InspectorCertificate
from lantian.supervision.plans.models import PlanDraw
from lantian.supervision.queries import load_plan_inputs
from lantian.timeutil import CST
from lantian.workflow.models import Case, CheckRecord

T0 = datetime(2026, 6, 10, 10, 0, tzinfo=CST)


def _user(name: str, role: str, district: str | None) -> User:
    return User(
        username=name,
        display_name=name,
        role=role,
        city="甲市",
        district=district,
        password_hash="not-a-login",
        active=True,
        created_at=T0,
        password_changed_at=T0,
    )


def _world(settings: Settings) -> None:
    with session_scope(settings) as s:
        for k in range(12):
            s.add(
                Enterprise(
                    enterprise_id=f"E{k:02d}",
                    name=f"企业{k}",
                    credit_code=f"91130100MA{k:08d}",
                    industry="steel" if k % 2 else "printing",
                    city="甲市",
                    district="一区" if k < 6 else "二区",
                    grade="A" if k == 3 else "C",
                    positive_list=k == 3,
                )
            )
        s.add(
            Enterprise(
                enterprise_id="X1",
                name="乙",
                credit_code="91140100MA00000099",
                industry="steel",
                city="乙市",
                district="三区",
            )
        )
        s.flush()
        s.add(Outlet(outlet_id="O1", enterprise_id="E01", name="1#", mn="MN0001"))
        s.add(Outlet(outlet_id="O2", enterprise_id="E01", name="2#", mn="MN0002"))
        for name, district in (("i1", "一区"), ("i2", "一区"), ("i3", "二区"), ("i4", "二区")):
            s.add(_user(name, "district_officer", district))
        s.add(_user("boss", "admin", None))
        s.flush()
        s.add(
            Lead(
                lead_id="L1",
                rule="CEMS-EXCEED",
                family="EXCEEDANCE",
                enterprise_id="E01",
                subject_type="outlet",
                subject_id="O1",
                pollutant="a21026",
                start=T0,
                end=T0 + timedelta(hours=5),
                severity=2,
                score=0.9,
                summary="s",
                evidence={},
                open=False,
                detected_at=T0,
                updated_at=T0,
                outcome="confirmed",
            )
        )
        case = Case(
            status="checking",
            title="c",
            enterprise_id="E01",
            city="甲市",
            district="一区",
            rule="CEMS-EXCEED",
            family="EXCEEDANCE",
            subject_type="outlet",
            subject_id="O1",
            severity=2,
            created_at=T0,
            updated_at=T0,
            escalation_level=0,
            reopen_count=0,
        )
        s.add(case)
        s.flush()
        i1 = s.scalar(select(User).where(User.username == "i1"))
        assert i1 is not None
        s.add(
            CheckRecord(
                case_id=case.case_id,
                kind="onsite",
                checked_by=i1.user_id,
                checked_at=T0 - timedelta(hours=9),
                recorded_at=T0,
            )
        )


def _import(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "insp.csv"
    path.write_text(text, "utf-8")
    r = CliRunner().invoke(app, ["inspectors", "import", str(path)])
    return r.exit_code, r.output


@pytest.mark.usefixtures("db_settings")
def test_inputs_come_from_registry_leads_and_cases(db_settings: Settings) -> None:
    _world(db_settings)
    with session_scope(db_settings) as s:
        inputs = load_plan_inputs(
            s,
            period="2026-12",
            jurisdiction="甲市",
            start=datetime(2026, 12, 1).date(),
            end=datetime(2027, 1, 1).date(),
        )
    ents = {e.enterprise_id: e for e in inputs.enterprises}
    assert set(ents) == {f"E{k:02d}" for k in range(12)}
    assert ents["E01"].outlets == 2 and ents["E01"].open_cases == 1
    assert [lf.outcome for lf in ents["E01"].leads] == ["confirmed"]
    assert ents["E03"].positive_list
    # checked at 01:00 CST (17:00 UTC the day before): the visit's day is the CST day
    assert [(v.enterprise_id, v.date, v.inspectors, v.kind) for v in inputs.visits] == [
        ("E01", date(2026, 6, 10), ("i1",), "onsite")
    ]
    assert sorted(i.username for i in inputs.inspectors) == ["i1", "i2", "i3", "i4"]
    assert all(i.cert_no is None for i in inputs.inspectors)


@pytest.mark.usefixtures("db_settings")
def test_cli_draw_is_stored_audited_and_byte_identical(
    db_settings: Settings, tmp_path: Path
) -> None:
    _world(db_settings)
    runner = CliRunner()
    args = [
        "plan",
        "draw",
        "--period",
        "2026-12",
        "--jurisdiction",
        "甲市",
        "--seed",
        "11",
        "--json",
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "inspector register: 0 inspector" in refused.output
    code, out = _import(
        tmp_path,
        "username,cert_no,valid_until\ni1,ZF-0001,\ni2,ZF-0002,\ni3,ZF-0003,2030-01-01\n"
        "i4,ZF-0004,2020-01-01\n",
    )
    assert code == 0, out
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    line1 = first.stdout.splitlines()[0]
    assert line1 == second.stdout.splitlines()[0]
    plan = json.loads(line1)
    assert plan["seed"] == 11 and len(plan["inputs_hash"]) == 64
    assert plan["visits"]
    for v in plan["visits"]:
        assert set(v) >= {"enterprise_id", "inspectors", "mode", "risk", "reasons"}
        assert v["enterprise_id"] != "X1"
        assert "i4" not in v["inspectors"]  # certificate expired
        if v["inspectors"]:
            assert len(set(v["inspectors"])) == 2
        if v["enterprise_id"] == "E01":
            assert "i1" not in v["inspectors"]  # made the last visit
        if v["enterprise_id"] == "E03":
            assert v["mode"] == "remote"
    with session_scope(db_settings) as s:
        draws = list(s.scalars(select(PlanDraw).order_by(PlanDraw.draw_id)))
        assert len(draws) == 2
        assert draws[0].result == plan and draws[0].inputs_hash == plan["inputs_hash"]
        assert draws[0].seed == 11 and draws[0].period == "2026-12"
        n = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "plan_draw")
        )
        assert n == 2


@pytest.mark.usefixtures("db_settings")
def test_inspector_import_is_atomic_and_names_the_bad_row(
    db_settings: Settings, tmp_path: Path
) -> None:
    _world(db_settings)
    code, out = _import(tmp_path, "username,cert_no\ni1,Z1\n")
    assert code == 2 and "line 2: column cert_no: 'Z1'" in out
    code, out = _import(tmp_path, "username,cert_no\ni1,ZF-0001\nnobody,ZF-0009\n")
    assert code == 2 and "line 3: column username: no user 'nobody'" in out
    code, out = _import(tmp_path, "username,cert_no\ni1,ZF-0001\nboss,ZF-0009\n")
    assert code == 2 and "'boss' has role admin" in out
    with session_scope(db_settings) as s:
        assert s.scalar(select(func.count()).select_from(InspectorCertificate)) == 0
    code, out = _import(tmp_path, "username,cert_no\ni1,ZF-0001\ni2,ZF-0002\n")
    assert code == 0, out
    code, out = _import(tmp_path, "username,cert_no\ni3,ZF-0001\n")
    assert code == 2 and "belongs to another officer" in out
    with session_scope(db_settings) as s:
        assert s.scalar(select(func.count()).select_from(InspectorCertificate)) == 2
        n = s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "set_inspector_certificate")
        )
        assert n == 2


@pytest.mark.usefixtures("db_settings")
def test_positive_list_review_cli(db_settings: Settings) -> None:
    _world(db_settings)
    r = CliRunner().invoke(app, ["positive-list", "review", "--as-of", "2026-12-01", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.splitlines()[0])
    changes = {p["enterprise_id"]: p["change"] for p in out["proposals"]}
    # E03 is listed, grade A, clean, no case: stays; nobody else has grade A/L/B
    assert changes == {}
