"""The gateway on loopback: answers only after storage, quarantine, protection, recovery."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gwtools import read_frame, running
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.gateway.archive import iter_quarantine, iter_records, verify_archive
from lantian.lake import Lake
from lantian.protocol.hj212.packet import build_packet
from lantian.registry.models import Outlet
from lantian.settings import Settings
from lantian.timeutil import CST


def hourly(mn: str, hour: int, value: float, *, pw: str = "123456", qn: str | None = None) -> bytes:
    cp = (
        f"DataTime=202401080{hour}0000;a21026-Avg={value},a21026-ZsAvg={value * 2},"
        f"a21026-Min=1,a21026-Max=9,a21026-Flag=N;a34013-Avg=3.5,a34013-Flag=D"
    )
    return build_packet("31", "2061", mn, cp, pw=pw, ack=True, qn=qn)


def test_ack_after_storage_lake_and_status(settings: Settings) -> None:
    async def main() -> None:
        async with running(settings) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            for h in range(3):
                w.write(hourly("MN0001", h, 10.0 + h))
                await w.drain()
                ack = await read_frame(r)
                assert b"CN=9014" in ack and b"MN=MN0001" in ack
                # the answer is sent only once the record is durable in the archive
                assert gw.archive.durable_seq >= h + 1
            electricity = build_packet(
                "44",
                "2011",
                "MNE001",
                "DataTime=20240108000500;d20105-Rtd=120.5,d20105-Flag=N;d30106-Rtd=0.4,d30106-Flag=N",
                version="2025",
                ack=True,
            )
            w.write(electricity)
            await w.drain()
            assert b"Flag=8" in await read_frame(r)
            w.close()

    asyncio.run(main())
    lake = Lake(settings.lake_dir)
    hourly_rows = lake.read("cems_hourly").to_pylist()
    assert len(hourly_rows) == 6
    so2 = sorted((r for r in hourly_rows if r["pollutant"] == "a21026"), key=lambda r: r["time"])
    assert [r["value"] for r in so2] == [10.0, 11.0, 12.0]
    assert so2[0]["zs_value"] == 20.0 and so2[0]["min"] == 1.0 and so2[0]["flag"] == "N"
    assert {r["flag"] for r in hourly_rows if r["pollutant"] == "a34013"} == {"D"}
    power = {r["meter_id"]: r["kw"] for r in lake.read("power").to_pylist()}
    assert power == {"M1": 120.5, "M2": 0.4}
    status = json.loads((settings.resolved_home / "gateway" / "status.json").read_text())
    row = next(r for r in status if r["mn"] == "MN0001")
    assert row["packets"] == 3 and row["last_data_time"] == "20240108020000"
    assert verify_archive(settings.archive_dir).ok


def test_unknown_mn_bad_pw_and_bad_crc_are_not_answered(settings: Settings) -> None:
    async def main() -> dict[str, int]:
        async with running(settings) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            bad_crc = bytearray(hourly("MN0001", 1, 5.0))
            bad_crc[-4] = ord("F") if bad_crc[-4] != ord("F") else ord("E")
            for frame in (
                hourly("MNUNKNOWN", 1, 5.0),
                hourly("MN0002", 1, 5.0, pw="wrong"),
                bytes(bad_crc),
            ):
                w.write(frame)
                await w.drain()
                with pytest.raises(TimeoutError):
                    await read_frame(r, 0.5)
            w.write(hourly("MN0002", 1, 5.0, pw="secret"))  # right PW: answered
            await w.drain()
            assert b"MN=MN0002" in await read_frame(r)
            w.close()
            return dict(gw.metrics.errors)

    errors = asyncio.run(main())
    assert errors["unknown_mn"] == 1 and errors["bad_pw"] == 1 and errors["crc"] == 1
    records = [rec for _, rec in iter_records(settings.archive_dir)]
    assert [rec["status"] for rec in records] == ["bad_pw", "ok"]
    # an unknown MN is kept in the quarantine area, not in the archive (the WAL)
    kept = list(iter_quarantine(settings.resolved_home / "gateway" / "quarantine"))
    assert [rec["status"] for rec in kept] == ["unknown_mn"]
    assert kept[0]["raw"].startswith("##") and kept[0]["mn"] == "MNUNKNOWN"
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    assert {r["outlet_id"] for r in rows} == {"P2"}
    result = CliRunner().invoke(app, ["gateway", "quarantine", "--json"])
    assert result.exit_code == 0, result.output
    listed = {r["mn"]: r["reason"] for r in json.loads(result.stdout)}
    assert listed == {"MNUNKNOWN": "unknown_mn", "MN0002": "bad_pw"}


def test_resend_replaces_and_registry_reload(settings: Settings) -> None:
    async def main() -> None:
        async with running(settings, registry_reload=0.2) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 4, 1.0))
            w.write(hourly("MN0001", 4, 2.0))  # same key, no RF: kept aside, 1.0 stays
            await w.drain()
            await read_frame(r)
            await read_frame(r)
            resent = build_packet(
                "31",
                "2061",
                "MN0001",
                "DataTime=20240108040000;a21026-Avg=3,a21026-Flag=N",
                version="2025",
                rf=True,
                ack=True,
            )
            w.write(resent)
            await w.drain()
            await read_frame(r)
            # a new outlet registered while running is accepted after the reload
            with session_scope(settings) as s:
                s.add(
                    Outlet(outlet_id="P9", enterprise_id="E1", name="P9", mn="MN0009", pw="123456")
                )
            await asyncio.sleep(0.6)
            w.write(hourly("MN0009", 1, 7.0))
            await w.drain()
            assert b"MN=MN0009" in await read_frame(r)
            w.close()

    asyncio.run(main())
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    so2 = [r for r in rows if r["outlet_id"] == "P1" and r["pollutant"] == "a21026"]
    assert len(so2) == 1 and so2[0]["value"] == 3.0  # the authenticated RF=1 resend
    assert any(r["outlet_id"] == "P9" for r in rows)


def test_slowloris_oversize_and_max_connections(settings: Settings) -> None:
    async def main() -> dict[str, int]:
        async with running(settings, read_timeout=0.4, max_connections=3) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 1, 1.0)[:20])  # a frame that never completes
            await w.drain()
            t0 = time.monotonic()
            assert await asyncio.wait_for(r.read(), 5) == b""  # closed by the gateway
            assert time.monotonic() - t0 < 3
            r2, w2 = await asyncio.open_connection("127.0.0.1", gw.port)
            w2.write(b"##9000" + b"x" * 100)
            await w2.drain()
            assert await asyncio.wait_for(r2.read(), 5) == b""
            conns = [await asyncio.open_connection("127.0.0.1", gw.port) for _ in range(5)]
            await asyncio.sleep(0.3)
            assert len(gw.conns) == 3
            for _, cw in conns:
                cw.close()
            return dict(gw.metrics.errors)

    errors = asyncio.run(main())
    assert errors["read_timeout"] == 1
    assert errors["oversize"] == 1
    assert errors["max_connections"] == 2


def test_rate_limit_per_mn(settings: Settings) -> None:
    async def main() -> tuple[int, int]:
        async with running(settings, rate_per_mn=1.0, rate_burst=3.0) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            for h in range(6):
                w.write(hourly("MN0001", h, 1.0))
            await w.drain()
            acks = 0
            try:
                while True:
                    await read_frame(r, 0.5)
                    acks += 1
            except TimeoutError:
                pass
            w.close()
            return acks, gw.metrics.errors["rate_limited"]

    acks, limited = asyncio.run(main())
    assert acks == 3 and limited == 3


def test_graceful_shutdown_answers_everything_received(settings: Settings) -> None:
    async def main() -> int:
        gw_cm = running(settings)
        gw = await gw_cm.__aenter__()
        r, w = await asyncio.open_connection("127.0.0.1", gw.port)
        n = 200
        for i in range(n):
            w.write(
                build_packet(
                    "31",
                    "2011",
                    "MN0001",
                    f"DataTime=2024010812{i // 60:02d}{i % 60:02d};a21026-Rtd={i}",
                    ack=True,
                )
            )
        await w.drain()
        await asyncio.sleep(0.05)
        await gw.shutdown()
        data = await asyncio.wait_for(r.read(), 5)
        await gw_cm.__aexit__(None, None, None)
        return data.count(b"CN=9014")

    acked = asyncio.run(main())
    archived = sum(1 for _ in iter_records(settings.archive_dir))
    assert acked == archived == 200
    assert len(Lake(settings.lake_dir).read("cems_realtime")) == 200


def test_archive_tamper_detection_and_export(settings: Settings, tmp_path: Path) -> None:
    async def main() -> None:
        async with running(settings) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            for h in range(5):
                w.write(hourly("MN0001", h, float(h)))
                await w.drain()
                await read_frame(r)
            w.close()

    asyncio.run(main())
    runner = CliRunner()
    ok = runner.invoke(app, ["archive", "verify"])
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "export.jsonl"
    exported = runner.invoke(app, ["archive", "export", "--out", str(out), "--mn", "MN0001"])
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 5
    assert {"mn", "qn", "st", "cn", "data_time", "received_at", "raw"} <= set(rows[0])
    assert rows[2]["data_time"] == "20240108020000"
    (segment,) = sorted(settings.archive_dir.glob("hj212-*.jsonl"))
    original = segment.read_bytes()
    lines = original.splitlines(keepends=True)
    # 1. change one value inside a raw packet
    segment.write_bytes(
        b"".join([*lines[:2], lines[2].replace(b"a21026-Avg=2.0", b"a21026-Avg=0.2"), *lines[3:]])
    )
    bad = runner.invoke(app, ["archive", "verify"])
    assert bad.exit_code == 1 and "line 3" in bad.output and "seq 3" not in bad.output
    # 2. delete a record
    segment.write_bytes(b"".join(lines[:1] + lines[2:]))
    result = verify_archive(settings.archive_dir)
    assert not result.ok and result.line == 2 and result.seq == 3
    # 3. reorder two records
    segment.write_bytes(b"".join([lines[0], lines[2], lines[1], *lines[3:]]))
    assert not verify_archive(settings.archive_dir).ok
    # 4. cut the last record off: HEAD still names it
    segment.write_bytes(b"".join(lines[:-1]))
    result = verify_archive(settings.archive_dir)
    assert not result.ok and "cut off" in result.problem
    segment.write_bytes(original)
    assert verify_archive(settings.archive_dir).ok


def _start_gateway(home: Path, ready: Path) -> subprocess.Popen[bytes]:
    ready.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from lantian.cli.main import app; app()",
            "gateway",
            "--port",
            "0",
            "--metrics-port",
            "-1",
            "--ready-file",
            str(ready),
        ],
        env={**os.environ, "LANTIAN_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("gateway did not start")
        time.sleep(0.05)
    return proc


async def _load(port: int, acked: list[str], stop: asyncio.Event, loggers: int) -> None:
    async def one(k: int) -> None:
        mn = "MN0001" if k % 2 == 0 else "MN0002"
        pw = "123456" if mn == "MN0001" else "secret"
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            i = 0
            while not stop.is_set():
                i += 1
                minute = k * 10_000 + i  # unique DataTime per packet
                dt = f"20240108{minute // 3600 % 24:02d}{minute // 60 % 60:02d}{minute % 60:02d}"
                day = 10 + minute // 86400
                dt = f"202401{day:02d}{dt[8:]}"
                w.write(
                    build_packet("31", "2011", mn, f"DataTime={dt};a21026-Rtd={i}", pw=pw, ack=True)
                )
                await w.drain()
                await asyncio.wait_for(r.readuntil(b"\r\n"), 5)
                acked.append(f"{mn}|{dt}")
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            return

    await asyncio.gather(*(one(k) for k in range(loggers)))


@pytest.mark.slow
def test_crash_recovery_kill_9_under_load(settings: Settings, tmp_path: Path) -> None:
    home = settings.resolved_home
    ready = tmp_path / "ready.json"
    proc = _start_gateway(home, ready)
    port = json.loads(ready.read_text())["port"]
    acked: list[str] = []

    async def drive() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(_load(port, acked, stop, 20))
        await asyncio.sleep(2.0)
        os.kill(proc.pid, signal.SIGKILL)  # crash under load
        await asyncio.sleep(0.3)
        stop.set()
        await task

    asyncio.run(drive())
    proc.wait()
    assert len(acked) > 100
    # restart: the archive tail not yet in the lake is replayed, then stop gracefully
    proc = _start_gateway(home, ready)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert verify_archive(settings.archive_dir).ok
    archived = [f"{rec['mn']}|{rec['data_time']}" for _, rec in iter_records(settings.archive_dir)]
    assert set(acked) <= set(archived)
    assert len(archived) == len(set(archived))  # nothing doubled in the archive
    rows = Lake(settings.lake_dir).read("cems_realtime").to_pylist()
    mn_of = {"P1": "MN0001", "P2": "MN0002"}
    in_lake = [
        f"{mn_of[r['outlet_id']]}|{r['time'].astimezone(CST).strftime('%Y%m%d%H%M%S')}"
        for r in rows
    ]
    assert set(acked) <= set(in_lake)
    assert len(in_lake) == len(set(in_lake)) == len(set(archived))  # none lost, none doubled


def test_archive_write_failure_stops_without_answering(settings: Settings) -> None:
    async def main() -> None:
        async with running(settings) as gw:

            def broken(batch: object) -> object:
                raise OSError(28, "No space left on device")

            gw.archive.write = broken  # type: ignore[method-assign,assignment]
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 1, 1.0))
            await w.drain()
            data = await asyncio.wait_for(r.read(), 5)
            assert b"CN=9014" not in data  # closed, never answered
            await asyncio.wait_for(gw.wait_closed(), 30)
            assert gw.failed and gw.metrics.errors["archive_write"] == 1
            with pytest.raises(OSError):
                await asyncio.open_connection("127.0.0.1", gw.port)

    asyncio.run(main())


def test_metrics_and_status_over_http(settings: Settings) -> None:
    async def main() -> tuple[str, str]:
        async with running(settings) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 1, 1.0))
            w.write(b"##00XXgarbage")
            await w.drain()
            await read_frame(r)
            out = []
            for path in ("/metrics", "/status"):
                mr, mw = await asyncio.open_connection("127.0.0.1", gw.metrics_port)
                mw.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                await mw.drain()
                out.append((await asyncio.wait_for(mr.read(), 5)).decode())
            w.close()
            return out[0], out[1]

    metrics, status = asyncio.run(main())
    assert metrics.startswith("HTTP/1.1 200")
    assert 'lantian_gateway_packets_total{cn="2061"} 1' in metrics
    assert 'lantian_gateway_errors_total{kind="malformed"}' in metrics
    assert "lantian_gateway_ack_latency_seconds_count 1" in metrics
    assert "lantian_gateway_loggers_connected 1.0" in metrics
    body = json.loads(status.split("\r\n\r\n", 1)[1])
    assert any(row["mn"] == "MN0001" and row["connected"] for row in body["loggers"])


def test_lake_feeder_process_is_restarted(settings: Settings) -> None:
    async def main() -> None:
        async with running(settings) as gw:
            proc = gw._feeder_proc
            assert proc is not None
            proc.kill()
            for _ in range(100):
                await asyncio.sleep(0.1)
                if gw._feeder_proc is not proc:
                    break
            assert gw._feeder_proc is not proc
            assert gw.metrics.errors["lake_feeder_exit"] == 1
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 3, 4.0))
            await w.drain()
            await read_frame(r)
            for _ in range(600):  # the new feeder (a fresh process: seconds of imports on a
                await asyncio.sleep(0.1)  # busy machine) moves it into the lake
                if gw._lake_lag() == 0:
                    break
            assert gw._lake_lag() == 0
            w.close()

    asyncio.run(main())
    assert len(Lake(settings.lake_dir).read("cems_hourly")) == 2
