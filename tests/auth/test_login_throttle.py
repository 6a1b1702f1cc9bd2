"""Login throttling: per account and per address, exponential back-off, atomic checks.

Findings (issue 11, items 7 and 10): the lock-out was per account across addresses, so
anyone could lock out a named user; 30 parallel wrong passwords got 8 password checks
against a threshold of 5.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from tests.auth.conftest import PASSWORD

from lantian.auth import service as auth
from lantian.auth.errors import AuthenticationFailed, LockedOut
from lantian.db.session import session_factory
from lantian.settings import Settings
from lantian.timeutil import now_cst


def _fail(session: Session, user: str, ip: str, at: object) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(session, user, "wrong-password", ip, at)  # type: ignore[arg-type]


def test_a_stranger_cannot_lock_the_owner_out_of_a_known_address(session: Session) -> None:
    auth.create_user(session, None, "alice", PASSWORD, "admin")
    session.commit()
    t0 = now_cst()
    assert auth.authenticate(session, "alice", PASSWORD, "10.0.0.1", t0)
    session.commit()
    # wrong passwords from 10 other addresses (below the per-pair and per-address limits)
    # up to the account-wide limit; from then on the strangers are backed off
    for i in range(auth.MAX_FAILURES_PER_USER):
        _fail(session, "alice", f"192.0.2.{i % 10}", t0 + timedelta(seconds=1 + i / 10))
    with pytest.raises(LockedOut):
        auth.authenticate(session, "alice", "guess", "192.0.2.99", t0 + timedelta(seconds=5))
    at = t0 + timedelta(seconds=10)
    assert auth.authenticate(session, "alice", PASSWORD, "10.0.0.1", at).username == "alice"
    session.commit()
    # from an address the account never used, the account-wide back-off applies
    with pytest.raises(LockedOut):
        auth.authenticate(session, "alice", PASSWORD, "198.51.100.7", at)


def test_back_off_doubles_with_each_further_failure(session: Session) -> None:
    auth.create_user(session, None, "bob", PASSWORD, "admin")
    session.commit()
    t0 = now_cst()
    for i in range(auth.MAX_FAILURES):
        _fail(session, "bob", "10.0.0.2", t0 + timedelta(seconds=i))
    last = t0 + timedelta(seconds=auth.MAX_FAILURES - 1)
    base = auth.BACKOFF_BASE
    with pytest.raises(LockedOut) as exc:
        auth.authenticate(session, "bob", PASSWORD, "10.0.0.2", last + base - timedelta(seconds=1))
    assert exc.value.retry_after_s == 1
    _fail(session, "bob", "10.0.0.2", last + base + timedelta(seconds=1))  # allowed, wrong
    last = last + base + timedelta(seconds=1)
    with pytest.raises(LockedOut):  # now twice as long
        auth.authenticate(
            session, "bob", PASSWORD, "10.0.0.2", last + 2 * base - timedelta(seconds=1)
        )
    assert (
        auth.authenticate(session, "bob", PASSWORD, "10.0.0.2", last + 2 * base).username == "bob"
    )


def test_one_address_spraying_many_accounts_is_backed_off(session: Session) -> None:
    t0 = now_cst()
    for i in range(auth.MAX_FAILURES_PER_ADDRESS):
        _fail(session, f"user{i}", "10.6.6.6", t0 + timedelta(seconds=i))
    with pytest.raises(LockedOut):
        auth.authenticate(session, "someone-else", "x", "10.6.6.6", t0 + timedelta(seconds=25))
    # another address is not affected
    _fail(session, "someone-else", "10.6.6.7", t0 + timedelta(seconds=25))


def test_parallel_wrong_passwords_get_exactly_the_allowed_checks(
    db_settings: Settings, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.create_user(session, None, "carol", PASSWORD, "admin")
    session.commit()
    checks: list[int] = []
    lock = threading.Lock()
    real_verify = auth.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        with lock:
            checks.append(1)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    factory = session_factory(db_settings)
    outcomes: list[str] = []
    start = threading.Barrier(30)

    def attempt() -> None:
        s = factory()
        try:
            start.wait(timeout=30)
            auth.authenticate(s, "carol", "wrong-password", "10.0.0.9")
        except AuthenticationFailed:
            outcomes.append("failed")
        except LockedOut:
            outcomes.append("locked")
        finally:
            s.close()

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 30
    assert len(checks) == auth.MAX_FAILURES
    assert outcomes.count("failed") == auth.MAX_FAILURES
