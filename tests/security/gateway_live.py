"""A live HJ 212 gateway on 127.0.0.1 for the gateway adversary tests (port 0: a free one).

Attackers connect from another loopback address (``127.0.0.2``, bound as the source of
the socket) so that the per-address limits can be told apart from a real logger's
connection from ``127.0.0.1``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lantian.db.session import session_scope
from lantian.gateway.server import Gateway, GatewayConfig
from lantian.protocol.hj212.crc import crc16_hj212
from lantian.registry.models import Enterprise, Outlet
from lantian.settings import Settings

ATTACKER = "127.0.0.2"
LOGGER_MN = "MNSEC001"


def populate(settings: Settings) -> None:
    """One enterprise with one outlet (MN ``MNSEC001``, PW ``123456`` as the frames send)."""
    settings.ensure_home()
    with session_scope(settings) as s:
        s.add(Enterprise(enterprise_id="E1", name="测试", credit_code="9" * 18, industry="steel"))
        s.flush()
        s.add(Outlet(outlet_id="P1", enterprise_id="E1", name="P1", mn=LOGGER_MN, pw="123456"))


@asynccontextmanager
async def live_gateway(settings: Settings, **overrides: Any) -> AsyncIterator[Gateway]:
    """A gateway (no lake feeder) on a free loopback port, with ``overrides`` of its config."""
    cfg = GatewayConfig(port=0, metrics_port=0, lake=False, status_interval=0.2)
    for key, value in overrides.items():
        setattr(cfg, key, value)
    gw = Gateway(settings, cfg)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.shutdown()


def frame(mn: str, minute: int = 0, *, qn: str = "20240108000000000") -> bytes:
    """A CN 2051 upload of ``mn`` asking for an answer (any MN text, CRC computed)."""
    hhmm = f"{minute // 60 % 10}{minute % 60:02d}"
    data = (
        f"QN={qn};ST=31;CN=2051;PW=123456;MN={mn};Flag=5;"
        f"CP=&&DataTime=202401080{hhmm}00;a21026-Avg=1.5,a21026-Flag=N&&"
    )
    raw = data.encode()
    return b"##%04d%s%04X\r\n" % (len(raw), raw, crc16_hj212(raw))


async def connect(
    port: int, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the gateway from ``source`` (a loopback address)."""
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def answer(reader: asyncio.StreamReader, timeout: float = 3.0) -> bytes:
    """The next answer line, or ``b""`` when none came in time or the connection closed."""
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    except (ConnectionError, TimeoutError):
        return b""


async def closed(reader: asyncio.StreamReader, timeout: float = 3.0) -> bool:
    """True when the gateway closes (or resets) the connection within ``timeout``."""
    try:
        return await asyncio.wait_for(reader.read(), timeout) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False


async def http_get(port: int, path: str, headers: str = "") -> tuple[int, str]:
    """``GET path`` on the metrics port: (status code, body)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
    await w.drain()
    text = (await asyncio.wait_for(r.read(), 5)).decode()
    w.close()
    head, _, body = text.partition("\r\n\r\n")
    return int(head.split()[1]), body
