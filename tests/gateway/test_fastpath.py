"""The hot-path CRC, framer and answers agree with the protocol library and real packets."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.gateway import fastpath
from lantian.gateway.fastpath import Framer, build_ack, crc_matches, data_time_of, header_fields
from lantian.protocol.hj212 import crc16_hj212, crc16_modbus
from lantian.protocol.hj212.packet import (
    build_data_response,
    build_notification_response,
    build_packet,
    parse_packet,
)

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "research" / "hj212" / "samples.txt"


def test_hot_path_uses_the_library_crc() -> None:
    # one implementation of the HJ 212 CRC: the protocol library's
    assert fastpath.crc_matches.__defaults__ == (crc16_hj212,)
    assert fastpath.build_ack.__defaults__ == (b"2011", crc16_hj212)
    assert not hasattr(fastpath, "crc16_fast")


@given(st.binary(max_size=1100))
def test_crc_matches_the_library(data: bytes) -> None:
    assert crc_matches(b"%04X" % crc16_hj212(data), data)
    assert crc_matches(b"%04x" % crc16_modbus(data), data, crc16_modbus)
    assert not crc_matches(b"%04X" % (crc16_hj212(data) ^ 1), data)
    assert not crc_matches(b"zz12", data)


def test_standard_examples() -> None:
    seg = (
        b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&RtdInterval=30&&"
    )
    frames, problems, fatal = Framer().feed(b"##%04d%s1C80\r\n" % (len(seg), seg))
    assert frames == [(seg, True, b"##%04d%s1C80" % (len(seg), seg))]
    assert not problems and fatal is None


def test_real_samples_pass_and_fail_as_documented() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared/research/hj212/samples.txt is not present")
    results = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if line.startswith("##"):
            frames, problems, fatal = Framer().feed(line.encode() + b"\r\n")
            assert fatal is None and not problems and len(frames) == 1
            results.append(frames[0][1])
            assert frames[0][1] == parse_packet(line).crc_ok
    assert results.count(True) == 19 and results.count(False) == 6


def test_framer_split_glued_and_garbage_with_problems() -> None:
    a = build_packet("31", "2061", "MN1", "DataTime=20240101000000;a21026-Avg=1", ack=True)
    b = build_packet("31", "2061", "MN2", "DataTime=20240101010000;a21026-Avg=2", ack=True)
    framer = Framer()
    got = []
    stream = b"junk\r\n" + a + b.rstrip(b"\r\n") + a  # garbage, CRLF-less glued frame
    problems = []
    for i in range(len(stream)):  # one byte at a time
        frames, probs, fatal = framer.feed(stream[i : i + 1])
        assert fatal is None
        got += frames
        problems += probs
    assert [f[2] for f in got] == [a.rstrip(b"\r\n"), b.rstrip(b"\r\n"), a.rstrip(b"\r\n")]
    assert all(f[1] for f in got)
    assert problems and problems[0][0] == "malformed"
    bad = bytearray(a)
    bad[-3] = ord("0") if bad[-3] != ord("0") else ord("1")  # corrupt the CRC
    frames, _, _ = Framer().feed(bytes(bad))
    assert frames and frames[0][1] is False


def test_framer_oversize_is_fatal() -> None:
    frames, _, fatal = Framer(max_data_len=100).feed(b"##0500QN=")
    assert not frames and fatal is not None and fatal.kind == "oversize"


@pytest.mark.parametrize("version", ["2005", "2017", "2025"])
def test_ack_equals_protocol_library(version: Literal["2005", "2017", "2025"]) -> None:
    raw = build_packet(
        "31",
        "2061",
        "MN1",
        "DataTime=20240101000000",
        qn="20240101000000001",
        version=version,
        ack=True,
    )
    packet = parse_packet(raw)
    data = raw[6:-6]
    head = header_fields(data)
    assert data_time_of(data) == b"20240101000000"
    ack = build_ack(head.get(b"QN", b""), head[b"PW"], head[b"MN"], int(head.get(b"Flag", b"0")))
    assert ack == build_data_response(packet)
    hb = parse_packet(
        build_packet("31", "9015", "MN1", "", qn="20240101000000002", version="2025", ack=True)
    )
    assert build_ack(
        b"20240101000000002", b"123456", b"MN1", 9, b"9015"
    ) == build_notification_response(hb)
