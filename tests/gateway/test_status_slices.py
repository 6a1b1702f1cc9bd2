"""The periodic status of a city's loggers is built in slices between the gateway's answers."""

from __future__ import annotations

import asyncio
import json

from lantian.gateway.registry import RegistrySnapshot
from lantian.gateway.server import STATUS_SLICE, Gateway, GatewayConfig
from lantian.settings import get_settings


def test_sliced_status_equals_the_plain_one_and_yields_between_slices() -> None:
    n = 5 * STATUS_SLICE + 7
    registry = RegistrySnapshot(
        passwords={f"MN{i:06d}".encode(): b"123456" for i in range(n)},
        outlets={f"MN{i:06d}": f"P{i}" for i in range(n)},
    )
    gw = Gateway(get_settings(), GatewayConfig(port=0, metrics_port=None, lake=False), registry)
    for i in range(0, n, 3):
        gw.book.seen(f"MN{i:06d}", 1_704_643_200.0 + i, b"2061", b"20240108000000")
    gw.book.quarantine("FAKE\nMN", "unknown_mn", "127.0.0.2:1", 1_704_643_200.0, 1)

    ticks = 0

    async def other_work() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> None:
        task = asyncio.create_task(other_work())
        await asyncio.sleep(0)
        before = ticks
        await gw._write_status_sliced(asyncio.get_running_loop())
        # the answers (here: another task) ran between the slices, not only after the build
        assert ticks - before >= n // STATUS_SLICE
        task.cancel()

    asyncio.run(main())
    sliced = {
        name: json.loads((gw.home / name).read_text(encoding="utf-8"))
        for name in ("status.json", "quarantine.json")
    }
    gw.write_status()
    plain = {
        name: json.loads((gw.home / name).read_text(encoding="utf-8"))
        for name in ("status.json", "quarantine.json")
    }
    assert len(sliced["status.json"]) == n
    for rows in (sliced["status.json"], plain["status.json"]):
        for row in rows:
            row.pop("online")  # depends on the clock at the moment of writing
    assert sliced == plain
