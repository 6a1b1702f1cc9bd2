"""A live Lantian web server on 127.0.0.1 for the web adversary tests (uvicorn in a thread).

The server runs exactly as ``lantian serve`` configures uvicorn
(:func:`lantian.web.limits.uvicorn_options`: the header-timeout protocol, no proxy headers
from uvicorn itself), over the seeded SQLite database of the web tests.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from lantian.settings import Settings
from lantian.web.app import create_app
from lantian.web.limits import HeaderTimeoutH11Protocol, uvicorn_options

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Live:
    """A running server: its base URL, host and port."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def connect(self) -> socket.socket:
        """A raw TCP connection to the server (for slow clients)."""
        return socket.create_connection((self.host, self.port), timeout=5)


@contextmanager
def live_server(settings: Settings, header_timeout_s: float = 2.0) -> Iterator[Live]:
    """Run the app for ``settings`` on an ephemeral loopback port until the block ends."""
    app = create_app(settings)
    opts: dict[str, Any] = uvicorn_options(settings)
    proto = type("TestHeaderTimeout", (HeaderTimeoutH11Protocol,), {})
    proto.header_timeout_s = header_timeout_s
    opts["http"] = proto
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **opts)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Live("127.0.0.1", port)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Log in through the form (fetches the login page for the CSRF cookie and token)."""
    page = client.get("/login")
    m = CSRF_RE.search(page.text)
    assert m, "login page has no CSRF token"
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": m.group(1)},
        follow_redirects=False,
    )
