"""Gateway interop (issue 11, item 11): unpadded length fields and the byte-swapped
CRC-16/MODBUS as a per-device ``crc`` kind, on the hot path and in the lake feeder."""

from __future__ import annotations

import asyncio
import json

import pytest
from gwtools import read_frame, running
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.gateway.fastpath import UNPADDED, Framer, crc16_modbus_swapped
from lantian.gateway.registry import load_registry
from lantian.lake import Lake
from lantian.protocol.hj212 import Framer as LibraryFramer
from lantian.protocol.hj212 import crc16_modbus, parse_packet
from lantian.protocol.hj212.packet import build_packet
from lantian.registry.models import Outlet
from lantian.settings import Settings


def hourly(mn: str, hour: int, value: float, **options: object) -> bytes:
    cp = f"DataTime=202401080{hour}0000;a21026-Avg={value},a21026-Flag=N;a34013-Avg=2.5"
    return build_packet("31", "2061", mn, cp, ack=True, **options)  # type: ignore[arg-type]


def unpadded(frame: bytes) -> bytes:
    """``frame`` with its length field written without leading zeros (``##150QN=…``)."""
    assert frame[2:6].startswith(b"0")
    return b"##%d" % int(frame[2:6]) + frame[6:]


def swapped(frame: bytes) -> bytes:
    """``frame`` (with CRC-16/MODBUS) with the two CRC bytes swapped (low byte first)."""
    crc = frame[-6:-2]
    assert crc[:2] != crc[2:], "a palindromic CRC would not tell the forms apart"
    return frame[:-6] + crc[2:] + crc[:2] + b"\r\n"


def _set_crc(settings: Settings, mn: str, crc: str | None) -> None:
    with session_scope(settings) as s:
        s.query(Outlet).filter_by(mn=mn).one().crc = crc


def test_swapped_check_is_the_byte_swapped_modbus() -> None:
    frame = hourly("MN1", 1, 5.0, crc="modbus")
    data = frame[6:-6]
    assert crc16_modbus_swapped(data) == int(swapped(frame)[-6:-2], 16)
    assert parse_packet(swapped(frame), crc="modbus_swapped").crc_ok
    assert crc16_modbus_swapped(data) != crc16_modbus(data)


def test_framer_reads_unpadded_length_fields_like_the_library() -> None:
    frames = [unpadded(hourly("MN0001", h, 1.0 + h)) for h in range(3)]
    stream = frames[0] + frames[1][:-2] + frames[2]  # the second without CR LF
    framer = Framer()
    got, problems = [], []
    for i in range(0, len(stream), 7):  # small chunks split the length field too
        out, found, fatal = framer.feed(stream[i : i + 7])
        assert fatal is None
        got += out
        problems += found
    assert [(raw, ok) for _, ok, raw in got] == [(f[:-2], True) for f in frames]
    assert [data for data, _, _ in got] == [f[5:-6] for f in frames]
    assert [kind for kind, _ in problems] == [UNPADDED] * 3
    assert framer.buffered == 0
    # the same frames as the protocol library's framer
    library = [f.raw for f in LibraryFramer().feed(stream)]  # type: ignore[union-attr]
    assert library == [raw for _, _, raw in got]


@pytest.mark.parametrize(
    "bad",
    [
        b"##87xN=1;CN=2061&&1C80\r\n",  # digits not followed by a header field
        b"##08x;QN=1;CN=2061&&1C80\r\n",  # a non-digit in the length field
    ],
)
def test_framer_still_refuses_other_length_fields(bad: bytes) -> None:
    good = hourly("MN0001", 1, 5.0)
    frames, problems, fatal = Framer().feed(bad + good)
    assert fatal is None and [raw for _, _, raw in frames] == [good[:-2]]
    assert problems and all(kind == "malformed" for kind, _ in problems)


def test_unpadded_frame_answered_stored_and_counted(settings: Settings) -> None:
    async def main() -> tuple[dict[str, int], dict[str, int], str]:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(unpadded(hourly("MN0001", 1, 15.0)))
            await w.drain()
            ack = await read_frame(r)
            assert b"CN=9014" in ack and b"MN=MN0001" in ack
            assert ack[2:6].isdigit()  # our answer has the standard 4-digit field
            assert parse_packet(ack).crc_ok
            w.write(hourly("MN0001", 2, 16.0))  # the padded form on the same connection
            await w.drain()
            assert b"CN=9014" in await read_frame(r)
            w.close()
            return dict(gw.metrics.errors), dict(gw.metrics.deviations), gw.metrics.render()

    errors, deviations, text = asyncio.run(main())
    assert "malformed" not in errors
    assert deviations == {UNPADDED: 1}
    assert f'lantian_gateway_deviations_total{{kind="{UNPADDED}"}} 1' in text
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    so2 = sorted(r["value"] for r in rows if r["pollutant"] == "a21026")
    assert so2 == [15.0, 16.0]


def test_registry_reads_modbus_swapped(settings: Settings) -> None:
    _set_crc(settings, "MN0001", "modbus_swapped")
    _set_crc(settings, "MN0002", "MODBUS")
    snap = load_registry(settings)
    assert snap.crc_kind("MN0001") == "modbus_swapped"
    assert snap.crc_kind("MN0002") == "modbus"
    _set_crc(settings, "MN0002", "modbus-swapped")  # not a kind: warned, the default
    assert load_registry(settings).crc_kind("MN0002") == "hj212"


def test_modbus_swapped_device_answered_with_its_crc_and_stored(settings: Settings) -> None:
    _set_crc(settings, "MN0001", "modbus_swapped")

    async def main() -> dict[str, int]:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(swapped(hourly("MN0001", 1, 5.0, crc="modbus")))
            await w.drain()
            ack = await read_frame(r)
            assert b"CN=9014" in ack
            # the answer carries the swapped check, as that logger expects
            swapped_ack = parse_packet(ack, crc="modbus_swapped")
            assert swapped_ack.crc_ok
            # a check whose two bytes are equal (e.g. 0x5454, 1 answer in 256: the QN
            # is the clock) reads the same either way round
            if swapped_ack.crc >> 8 != swapped_ack.crc & 0xFF:
                assert not parse_packet(ack, crc="modbus").crc_ok
            assert not parse_packet(ack, crc="hj212").crc_ok
            # this device's plain MODBUS or HJ 212 checks are wrong: not answered
            for frame in (hourly("MN0001", 2, 6.0, crc="modbus"), hourly("MN0001", 3, 7.0)):
                w.write(frame)
                await w.drain()
                with pytest.raises(TimeoutError):
                    await read_frame(r, 0.5)
            # a normal device's swapped-CRC frame is still refused
            w.write(swapped(hourly("MN0002", 1, 8.0, pw="secret", crc="modbus")))
            await w.drain()
            with pytest.raises(TimeoutError):
                await read_frame(r, 0.5)
            w.write(hourly("MN0002", 2, 9.0, pw="secret"))
            await w.drain()
            assert parse_packet(await read_frame(r)).crc_ok
            w.close()
            return dict(gw.metrics.errors)

    errors = asyncio.run(main())
    assert errors["crc"] == 3
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    so2 = {(r["outlet_id"], r["value"]) for r in rows if r["pollutant"] == "a21026"}
    assert so2 == {("P1", 5.0), ("P2", 9.0)}


def test_swapped_crc_frames_of_unknown_mns_ingested_after_registration(
    settings: Settings,
) -> None:
    async def main() -> dict[str, int]:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(swapped(hourly("MNSWAP", 1, 71.0, crc="modbus")))
            await w.drain()
            with pytest.raises(TimeoutError):
                await read_frame(r, 0.5)
            w.close()
            return dict(gw.metrics.errors)

    errors = asyncio.run(main())
    assert errors.get("crc", 0) == 0 and errors["unknown_mn"] == 1  # kept, not dropped
    with session_scope(settings) as s:
        s.add(
            Outlet(
                outlet_id="PS",
                enterprise_id="E1",
                name="PS",
                mn="MNSWAP",
                crc="modbus_swapped",
                pw="123456",
            )
        )
    result = CliRunner().invoke(app, ["gateway", "quarantine", "--ingest", "MNSWAP", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["records"], out["decoded"]) == (1, 1)
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    assert {(r["outlet_id"], r["value"]) for r in rows if r["pollutant"] == "a21026"} == {
        ("PS", 71.0)
    }
