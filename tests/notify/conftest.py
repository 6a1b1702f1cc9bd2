"""Fixtures of the notification tests: the workflow tests' test world, local receivers.

``world`` runs on SQLite only (the notification logic is not about the database);
``world_both`` runs on SQLite and PostgreSQL (the one parity test of the outbox).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.workflow.conftest import W, _cached_hash

from lantian.db.session import session_factory
from lantian.settings import Settings, get_settings


def _world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr("lantian.auth.service.hash_password", _cached_hash)
    session = session_factory(settings)()
    try:
        yield W.build_world(session)
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def world(lantian_home: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test world on SQLite."""
    get_settings.cache_clear()
    yield from _world(get_settings(), monkeypatch)


@pytest.fixture
def world_both(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test world on SQLite and PostgreSQL."""
    yield from _world(db_settings, monkeypatch)


@dataclass
class Received:
    """One request the local HTTP receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Receiver:
    """A local HTTP receiver on 127.0.0.1 answering ``status`` with ``answer``."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver (127.0.0.1, a free port) recording every POST."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            out = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """Messages a local aiosmtpd server received."""

    port: int
    messages: list[Any] = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting the messages it receives."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    box = Mailbox(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = message_from_bytes(envelope.content, policy=policy.default)
            box.messages.append((envelope.rcpt_tos, msg))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def free_port() -> int:
    """A port nothing listens on (bound and closed at once)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
