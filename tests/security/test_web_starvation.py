"""Adversary: slow and greedy clients against a live web server on 127.0.0.1.

Finding (issue 11, item 3): four connections sending ``POST /login`` bodies at 1 byte / 2 s
held all four request slots, and other users' pages timed out. Item 5: uploads were read
whole into memory before the size check, and 990 files in one request were accepted.
Every test is bounded (a few slow sockets, at most ~15 s).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest
from tests.security.web_live import live_server, login
from tests.web.conftest import PASSWORD, seed

import lantian.web.limits as limits
from lantian.settings import Settings, get_settings
from lantian.web.app import MAX_CONCURRENT_REQUESTS


@pytest.fixture
def settings(lantian_home: object) -> Settings:
    s = get_settings().model_copy(update={"http_body_timeout_s": 4.0})
    seed(s)
    return s


def _read_status(sock: socket.socket, timeout: float) -> str:
    """The status line the server sent, '' if it closed without one."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        return "timeout"
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def test_slow_login_bodies_do_not_hold_the_request_slots(settings: Settings) -> None:
    n_slow = MAX_CONCURRENT_REQUESTS + 2
    with live_server(settings) as live:
        socks = [live.connect() for _ in range(n_slow)]
        head = (
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n"
        )
        for s in socks:
            s.sendall(head + b"u")
        stop = threading.Event()

        def drip() -> None:  # 1 byte per second on every slow socket
            while not stop.wait(1.0):
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.sendall(b"x")

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        time.sleep(1.0)  # the slow bodies are in flight
        try:
            with httpx.Client(base_url=live.url, timeout=3.0) as user:
                assert login(user, "ts_city", PASSWORD).status_code == 303
                for _ in range(5):
                    t0 = time.monotonic()
                    r = user.get("/leads")
                    assert r.status_code == 200
                    assert time.monotonic() - t0 < 3.0
            # the slow bodies are cut: 408 after the body timeout (4 s) + grace
            statuses = [_read_status(s, timeout=8.0) for s in socks]
        finally:
            stop.set()
            dripper.join(timeout=3)
            for s in socks:
                s.close()
    assert all(" 408 " in st for st in statuses), statuses


def test_slow_request_heads_are_closed_and_pages_still_served(settings: Settings) -> None:
    with live_server(settings, header_timeout_s=1.5) as live:
        socks = [live.connect() for _ in range(MAX_CONCURRENT_REQUESTS + 2)]
        for s in socks:
            s.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.monotonic()
        closed = []
        try:
            for _ in range(4):  # keep dripping header lines (Slowloris)
                time.sleep(0.5)
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.sendall(b"X-Slow: 1\r\n")
            with httpx.Client(base_url=live.url, timeout=3.0) as user:
                assert user.get("/login").status_code == 200
            for s in socks:
                closed.append(_read_status(s, timeout=5.0))
        finally:
            for s in socks:
                s.close()
        elapsed = time.monotonic() - t0
    assert closed == [""] * len(socks)  # closed by the server, no response
    assert elapsed < 8.0


def test_an_announced_oversized_upload_is_refused_before_its_body(settings: Settings) -> None:
    with live_server(settings) as live:
        s = live.connect()
        try:
            s.sendall(
                b"POST /api/cases/1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=xx\r\n"
                b"Content-Length: 419430400\r\n\r\n"
            )
            status = _read_status(s, timeout=5.0)
        finally:
            s.close()
    assert " 413 " in status


def test_an_unannounced_oversized_upload_is_cut_while_reading(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_UPLOAD_REQUEST_BYTES", 2 * 1024 * 1024)
    with live_server(settings) as live:
        s = live.connect()
        sent = 0
        status = ""
        try:
            s.sendall(
                b"POST /api/cases/1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=xx\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"a" * 65536
            frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            try:
                for _ in range(400):  # up to 25 MiB, far beyond the limit
                    s.sendall(frame)
                    sent += len(chunk)
            except OSError:
                pass  # the server answered and closed
            status = _read_status(s, timeout=5.0)
        finally:
            s.close()
    assert " 413 " in status
    assert sent < 25 * 1024 * 1024 or status  # cut, not read to the end


def test_a_request_with_hundreds_of_parts_is_refused(settings: Settings) -> None:
    boundary = "b0undary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="f{i}.png"\r\nContent-Type: image/png\r\n\r\nx\r\n'
        for i in range(990)
    )
    body = (parts + f"--{boundary}--\r\n").encode()
    with live_server(settings) as live, httpx.Client(base_url=live.url, timeout=5) as c:
        r = c.post(
            "/api/cases/1/attachments",
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert r.status_code == 413
    assert "200" in r.json()["detail"]
