"""The audit log: hash chain, tamper detection, append-only in the database."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lantian.auth.audit import GENESIS_HASH, audit, compute_hash, verify_audit_chain
from lantian.auth.models import AuditLog
from lantian.auth.service import create_user

PASSWORD = "Lantian-Test-2024!"


def _fill(session: Session) -> None:
    admin = create_user(session, None, "root", PASSWORD, "admin")
    for i in range(5):
        audit(
            session,
            admin,
            "edit",
            "thing",
            i,
            before={"v": i},
            after={"v": i + 1, "名": "值"},
            note=f"edit {i}",
        )
    session.commit()


def test_chain_links_and_verifies(session: Session) -> None:
    _fill(session)
    rows = session.query(AuditLog).order_by(AuditLog.audit_id).all()
    assert rows[0].prev_hash == GENESIS_HASH
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash
        assert compute_hash(prev.hash, row) == row.hash
    report = verify_audit_chain(session)
    assert report.ok and report.rows == 6 and report.last_hash == rows[-1].hash


def test_database_refuses_update_and_delete(session: Session) -> None:
    _fill(session)
    for stmt in (
        "UPDATE audit_log SET note = 'x' WHERE audit_id = 2",
        "DELETE FROM audit_log WHERE audit_id = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(stmt))
        session.rollback()
    assert verify_audit_chain(session).ok


def _disable_triggers(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_tampering_is_detected(session: Session) -> None:
    _fill(session)
    _disable_triggers(session)  # an attacker with DDL rights
    session.execute(text("UPDATE audit_log SET note = 'rewritten' WHERE audit_id = 4"))
    session.commit()
    session.expire_all()
    report = verify_audit_chain(session)
    assert not report.ok and report.first_bad_id == 4
    assert "altered" in report.problems[0]


def test_deletion_is_detected(session: Session) -> None:
    _fill(session)
    _disable_triggers(session)
    session.execute(text("DELETE FROM audit_log WHERE audit_id = 3"))
    session.commit()
    report = verify_audit_chain(session)
    assert not report.ok and report.first_bad_id == 4
    assert "removed" in report.problems[0]


def test_chain_cannot_fork(session: Session) -> None:
    _fill(session)
    last = session.query(AuditLog).order_by(AuditLog.audit_id.desc()).first()
    assert last is not None
    fork = AuditLog(
        at=last.at,
        actor_id=None,
        actor_name="x",
        action="fork",
        object_type="t",
        object_id="1",
        prev_hash=last.prev_hash,
        hash="f" * 64,
    )
    session.add(fork)
    with pytest.raises(DBAPIError):
        session.flush()
    session.rollback()


def test_concurrent_appends_keep_one_chain(session: Session) -> None:
    """Concurrent writers are serialised (PostgreSQL: advisory lock; SQLite: write lock taken
    before the last hash is read): no fork, no failed append."""
    import threading

    from lantian.db.session import session_factory

    _fill(session)
    factory = session_factory()
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(10):
                with factory() as s:
                    s.scalar(select(AuditLog.audit_id).limit(1))  # a read first, as a request does
                    audit(s, None, "edit", "thing", f"{k}-{i}", after={"k": k, "i": i})
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = verify_audit_chain(session)
    assert report.ok and report.rows == 6 + 40


def test_audit_cli_anchor_ledger_and_verify(session: Session) -> None:
    """``lantian audit anchor --print`` writes a checkpoint and prints its ledger line;
    ``verify --ledger`` accepts that line's row and head, and refuses a wrong head."""
    from typer.testing import CliRunner

    from lantian.cli.main import app

    _fill(session)
    session.close()
    runner = CliRunner()
    r = runner.invoke(app, ["audit", "anchor", "--print", "--json"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    cp = json.loads(lines[0])
    assert lines[1].startswith("LANTIAN-AUDIT ") and f"head={cp['head_hash']}" in lines[1]
    r = runner.invoke(app, ["audit", "ledger"])
    assert r.exit_code == 0 and r.stdout.strip() == lines[1]
    good = f"{cp['audit_id']}:{cp['head_hash']}"
    r = runner.invoke(app, ["audit", "verify", "--json", "--ledger", good])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["ok"] and report["checkpoints"] == 1 and report["rows"] == 7
    bad = f"{cp['audit_id']}:{'0' * 64}"
    r = runner.invoke(app, ["audit", "verify", "--ledger", bad])
    assert r.exit_code == 1 and "paper ledger" in r.output
