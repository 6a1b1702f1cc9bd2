"""Helpers for gateway tests: a registry in the test database, a gateway on port 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lantian.db.session import session_scope
from lantian.gateway.server import Gateway, GatewayConfig
from lantian.registry.models import Enterprise, Line, Meter, Outlet
from lantian.settings import Settings

OUTLETS = {"MN0001": ("P1", "123456"), "MN0002": ("P2", "secret")}
METERS = {("MNE001", "d20105"): "M1", ("MNE001", "d30106"): "M2"}
METER_PW = "123456"
"""PW of the electricity logger MNE001 (every device has one: issue 11)."""


def populate_registry(settings: Settings) -> None:
    """Two outlets and an electricity logger with two meters, each logger with a PW."""
    with session_scope(settings) as s:
        s.add(
            Enterprise(enterprise_id="E1", name="测试企业", credit_code="9" * 18, industry="steel")
        )
        s.flush()
        s.add(Line(line_id="L1", enterprise_id="E1", name="1#线"))
        s.flush()
        for mn, (oid, pw) in OUTLETS.items():
            s.add(Outlet(outlet_id=oid, enterprise_id="E1", name=oid, mn=mn, pw=pw, line_id="L1"))
        for (mn, code), mid in METERS.items():
            role = "production" if code.startswith("d2") else "treatment"
            s.add(
                Meter(
                    meter_id=mid,
                    enterprise_id="E1",
                    line_id="L1",
                    role=role,
                    name=mid,
                    mn=mn,
                    factor_code=code,
                    pw=METER_PW,
                )
            )


@asynccontextmanager
async def running(settings: Settings, **overrides: Any) -> AsyncIterator[Gateway]:
    """A gateway on a free loopback port (registry from the database)."""
    cfg = GatewayConfig(port=0, metrics_port=0, lake_interval=0.2, status_interval=0.2)
    for k, v in overrides.items():
        setattr(cfg, k, v)
    gw = Gateway(settings, cfg)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.shutdown()


async def read_frame(reader: asyncio.StreamReader, timeout: float = 3.0) -> bytes:
    """One answer line from the gateway."""
    return await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)


async def exchange(gw: Gateway, frames: list[bytes]) -> list[bytes | None]:
    """Send each frame on one connection and wait for its answer (``None`` when none comes
    within 0.5 s)."""
    r, w = await asyncio.open_connection("127.0.0.1", gw.port)
    answers: list[bytes | None] = []
    try:
        for frame in frames:
            w.write(frame)
            await w.drain()
            try:
                answers.append(await read_frame(r, 0.5))
            except TimeoutError:
                answers.append(None)
    finally:
        w.close()
    return answers
