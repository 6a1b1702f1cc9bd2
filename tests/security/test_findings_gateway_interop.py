"""Adversary: other implementations' real traffic sent to a live gateway (issue 11, item 11).

Each test starts the gateway with its lake feeder on a free loopback port over the test
registry (``tests/gateway/gwtools.py``: MN0001 PW 123456, MN0002 PW ``secret``, the
electricity logger MNE001), sends a few frames in the forms the review collected from
other HJ 212 implementations and checks what was answered, archived and stored in the lake.
The protocol library's own tests (``tests/protocol/test_hj212_interop.py``) cover the
decoder; these check that the gateway, the archive and the lake keep what it decodes.
Bounded: a handful of frames, 0.5 s per answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.gateway.gwtools import exchange, populate_registry, running

from lantian.db.session import session_scope
from lantian.gateway.archive import iter_records
from lantian.gateway.lakefeed import record_raw
from lantian.lake import Lake
from lantian.protocol.hj212.crc import crc16_hj212, crc16_modbus
from lantian.protocol.hj212.packet import PacketError, build_packet, parse_packet
from lantian.registry.models import Meter, Outlet
from lantian.settings import Settings, get_settings

PW = "123456"


@pytest.fixture
def settings(lantian_home: Path) -> Iterator[Settings]:
    s = get_settings()
    s.ensure_home()
    populate_registry(s)
    yield s


def hourly(when: str, so2: float, *, mn: str = "MN0001", pw: str = PW, **kw: Any) -> bytes:
    cp = f"DataTime={when};a21026-Avg={so2},a21026-Flag=N"
    return build_packet("31", "2061", mn, cp, pw=pw, ack=True, **kw)


def segment(frame: bytes) -> bytes:
    """The data segment of a frame ``##dddd<segment>CCCC\\r\\n``."""
    return frame[6:-6]


def run(settings: Settings, frames: list[bytes]) -> tuple[list[bytes | None], dict[str, Any]]:
    """Send each frame on one connection, wait up to 0.5 s for its answer; the metrics."""

    async def main() -> tuple[list[bytes | None], dict[str, Any]]:
        async with running(settings, lake_mode="thread") as gw:
            answers = await exchange(gw, frames)
            return answers, {"errors": dict(gw.metrics.errors)}

    return asyncio.run(main())


def so2_in_lake(settings: Settings) -> dict[str, float]:
    """``{outlet_id: SO2 value}`` of the hourly rows (one hour per test)."""
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    return {r["outlet_id"]: r["value"] for r in rows if r["pollutant"] == "a21026"}


def archived(settings: Settings) -> list[dict[str, Any]]:
    return [rec for _, rec in iter_records(settings.archive_dir)]


def test_findings_a_unpadded_length_field_is_answered_and_stored(settings: Settings) -> None:
    """(a) ``##087QN=…``: a 3-digit length written unpadded, valid CRC, was a hard error."""
    data = segment(hourly("20240108010000", 16.0))
    assert len(data) < 1000
    frame = b"##%03d%s%04X\r\n" % (len(data), data, crc16_hj212(data))
    answers, _ = run(settings, [frame])
    assert answers[0] is not None and b"CN=9014" in answers[0]
    assert so2_in_lake(settings) == {"P1": 16.0}


def test_findings_b_every_polid_group_is_archived_and_decoded(settings: Settings) -> None:
    """(b) several ``PolId=`` groups in one CP (real 3020 traffic) collapsed into the last."""
    cp = "DataTime=20240108010000;PolId=w01019,i12001-Info=0;PolId=w21001,i12001-Info=1"
    frame = build_packet("31", "3020", "MN0001", cp, pw=PW, ack=True)
    answers, _ = run(settings, [frame, hourly("20240108010000", 16.0)])
    assert answers[1] is not None  # the connection goes on after the 3020 packet
    [rec] = [r for r in archived(settings) if r["cn"] == "3020"]
    assert rec["status"] == "ok" and rec["raw"].encode() == frame.rstrip(b"\r\n")
    packet = parse_packet(rec["raw"])
    assert [(pol, items["i12001"]["Info"]) for pol, items in packet.pol_groups] == [
        ("w01019", "0"),
        ("w21001", "1"),
    ]


def test_findings_c_bytes_after_the_crc_do_not_lose_the_frame(settings: Settings) -> None:
    """(c) ``…&&D581**``: one vendor appends bytes after the CRC; the frame still counts."""
    first = hourly("20240108010000", 16.0)
    trailing = first[:-2] + b"**\r\n"
    answers, _ = run(settings, [trailing, hourly("20240108020000", 17.0, mn="MN0002", pw="secret")])
    assert answers[0] is not None and b"CN=9014" in answers[0]
    assert answers[1] is not None and b"CN=9014" in answers[1]  # resynchronised
    assert so2_in_lake(settings) == {"P1": 16.0, "P2": 17.0}


def test_findings_d_byte_swapped_modbus_crc_device_is_answered(settings: Settings) -> None:
    """(d) a byte-swapped CRC-16/MODBUS logger (beside normal ones) was never recognised."""
    with session_scope(settings) as s:
        outlet = s.scalars(select(Outlet).where(Outlet.mn == "MN0002")).one()
        outlet.crc = "modbus_swapped"
    data = segment(hourly("20240108010000", 17.0, mn="MN0002", pw="secret"))
    crc = crc16_modbus(data)
    swapped = ((crc & 0xFF) << 8) | (crc >> 8)
    assert swapped != crc
    frame = b"##%04d%s%04X\r\n" % (len(data), data, swapped)
    normal = hourly("20240108010000", 16.0)  # an HJ 212 CRC logger beside it
    answers, _ = run(settings, [frame, normal])
    assert all(a is not None and b"CN=9014" in a for a in answers)
    assert so2_in_lake(settings) == {"P1": 16.0, "P2": 17.0}


def test_findings_e_2005_packets_stored_empty_mn_and_code_less_items_not(
    settings: Settings,
) -> None:
    """(e) 2005 uploads without ``Flag`` were refused; an empty ``MN=`` and a code-less
    ``Flag=N`` item passed."""
    old = build_packet(
        "31", "2061", "MN0001", "DataTime=20240108010000;a21026-Avg=16.0,a21026-Flag=N",
        pw=PW, version="2005",
    )  # fmt: skip
    assert b"Flag=" not in segment(old).split(b"CP=")[0]
    no_mn = hourly("20240108020000", 99.0, mn="")
    cp = "DataTime=20240108020000;a21026-Avg=17.0,a21026-Flag=N;Flag=N"
    codeless = build_packet("31", "2061", "MN0002", cp, pw="secret", ack=True)
    answers, _ = run(settings, [old, no_mn, codeless])
    assert answers[1] is None  # empty MN: never answered
    assert so2_in_lake(settings) == {"P1": 16.0, "P2": 17.0}  # the 2005 value is stored
    assert not any(r["status"] == "ok" and not r.get("mn") for r in archived(settings))
    [rec] = [r for r in archived(settings) if r.get("mn") == "MN0002"]
    packet = parse_packet(rec["raw"])
    assert any("without a factor code" in d for d in packet.deviations)
    assert set(packet.factors) == {"a21026"}


def test_findings_f_gbk_text_and_a_wrong_sm4_key(settings: Settings) -> None:
    """(f) GBK text came back as U+FFFD; with a wrong SM4 key the header fields were null."""
    text = "仪器运行正常，维护人员张三"
    data = (
        "QN=20240108010000000;ST=31;CN=2061;PW=123456;MN=MN0001;Flag=5;CP=&&"
        f"DataTime=20240108010000;a21026-Avg=16.0,a21026-Flag=N;i11001-Info=//{text}//&&"
    ).encode("gbk")
    gbk = b"##%04d%s%04X\r\n" % (len(data), data, crc16_hj212(data))
    key = "11" * 16
    with session_scope(settings) as s:
        for meter in s.scalars(select(Meter).where(Meter.mn == "MNE001")):
            meter.sm4_key = key
    cp = "DataTime=20240108010000;d20105-Rtd=1590.0,d20105-Flag=N"
    wrong_key = build_packet(
        "44", "2011", "MNE001", cp, pw=PW, ack=True, version="2025", sm4_key=b"\x22" * 16
    )
    right_key = build_packet(
        "44", "2011", "MNE001", cp.replace("0108010000", "0108020000"),
        pw=PW, ack=True, version="2025", sm4_key=bytes.fromhex(key),
    )  # fmt: skip
    answers, metrics = run(settings, [gbk, wrong_key, right_key])
    assert answers[0] is not None and b"CN=9014" in answers[0]
    assert answers[1] is None and metrics["errors"].get("crc") == 1  # not answered, counted
    assert answers[2] is not None
    assert so2_in_lake(settings) == {"P1": 16.0}  # the GBK packet's value is stored
    power = Lake(settings.lake_dir).read("power").to_pylist()
    assert [r["kw"] for r in power] == [1590.0]  # only the right key's value
    [rec] = [r for r in archived(settings) if r.get("mn") == "MN0001"]
    assert "raw_b64" in rec  # not UTF-8: archived byte for byte
    raw = record_raw(rec)
    assert raw is not None and raw == gbk.rstrip(b"\r\n")
    packet = parse_packet(raw)
    assert packet.factors["i11001"]["Info"] == f"//{text}//"
    with pytest.raises(PacketError) as info:
        parse_packet(wrong_key, sm4_key=bytes.fromhex(key))
    partial = info.value.packet
    assert partial is not None and (partial.mn, partial.cn) == ("MNE001", "2011")
