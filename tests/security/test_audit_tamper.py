"""Adversary tests of the audit chain: an insider with database (and file) access.

Each test tampers as an insider would (triggers dropped, rows deleted or rewritten, the
chain recomputed with or without the key, the key or the checkpoint file replaced) and
asserts that ``verify_audit_chain`` reports it. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lantian.auth.audit import (
    SCHEME_HMAC,
    SCHEME_SHA256,
    audit,
    audit_key_path,
    checkpoint_path,
    compute_hash,
    ledger_line,
    load_audit_key,
    read_checkpoints,
    verify_audit_chain,
    write_checkpoint,
)
from lantian.auth.models import AuditLog
from lantian.db.session import session_factory
from lantian.settings import Settings


@pytest.fixture
def session(db_settings: Settings) -> Iterator[Session]:
    s = session_factory(db_settings)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


def _fill(session: Session, n: int = 6, start: int = 0) -> None:
    for i in range(start, start + n):
        audit(session, None, "edit", "thing", i, before={"v": i}, after={"v": i + 1}, note=f"n{i}")
    session.commit()


def _insider(session: Session) -> None:
    """Drop the append-only triggers (an insider with DDL rights)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def _ids(session: Session) -> list[int]:
    return list(session.scalars(select(AuditLog.audit_id).order_by(AuditLog.audit_id)))


def _recompute_from(session: Session, first_id: int, key: bytes | None, scheme: int) -> None:
    """Rewrite every row from ``first_id`` on so the chain links again (a forger's repair)."""
    session.expire_all()
    rows = session.scalars(select(AuditLog).order_by(AuditLog.audit_id)).all()
    prev = "0" * 64
    for row in rows:
        if row.audit_id >= first_id:
            row.prev_hash = prev
            row.hash_scheme = scheme
            if scheme == SCHEME_SHA256:
                row.hash = compute_hash(prev, row)
            else:
                assert key is not None
                row.hash = compute_hash(prev, row, key)
            session.flush()
        prev = row.hash
    session.commit()
    session.expire_all()


def test_new_rows_are_keyed_and_key_file_is_private(
    session: Session, db_settings: Settings
) -> None:
    _fill(session, 3)
    rows = session.scalars(select(AuditLog)).all()
    assert {r.hash_scheme for r in rows} == {SCHEME_HMAC}
    key = load_audit_key(db_settings)
    assert key is not None
    first = min(rows, key=lambda r: r.audit_id)
    plain = compute_hash("0" * 64, first, key)
    assert first.hash == plain
    assert hashlib.sha256(("0" * 64).encode()).hexdigest() != first.hash
    assert audit_key_path(db_settings).stat().st_mode & 0o777 == 0o600
    report = verify_audit_chain(session, settings=db_settings)
    assert report.ok and report.keyed_rows == 3


def test_delete_tail_is_detected_by_checkpoint(session: Session, db_settings: Settings) -> None:
    _fill(session)
    cp = write_checkpoint(session, None, db_settings)
    assert cp is not None and cp.rows == 7
    assert verify_audit_chain(session, settings=db_settings).ok
    _insider(session)
    ids = _ids(session)
    session.execute(text("DELETE FROM audit_log WHERE audit_id >= :i"), {"i": ids[-2]})
    session.commit()
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert any("missing (rows deleted)" in p for p in report.problems), report.problems


def test_delete_tail_without_checkpoint_is_only_a_warning(
    session: Session, db_settings: Settings
) -> None:
    """The limit the checkpoints close: without one, a shortened chain is consistent."""
    _fill(session)
    _insider(session)
    session.execute(text("DELETE FROM audit_log WHERE audit_id = :i"), {"i": _ids(session)[-1]})
    session.commit()
    report = verify_audit_chain(session, settings=db_settings)
    assert report.ok
    assert any("no checkpoint yet" in w for w in report.warnings)


@pytest.mark.parametrize("forger_scheme", [SCHEME_SHA256, SCHEME_HMAC])
def test_edit_and_recompute_without_the_key(
    session: Session, db_settings: Settings, forger_scheme: int
) -> None:
    _fill(session)
    _insider(session)
    victim = _ids(session)[2]
    session.execute(
        text("UPDATE audit_log SET note = 'rewritten' WHERE audit_id = :i"), {"i": victim}
    )
    session.commit()
    guessed = secrets.token_bytes(32)
    _recompute_from(session, victim, guessed, forger_scheme)
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok and report.first_bad_id == victim, report.problems


def test_edit_and_recompute_with_the_key_is_caught_by_checkpoint(
    session: Session, db_settings: Settings
) -> None:
    _fill(session)
    write_checkpoint(session, None, db_settings)
    _fill(session, 2, start=10)
    _insider(session)
    victim = _ids(session)[1]
    session.execute(
        text("UPDATE audit_log SET note = 'rewritten' WHERE audit_id = :i"), {"i": victim}
    )
    session.commit()
    key = load_audit_key(db_settings)
    _recompute_from(session, victim, key, SCHEME_HMAC)
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert any("chain rewritten" in p for p in report.problems), report.problems


def test_replaced_key_is_reported(session: Session, db_settings: Settings) -> None:
    _fill(session)
    write_checkpoint(session, None, db_settings)
    path = audit_key_path(db_settings)
    path.unlink()
    new_key = load_audit_key(db_settings, create=True)
    assert new_key is not None
    # the insider also recomputes the whole chain with the new key
    _insider(session)
    _recompute_from(session, _ids(session)[0], new_key, SCHEME_HMAC)
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert any("the audit key was replaced" in p for p in report.problems), report.problems


def test_replaced_key_without_recompute_is_reported(
    session: Session, db_settings: Settings
) -> None:
    _fill(session)
    path = audit_key_path(db_settings)
    path.write_text(secrets.token_hex(32) + "\n")
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert "key was replaced" in report.problems[0]


def test_deleted_checkpoint_file_is_reported(session: Session, db_settings: Settings) -> None:
    _fill(session)
    write_checkpoint(session, None, db_settings)
    _fill(session, 1, start=20)
    write_checkpoint(session, None, db_settings)
    checkpoint_path(db_settings).unlink()
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert any("checkpoint file" in p and "missing" in p for p in report.problems)


def test_removed_or_forged_checkpoint_line_is_reported(
    session: Session, db_settings: Settings
) -> None:
    _fill(session)
    write_checkpoint(session, None, db_settings)
    _fill(session, 1, start=20)
    write_checkpoint(session, None, db_settings)
    path = checkpoint_path(db_settings)
    lines = path.read_text().splitlines()
    path.write_text(lines[1] + "\n")  # first checkpoint dropped
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert any("removed" in p for p in report.problems), report.problems
    path.write_text("\n".join(lines).replace('"rows": 7', '"rows": 6') + "\n")
    report = verify_audit_chain(session, settings=db_settings)
    assert any("signature invalid" in p for p in report.problems), report.problems


def test_paper_ledger_catches_a_full_rewrite(session: Session, db_settings: Settings) -> None:
    """Key, chain and checkpoint file all replaced: only the paper ledger remains."""
    _fill(session)
    cp = write_checkpoint(session, None, db_settings)
    assert cp is not None
    line = ledger_line(cp)
    assert f"row={cp.audit_id}" in line and cp.head_hash in line
    # the insider rewrites everything with a key of their own and re-anchors
    _insider(session)
    session.execute(text("DELETE FROM audit_log WHERE audit_id = :i"), {"i": cp.audit_id})
    victim = _ids(session)[0]
    session.execute(text("UPDATE audit_log SET note = 'x' WHERE audit_id = :i"), {"i": victim})
    session.commit()
    audit_key_path(db_settings).unlink()
    checkpoint_path(db_settings).unlink()
    new_key = load_audit_key(db_settings, create=True)
    _recompute_from(session, victim, new_key, SCHEME_HMAC)
    write_checkpoint(session, None, db_settings)
    assert verify_audit_chain(session, settings=db_settings).ok
    report = verify_audit_chain(session, settings=db_settings, ledger=[(cp.audit_id, cp.head_hash)])
    assert not report.ok
    assert any("paper ledger" in p for p in report.problems)


def test_legacy_rows_still_verify_and_cannot_be_downgraded(
    session: Session, db_settings: Settings
) -> None:
    """Rows of a database from before migration 0010 (plain SHA-256) verify; keyed rows
    follow them; rewriting keyed rows as plain SHA-256 is reported."""
    _fill(session, 3)
    _insider(session)
    _recompute_from(session, _ids(session)[0], None, SCHEME_SHA256)  # as 0002-era rows
    assert verify_audit_chain(session, settings=db_settings).ok
    _fill(session, 3, start=10)
    write_checkpoint(session, None, db_settings)
    rows = session.scalars(select(AuditLog).order_by(AuditLog.audit_id)).all()
    assert [r.hash_scheme for r in rows] == [1, 1, 1, 2, 2, 2, 2]
    report = verify_audit_chain(session, settings=db_settings)
    assert report.ok and report.keyed_rows == 4, report.problems
    # downgrade the newest keyed row only, then all keyed rows
    _recompute_from(session, rows[-1].audit_id, None, SCHEME_SHA256)
    assert not verify_audit_chain(session, settings=db_settings).ok
    _recompute_from(session, rows[3].audit_id, None, SCHEME_SHA256)
    report = verify_audit_chain(session, settings=db_settings)
    assert not report.ok
    assert any("downgraded" in p or "chain rewritten" in p for p in report.problems)


def test_checkpoint_signature_uses_a_derived_key(session: Session, db_settings: Settings) -> None:
    _fill(session, 2)
    write_checkpoint(session, None, db_settings)
    cps, bad = read_checkpoints(checkpoint_path(db_settings))
    assert not bad and len(cps) == 1
    key = load_audit_key(db_settings)
    assert key is not None
    import json

    body = json.dumps(cps[0].body(), sort_keys=True, separators=(",", ":"))
    assert hmac.new(key, body.encode(), hashlib.sha256).hexdigest() != cps[0].sig


def test_scheduled_job_anchors_only_when_rows_were_added(
    session: Session, db_settings: Settings
) -> None:
    from lantian.workflow.jobs import anchor_audit_chain

    _fill(session, 2)
    anchor_audit_chain(db_settings)
    anchor_audit_chain(db_settings)
    cps, _ = read_checkpoints(checkpoint_path(db_settings))
    assert len(cps) == 1
    _fill(session, 1, start=5)
    anchor_audit_chain(db_settings)
    cps, _ = read_checkpoints(checkpoint_path(db_settings))
    assert len(cps) == 2 and cps[1].prev_sig == cps[0].sig
    session.expire_all()
    assert verify_audit_chain(session, settings=db_settings).ok


def test_audit_key_from_the_environment(
    session: Session, db_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lantian.settings import get_settings

    monkeypatch.setenv("LANTIAN_AUDIT_KEY", "k" * 40)
    get_settings.cache_clear()
    settings = get_settings()
    _fill(session, 2)
    assert not audit_key_path(settings).exists()
    assert load_audit_key(settings) == b"k" * 40
    assert verify_audit_chain(session, settings=settings).ok
    monkeypatch.setenv("LANTIAN_AUDIT_KEY", "j" * 40)
    get_settings.cache_clear()
    assert not verify_audit_chain(session, settings=get_settings()).ok


def test_concurrent_checkpoints_keep_one_chain(session: Session, db_settings: Settings) -> None:
    """The web process's job and ``lantian audit anchor`` at once: checkpoints stay chained."""
    import threading

    _fill(session, 2)
    factory = session_factory(db_settings)
    errors: list[BaseException] = []

    def anchor() -> None:
        try:
            for _ in range(3):
                with factory() as s:
                    write_checkpoint(s, None, db_settings)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=anchor) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    report = verify_audit_chain(session, settings=db_settings)
    assert report.ok and report.checkpoints == 12, report.problems
