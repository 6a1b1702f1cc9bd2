"""Every real packet decodes with the CRC verdict its source comment states."""

from __future__ import annotations

import pytest
from hj212_samples import (
    PROBLEM_PACKETS,
    REAL_PACKETS,
    SHARED_SAMPLES,
    ProblemPacket,
    RealPacket,
    read_problem_packets,
    read_real_packets,
)

from lantian.protocol.hj212 import PacketError, parse_packet, read_packets, read_sm4_keys

REAL = read_real_packets(REAL_PACKETS)
PROBLEMS = read_problem_packets(PROBLEM_PACKETS)


def test_real_packet_file_is_complete() -> None:
    assert len(REAL) == 25
    assert sum(p.verdict == "PASS" for p in REAL) == 19


@pytest.mark.parametrize("sample", REAL, ids=[f"{i}:{p.line[:14]}" for i, p in enumerate(REAL)])
def test_real_packet_crc_verdict(sample: RealPacket) -> None:
    packet = parse_packet(sample.line)
    assert packet.crc_ok is (sample.verdict == "PASS"), packet.deviations
    if sample.verdict == "PASS":
        assert packet.crc_kind == "hj212"
        assert not any("CRC mismatch" in d for d in packet.deviations)
    else:
        assert any("CRC mismatch" in d for d in packet.deviations)
    if "modbus" in sample.verdict:
        assert parse_packet(sample.line, crc="modbus").crc_ok
    if "len" in sample.verdict:
        assert any("length field mismatch" in d for d in packet.deviations)
    # the header always decodes
    assert packet.st and packet.cn and packet.mn


def test_real_packets_match_shared_samples() -> None:
    if not SHARED_SAMPLES.is_file():
        pytest.skip(f"{SHARED_SAMPLES} is absent (shared research not mounted)")
    shared = read_real_packets(SHARED_SAMPLES)
    assert [(p.line, p.verdict) for p in shared] == [(p.line, p.verdict) for p in REAL]


def test_real_packet_contents() -> None:
    by_start = {p.line[:40]: parse_packet(p.line) for p in REAL}
    hourly = next(v for k, v in by_start.items() if k.startswith("##0612"))
    assert hourly.cn == "2061" and hourly.st == "31" and hourly.version == "2017"
    assert hourly.factors["a00000"] == {
        "Cou": 19191.973,
        "Min": 5.051,
        "Avg": 5.331,
        "Max": 5.617,
        "Flag": "N",
    }
    assert (
        hourly.data_time is not None and hourly.data_time.isoformat() == "2024-01-22T17:00:00+08:00"
    )
    water = next(v for k, v in by_start.items() if k.startswith("##0437"))
    assert water.factors["w01018"]["SampleTime"] == "20240123110306"
    assert water.needs_ack
    standard = parse_packet(REAL[0].line)
    assert standard.params == {"RtdInterval": "30"} and standard.crc == 0x1C80
    flag9 = parse_packet(REAL[1].line)
    assert flag9.version == "2025" and flag9.needs_ack and not flag9.split


@pytest.mark.parametrize(
    "problem", PROBLEMS, ids=[f"{i}:{p.kind}:{p.expected[:30]}" for i, p in enumerate(PROBLEMS)]
)
def test_problem_packets_get_a_clear_reason(problem: ProblemPacket) -> None:
    if problem.kind == "error":
        with pytest.raises(PacketError) as info:
            parse_packet(problem.line)
        assert problem.expected in info.value.reason
        return
    packet = parse_packet(problem.line)
    assert any(problem.expected in d for d in packet.deviations), packet.deviations
    with pytest.raises(PacketError, match="not a conforming packet"):
        parse_packet(problem.line, strict=True)


def test_problem_file_covers_errors_and_deviations() -> None:
    kinds = {p.kind for p in PROBLEMS}
    assert kinds == {"error", "deviation"} and len(PROBLEMS) >= 40


def test_conforming_packets_pass_strict() -> None:
    for sample in REAL[:3]:
        assert parse_packet(sample.line, strict=True).deviations == []


def test_read_packets_from_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = list(read_packets(REAL_PACKETS))
    assert len(lines) == len(REAL) and all(not isinstance(p, Exception) for _, p in lines)
    problems = list(read_packets(PROBLEM_PACKETS))
    errors = [p for _, p in problems if isinstance(p, PacketError)]
    assert len(problems) == len(PROBLEMS) and len(errors) == 10
    capture = tmp_path / "capture.bin"
    capture.write_bytes(b"".join(p.line.encode() for p in REAL) + b"\x00junk")
    items = list(read_packets(capture, stream=True))
    assert len(items) == len(REAL) + 1 and str(items[-1][1]).startswith("not a frame:")


def test_read_sm4_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "keys.csv"
    path.write_text("# MN,key\nMN1,30303030303030303030303030303030\nMN2\t" + "31" * 16 + "\n")
    assert read_sm4_keys(path) == {"MN1": b"0" * 16, "MN2": b"1" * 16}
    path.write_text("MN1,3030\n")
    with pytest.raises(ValueError, match=r"keys\.csv:1"):
        read_sm4_keys(path)
