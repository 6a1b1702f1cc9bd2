"""Build → parse round trips (2005, 2017, 2025 with SM4), responses and the CLI."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.protocol.hj212 import (
    FACTORS,
    OFFICIAL_TEST_KEY,
    VARIABLE_MAP,
    PacketError,
    Reassembler,
    build_data_response,
    build_execution_response,
    build_heartbeat,
    build_packet,
    build_request_response,
    build_split_packets,
    code_2017,
    crc16_hj212,
    decrypt_cp,
    encrypt_cp,
    lake_pollutant,
    parse_packet,
)
from lantian.timeutil import CST

MN = "010000A8900016F000169DC0"
HOURLY = {
    "DataTime": datetime(2024, 1, 22, 16, tzinfo=CST),
    "a21026": {"Avg": 12.5, "ZsAvg": 30.25, "Cou": 1.5, "Flag": "N"},
    "a34013": {"Min": 0.5, "Avg": 3.1, "Max": 5, "Flag": "T"},
    "SB1": {"RS": 1},
}


def test_round_trip_2017() -> None:
    frame = build_packet("31", "2061", MN, HOURLY, qn="20240122170000123", ack=True)
    assert frame.startswith(b"##") and frame.endswith(b"\r\n")
    assert int(frame[2:6]) == len(frame) - 12
    packet = parse_packet(frame, strict=True)
    assert packet.qn == "20240122170000123" and packet.st == "31" and packet.cn == "2061"
    assert packet.flag == 5 and packet.version == "2017" and packet.needs_ack
    assert packet.factors == {
        "a21026": {"Avg": 12.5, "ZsAvg": 30.25, "Cou": 1.5, "Flag": "N"},
        "a34013": {"Min": 0.5, "Avg": 3.1, "Max": 5.0, "Flag": "T"},
    }
    assert packet.status == {"SB1": {"RS": 1.0}}
    assert packet.data_time == datetime(2024, 1, 22, 16, tzinfo=CST)
    assert packet.crc == crc16_hj212(frame[6:-6])


def test_round_trip_2025_with_sm4() -> None:
    frame = build_packet(
        "31", "2061", MN, HOURLY, version="2025", rf=True, ack=True, sm4_key=OFFICIAL_TEST_KEY
    )
    assert b"a21026" not in frame and b"{0x" in frame  # CP is encrypted on the wire
    packet = parse_packet(frame, sm4_key=OFFICIAL_TEST_KEY, strict=True)
    assert packet.encrypted and packet.rf and packet.flag == 9 and packet.version == "2025"
    assert packet.factors["a21026"]["ZsAvg"] == 30.25
    with pytest.raises(PacketError, match="no key"):
        parse_packet(frame)
    with pytest.raises(PacketError, match=r"cannot decrypt|CRC"):
        parse_packet(frame, sm4_key=b"1" * 16, strict=True)


def test_sm4_block_rule() -> None:
    cp = "DataTime=20250101000000;a21026-Rtd=1.5,a21026-Flag=N"  # 52 bytes: 3 blocks + 4
    enc = encrypt_cp(cp, OFFICIAL_TEST_KEY)
    assert enc.endswith("}ag=N") and enc.count("0x") == 48
    assert decrypt_cp(enc, OFFICIAL_TEST_KEY) == cp
    assert encrypt_cp("short", OFFICIAL_TEST_KEY) == "short"
    with pytest.raises(ValueError):
        decrypt_cp("{0x01,0x02}", OFFICIAL_TEST_KEY)


def test_sm4_only_for_the_cns_the_standard_encrypts() -> None:
    frame = build_packet("91", "9014", MN, "", version="2025", sm4_key=OFFICIAL_TEST_KEY)
    assert b"CP=&&&&" in frame
    req = build_packet("32", "1062", MN, "RtdInterval=30", version="2025", sm4_key=b"0" * 16)
    assert b"RtdInterval=30" in req


def test_round_trip_2005() -> None:
    cp = "DataTime=20180315134456;01-Rtd=5.1,01-Flag=N;02-Rtd=50.5,02-ZsRtd=125.1,02-Flag=N"
    frame = build_packet("31", "2011", "88888880000001", cp + ";B02-Rtd=12.0", version="2005")
    assert b";Flag=" not in frame and b"QN=" not in frame
    packet = parse_packet(frame)
    assert packet.version == "2005" and packet.flag is None
    assert packet.deviations == []  # judged by the 2005 rules: no Flag field is normal
    assert parse_packet(frame, strict=True).version == "2005"
    assert {code_2017(c) for c in packet.factors} == {"a34013", "a21026", "a00000"}
    assert packet.factors_2017["a21026"] == {"Rtd": 50.5, "ZsRtd": 125.1, "Flag": "N"}
    assert [VARIABLE_MAP[c] for c in packet.factors] == ["a34013", "a21026", "a00000"]


def test_data_response_9014() -> None:
    cp = "DataTime=20240101000000"
    upload = parse_packet(build_packet("32", "2011", MN, cp, qn="20240101000000001", ack=True))
    reply = build_data_response(upload)
    assert reply == (
        b"##0087QN=20240101000000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;"
        b"Flag=4;CP=&&&&" + f"{crc16_hj212(reply[6:-6]):04X}".encode() + b"\r\n"
    )
    assert not parse_packet(reply, strict=True).needs_ack
    upload25 = parse_packet(build_packet("32", "2011", MN, cp, version="2025", ack=True))
    assert parse_packet(build_data_response(upload25)).flag == 8


def test_responses_to_2005_packets() -> None:
    with_qn = parse_packet(
        build_packet("31", "1011", "88888880000001", "", qn="20040516010101001", version="2005")
    )
    reply = parse_packet(build_request_response(with_qn))
    assert (reply.qn, reply.flag) == (None, 0)
    assert reply.params == {"QN": "20040516010101001", "QnRtn": "1"}
    cp = "DataTime=20040516010101"
    upload = parse_packet(build_packet("31", "2011", "88888880000001", cp, version="2005"))
    ack = parse_packet(build_data_response(upload))
    assert ack.cn == "9014" and ack.flag is None and ack.cp == "" and ack.qn is None


def test_request_and_execution_responses() -> None:
    request = parse_packet(build_packet("32", "1000", MN, "OverTime=5;ReCount=3", ack=True))
    r9011 = parse_packet(build_request_response(request))
    r9012 = parse_packet(build_execution_response(request, 100))
    assert (r9011.cn, r9011.params, r9011.qn) == ("9011", {"QnRtn": "1"}, request.qn)
    assert (r9012.cn, r9012.params, r9012.st) == ("9012", {"ExeRtn": "100"}, "91")


def test_info_log_text_may_contain_separators() -> None:
    cp = "DataTime=20240101000000;PolId=w01018;i11001-Info=//仪器运行, 正常;无报警//;a=1"
    packet = parse_packet(build_packet("32", "3020", MN, cp), strict=True)
    assert packet.pol_groups == [("w01018", {"i11001": {"Info": "//仪器运行, 正常;无报警//"}})]
    assert packet.params["a"] == "1"


def test_heartbeat_2025() -> None:
    beat = parse_packet(build_heartbeat(MN, st="31"), strict=True)
    assert beat.cn == "9015" and beat.version == "2025" and beat.flag == 9 and beat.cp == ""


def test_build_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="split"):
        build_packet("31", "2011", MN, ";".join(f"a{i:05d}-Rtd=1.2345" for i in range(100)))
    with pytest.raises(ValueError, match="2025"):
        build_packet("31", "2011", MN, "", rf=True)
    with pytest.raises(ValueError, match="must not contain"):
        build_packet("31", "2011", "MN;X", "")
    with pytest.raises(ValueError, match="non-finite"):
        build_packet("31", "2011", MN, {"a21026": {"Rtd": float("nan")}})


def test_modbus_crc_is_opt_in() -> None:
    frame = build_packet("31", "2011", MN, "DataTime=20240101000000", crc="modbus")
    assert not parse_packet(frame).crc_ok
    assert parse_packet(frame, crc="modbus").crc_kind == "modbus"
    either = parse_packet(frame, crc="either")
    assert either.crc_kind == "modbus" and "CRC-16/MODBUS instead" in either.deviations[-1]


def test_split_reassembly() -> None:
    common = {"version": "2017", "pnum": 3}
    parts = [
        build_packet("31", "2061", MN, f"DataTime=20240122160000;a{n:05d}-Avg={n}", pno=n, **common)  # type: ignore[arg-type]
        for n in (1, 2, 3)
    ]
    packets = [parse_packet(p, strict=True) for p in parts]
    assert all(p.split and p.flag == 6 for p in packets)
    reassembler = Reassembler(timeout_s=10)
    assert reassembler.add(packets[2], now=0) == []
    assert reassembler.add(packets[0], now=1) == []
    unsplit = parse_packet(build_packet("31", "2011", MN, "DataTime=20240122160000"))
    assert reassembler.add(unsplit, now=1) == [unsplit]
    (merged,) = reassembler.add(packets[1], now=2)
    assert set(merged.factors) == {"a00001", "a00002", "a00003"} and merged.crc_ok
    assert merged.deviations == [] and len(reassembler) == 0
    # an incomplete set is released with a deviation after the timeout, not dropped
    reassembler.add(packets[0], now=10)
    assert reassembler.expire(now=15) == []
    (partial,) = reassembler.expire(now=21)
    assert "missing PNO 2,3" in partial.deviations[-1]


def test_build_split_packets_round_trip() -> None:
    cp = {"DataTime": "20240122160000"}
    cp |= {f"a{21000 + i}": {"Avg": i + 0.125, "ZsAvg": i * 1.5, "Flag": "N"} for i in range(40)}
    frames = build_split_packets("31", "2061", MN, cp, qn="20240122170000998", ack=True)
    packets = [parse_packet(f, strict=True) for f in frames]
    assert len(packets) >= 2 and [p.pno for p in packets] == list(range(1, len(packets) + 1))
    qns = ["20240122170000998", "20240122170000999", "20240122170001000"]
    assert [p.qn for p in packets][:3] == qns[: len(packets)]
    assert all(p.flag == 7 and p.params["DataTime"] == "20240122160000" for p in packets)
    reassembler = Reassembler()
    merged = [m for p in reversed(packets) for m in reassembler.add(p)]
    assert len(merged) == 1
    whole = parse_packet(build_packet("31", "2061", MN, cp, check_limits=False))
    assert merged[0].factors == whole.factors and merged[0].crc_ok
    assert len(build_split_packets("31", "2011", MN, "DataTime=20240101000000;a21026-Rtd=1")) == 1


def test_fragments_without_datatime_join_the_open_set() -> None:
    first = build_packet("31", "2061", MN, "DataTime=20240122160000;a21026-Avg=1", pnum=2, pno=1)
    second = build_packet("31", "2061", MN, "a34013-Avg=2", pnum=2, pno=2)
    reassembler = Reassembler()
    assert reassembler.add(parse_packet(first)) == []
    (merged,) = reassembler.add(parse_packet(second))
    assert set(merged.factors) == {"a21026", "a34013"}
    assert merged.params["DataTime"] == "20240122160000" and merged.data_time is not None


def test_reassembler_memory_bound() -> None:
    reassembler = Reassembler(max_pending=2)
    released = []
    for minute in range(5):
        cp = f"DataTime=202401221{minute}0000;a21026-Avg=1"
        frame = build_packet("31", "2051", MN, cp, pnum=2, pno=1)
        released += reassembler.add(parse_packet(frame), now=minute)
    assert len(reassembler) == 2 and len(released) == 3
    assert all("incomplete split packet" in p.deviations[-1] for p in released)


def test_factor_table_and_lake_names() -> None:
    assert FACTORS["a21026"].code_2005 == "02" and FACTORS["a34013"].name_zh == "烟尘"
    assert lake_pollutant("03") == "a21002" and lake_pollutant("S01") == "a19001"
    assert lake_pollutant("a34004", st="22") == "PM2.5"
    assert lake_pollutant("d30106", st="44") == "kw"
    assert lake_pollutant("ele01") is None


def test_cli_decode_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = build_packet("31", "2011", MN, "DataTime=20240101000000;a21026-Rtd=1.5").decode()
    lines = ["# a comment", good.strip(), "", "garbage", good.strip().lower()]
    path = tmp_path / "in.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(app, ["hj212", "decode", str(path), "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in records] == [2, 4, 5]
    assert records[0]["crc_ok"] and records[0]["factors"] == {"a21026": {"Rtd": 1.5}}
    assert records[0]["error"] is None and records[0]["MN"] == MN
    assert records[1]["error"] == "no packet header '##'"
    assert (records[2]["error"] is None and not records[2]["crc_ok"]) or records[2]["error"]


def test_cli_decode_with_keys_per_mn(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cp = "DataTime=20250101000000;a21026-Rtd=1.5,a21026-Flag=N"
    other = b"1" * 16
    lines = [
        build_packet("31", "2011", "MN-A", cp, version="2025", sm4_key=OFFICIAL_TEST_KEY),
        build_packet("31", "2011", "MN-B", cp, version="2025", sm4_key=other),
        build_packet("31", "2011", "MN-C", cp, version="2025", sm4_key=other),
    ]
    (tmp_path / "in.txt").write_bytes(b"".join(lines))
    (tmp_path / "keys.csv").write_text(f"MN-A,{OFFICIAL_TEST_KEY.hex()}\nMN-B,{other.hex()}\n")
    args = ["hj212", "decode", str(tmp_path / "in.txt"), "--json"]
    result = CliRunner().invoke(app, [*args, "--keys", str(tmp_path / "keys.csv")])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["factors"].get("a21026", {}).get("Rtd") for r in records] == [1.5, 1.5, None]
    assert "no key" in records[2]["error"]


def test_cli_decode_stdin_strict() -> None:
    good = build_packet("31", "2011", MN, "DataTime=20240101000000;a21026-Rtd=1.5").decode()
    bad_crc = good.replace("1.5", "1.6")
    result = CliRunner().invoke(
        app, ["hj212", "decode", "-", "--json", "--strict"], input=good + bad_crc
    )
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["error"] is None and first["crc_ok"]
    assert second["error"].startswith("not a conforming packet: CRC mismatch")


def test_cli_decode_table_stream_and_build(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    args = ["hj212", "build", "--mn", MN, "--cp", "DataTime=20240101000000", "--ack"]
    built = runner.invoke(app, args)
    assert built.exit_code == 0 and parse_packet(built.stdout.strip()).needs_ack
    path = tmp_path / "capture.bin"
    path.write_bytes((built.stdout.strip() * 3).encode() + b"noise")
    result = runner.invoke(app, ["hj212", "decode", str(path), "--stream", "--json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["crc_ok"] for r in records] == [True, True, True, False]
    assert records[0]["deviations"] == ["missing CRLF"]
    table = runner.invoke(app, ["hj212", "decode", str(path), "--stream"])
    assert table.exit_code == 0 and "2011" in table.stdout


_CODES = st.sampled_from(["a21026", "a21002", "a34013", "a19001", "w01018", "a00000", "01", "B02"])
_SUFFIX_VALUES = st.dictionaries(
    st.sampled_from(["Rtd", "Min", "Avg", "Max", "ZsRtd", "ZsAvg", "Cou"]),
    st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e12, max_value=1e12),
    min_size=1,
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    factors=st.dictionaries(_CODES, _SUFFIX_VALUES, min_size=1, max_size=5),
    flags=st.sampled_from(["N", "D", "T", "B"]),
    mn=st.text(alphabet="0123456789ABCDEFabc_", min_size=1, max_size=24),
    version=st.sampled_from(["2017", "2025"]),
    encrypt=st.booleans(),
    ack=st.booleans(),
)
def test_round_trip_property(
    factors: dict[str, dict[str, float]],
    flags: str,
    mn: str,
    version: str,
    encrypt: bool,
    ack: bool,
) -> None:
    cp: dict[str, object] = {"DataTime": "20240101120000"}
    cp |= {code: {**values, "Flag": flags} for code, values in factors.items()}
    key = OFFICIAL_TEST_KEY if encrypt and version == "2025" else None
    frame = build_packet(
        "31",
        "2051",
        mn,
        cp,
        version=version,
        ack=ack,
        sm4_key=key,
        check_limits=False,  # type: ignore[arg-type]
    )
    packet = parse_packet(frame, sm4_key=key)
    assert packet.crc_ok and packet.mn == mn and packet.needs_ack is ack
    assert packet.version == version
    assert packet.factors == {code: {**v, "Flag": flags} for code, v in factors.items()}
