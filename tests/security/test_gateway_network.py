"""Adversary tests of the HJ 212 gateway's network side (issue 11, items 4, 9, 10).

Each test starts a live gateway on 127.0.0.1 (a free port), attacks it from 127.0.0.2 with
bounded counts and time, and checks that a real logger (127.0.0.1) is still served.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from gateway_live import (
    ATTACKER,
    LOGGER_MN,
    answer,
    closed,
    connect,
    frame,
    http_get,
    live_gateway,
    populate,
)
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.gateway.archive import iter_records
from lantian.gateway.server import Gateway, GatewayConfig
from lantian.settings import Settings, get_settings


@pytest.fixture
def settings(lantian_home: Path) -> Settings:
    s = get_settings()
    populate(s)
    return s


def _quarantine_bytes(gw: Gateway) -> int:
    return sum(p.stat().st_size for p in gw.quarantine.files())


def test_gateway_idle_sockets_of_one_address_leave_room_for_loggers(settings: Settings) -> None:
    """10,050 idle sockets from one address filled the connection cap; a logger got EOF."""

    async def main() -> None:
        async with live_gateway(
            settings, max_connections=40, max_conns_per_ip=10, first_frame_timeout=4.0
        ) as gw:
            idle = [await connect(gw.port, ATTACKER) for _ in range(30)]
            refused = await asyncio.gather(*(closed(r, 1.5) for r, _ in idle))
            assert refused.count(True) == 20  # only 10 from that address are kept
            assert gw.metrics.errors["ip_connections"] == 20
            r, w = await connect(gw.port)  # a real logger still gets in and is answered
            w.write(frame(LOGGER_MN))
            await w.drain()
            assert b"CN=9014" in await answer(r)
            # the idle ones are closed after the first-frame timeout; the logger stays
            kept = [r for (r, _), gone in zip(idle, refused, strict=True) if not gone]
            assert all(await asyncio.gather(*(closed(r, 8.0) for r in kept)))
            assert gw.metrics.errors["first_frame_timeout"] == 10
            w.write(frame(LOGGER_MN, 1))
            await w.drain()
            assert b"CN=9014" in await answer(r)
            w.close()
            for _, iw in idle:
                iw.close()

    asyncio.run(main())


def test_gateway_unknown_mn_flood_is_bounded_and_counted(settings: Settings) -> None:
    """20,000 fresh unknown MNs grew the archive by 86 MB and the list to 20,002 entries."""
    sent = 3000

    async def main() -> dict[str, Any]:
        async with live_gateway(
            settings, ip_max_unknown=500, quarantine_bytes=40_000, quarantine_mns=50
        ) as gw:
            r, w = await connect(gw.port, ATTACKER)
            for i in range(sent):
                w.write(frame(f"FAKE{i:06d}"))
                if i % 200 == 0:
                    await w.drain()
            await w.drain()
            assert await answer(r, 0.5) == b""  # nothing is answered
            lr, lw = await connect(gw.port)
            lw.write(frame(LOGGER_MN))
            await lw.drain()
            assert b"CN=9014" in await answer(lr)
            for _ in range(100):  # the quarantine area is written about once a second
                await asyncio.sleep(0.1)
                if gw.quarantine.records + gw.quarantine.dropped >= 500:
                    break
            kept, dropped = gw.quarantine.records, gw.quarantine.dropped
            status = gw.status()
            size = _quarantine_bytes(gw)
            w.close()
            lw.close()
            return {
                "status": status,
                "size": size,
                "errors": dict(gw.metrics.errors),
                "kept": kept,
                "dropped": dropped,
            }

    out = asyncio.run(main())
    area = out["status"]["quarantine_area"]
    # 500 frames of that address were taken; the rest were dropped and counted
    assert out["errors"]["ip_unknown_mn"] == sent - 500
    # of the 500, each was stored or dropped (buffer full), and counted
    assert out["kept"] + out["dropped"] == 500 and out["kept"] > 0
    assert area["dropped"] == sent - 500 + out["dropped"]
    # the area rotates within its size (plus one file being filled)
    assert out["size"] <= 40_000 + 5_000
    # the list is capped; MNs beyond the cap are counted
    assert len(out["status"]["quarantine"]) == 50
    assert area["unlisted"] == 450
    # the archive (the WAL) holds only the real logger's packet
    assert [rec["mn"] for _, rec in iter_records(settings.archive_dir)] == [LOGGER_MN]


def test_gateway_bytes_per_address_are_limited(settings: Settings) -> None:
    """One address cannot push more than its bytes per window; others are not slowed."""
    n = 100  # ~14 kB of valid packets of a registered MN in one write, budget 8 kB
    data = b"".join(frame(LOGGER_MN, m) for m in range(n))
    budget = 8_000

    async def main() -> tuple[int, int]:
        async with live_gateway(
            settings, ip_max_bytes=budget, ip_window=3.0, rate_per_mn=1000.0, rate_burst=1000.0
        ) as gw:
            r, w = await connect(gw.port, ATTACKER)
            w.write(data)
            await w.drain()
            for _ in range(50):
                await asyncio.sleep(0.05)
                if gw.metrics.errors["ip_bytes"]:
                    break
            await asyncio.sleep(0.3)
            # within the window only the frames inside the budget were taken
            taken = sum(gw.metrics.packets.values())
            lr, lw = await connect(gw.port)  # another address is served at once
            lw.write(frame(LOGGER_MN, 200))
            await lw.drain()
            assert b"CN=9014" in await answer(lr, 2.0)
            answers = 0  # after the window the rest is read: nothing lost
            while answers < n and await answer(r, 6.0):
                answers += 1
            w.close()
            lw.close()
            return taken, answers

    taken, answers = asyncio.run(main())
    assert taken == budget // len(frame(LOGGER_MN))
    assert answers == n


def test_gateway_disk_guard_refuses_and_recovers(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk stopped the gateway; now it stops taking data before, and resumes."""
    free = [10 << 30]

    async def main() -> None:
        async with live_gateway(settings, min_free_bytes=100 << 20, read_timeout=2.0) as gw:
            gw.free_bytes = lambda path: free[0]
            r, w = await connect(gw.port)
            w.write(frame(LOGGER_MN, 0))
            await w.drain()
            assert b"CN=9014" in await answer(r)
            free[0] = 50 << 20  # below the minimum (no real disk is filled)
            for _ in range(30):
                await asyncio.sleep(0.1)
                if gw.disk_low:
                    break
            assert gw.disk_low
            assert gw.status()["alarms"] == ["disk_low"]
            code, metrics = await http_get(gw.metrics_port or 0, "/metrics")
            assert code == 200 and "lantian_gateway_disk_low 1.0" in metrics
            nr, _ = await connect(gw.port)  # new connections are refused
            assert await closed(nr, 2.0)
            w.write(frame(LOGGER_MN, 1))  # not answered while it cannot be stored
            await w.drain()
            assert await answer(r, 1.5) == b""
            free[0] = 10 << 30  # space is back: the held packet is read, stored, answered
            assert b"CN=9014" in await answer(r, 3.0)
            assert not gw.disk_low and gw.status()["alarms"] == []
            nr2, nw2 = await connect(gw.port)
            nw2.write(frame(LOGGER_MN, 2))
            await nw2.drain()
            assert b"CN=9014" in await answer(nr2)
            assert not gw.failed
            w.close()
            nw2.close()

    with caplog.at_level(logging.WARNING, logger="lantian.gateway"):
        asyncio.run(main())
    assert any(
        rec.levelno == logging.CRITICAL and "disk space low" in rec.getMessage()
        for rec in caplog.records
    )
    assert [rec["data_time"][:12] for _, rec in iter_records(settings.archive_dir)] == [
        "202401080000",
        "202401080001",
        "202401080002",
    ]


def test_gateway_status_and_metrics_need_token_or_loopback(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/status (every MN, outlet, logger IP) was unauthenticated wherever the gateway bound."""

    async def main() -> list[int]:
        codes = []
        async with live_gateway(settings, status_token="s3cret-token") as gw:
            port = gw.metrics_port or 0
            for path in ("/status", "/metrics"):
                codes.append((await http_get(port, path))[0])
                codes.append((await http_get(port, path, "Authorization: Bearer nope\r\n"))[0])
                auth = "Authorization: Bearer s3cret-token\r\n"
                codes.append((await http_get(port, path, auth))[0])
        return codes

    assert asyncio.run(main()) == [401, 401, 200, 401, 401, 200]

    async def exposed() -> None:
        gw = Gateway(settings, GatewayConfig(port=0, metrics_port=0, metrics_host="0.0.0.0"))
        try:
            with pytest.raises(ValueError, match="LANTIAN_GATEWAY_STATUS_TOKEN"):
                await gw.start()
        finally:
            gw.archive.close()

    asyncio.run(exposed())
    # the CLI binds /status to loopback even when the gateway listens everywhere
    seen: dict[str, GatewayConfig] = {}
    monkeypatch.setattr(
        "lantian.gateway.server.run_gateway",
        lambda settings, config, **kw: seen.setdefault("config", config),
    )
    monkeypatch.setenv("LANTIAN_GATEWAY_HOST", "0.0.0.0")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["gateway"])
    assert result.exit_code == 0, result.output
    assert seen["config"].host == "0.0.0.0"
    assert seen["config"].metrics_host == "127.0.0.1"
    assert seen["config"].status_token is None


def test_gateway_mn_with_newlines_cannot_forge_log_lines(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An MN containing newlines/control characters forged log lines."""
    forged = "X\n2026-12-02 09:00:00 CRITICAL lantian.gateway archive verified OK\r\x1b[2J"

    async def main() -> dict[str, Any]:
        async with live_gateway(settings) as gw:
            _, w = await connect(gw.port, ATTACKER)
            w.write(frame(forged))
            await w.drain()
            for _ in range(30):
                await asyncio.sleep(0.1)
                if gw.metrics.errors["unknown_mn"]:
                    break
            w.close()
            _, body = await http_get(gw.metrics_port or 0, "/status")
            return dict(json.loads(body))

    with caplog.at_level(logging.WARNING, logger="lantian.gateway"):
        status = asyncio.run(main())
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "lantian.gateway"]
    assert any("unknown_mn" in line for line in lines)
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line
    listed = [row["mn"] for row in status["quarantine"]]
    assert listed == [
        "X\\x0a2026-12-02 09:00:00 CRITICAL lantian.gateway archive verified OK\\x0d\\x1b[2J"
    ]
    result = CliRunner().invoke(app, ["gateway", "quarantine"])
    assert result.exit_code == 0 and "\x1b[2J" not in result.stdout
