"""Interop with other HJ 212 implementations' traffic (issue #11, item 11).

The corpus test decodes every collected packet (``data/real_packets.txt`` and
``data/interop_packets.txt``): the check that matches, the header fields, and no silent data
loss (every CP item is stored, or a ``duplicate …`` deviation says which one was replaced).
One test per interop finding (a)-(f) fails without its fix; a bounded property test runs the
tolerated forms through line and stream mode.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hj212_samples import DATA_DIR, REAL_PACKETS, read_real_packets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.protocol.hj212 import (
    OFFICIAL_TEST_KEY,
    Frame,
    Framer,
    Packet,
    PacketError,
    Reassembler,
    build_packet,
    crc16_hj212,
    crc16_modbus,
    parse_lines,
    parse_packet,
    parse_stream,
)

INTEROP_PACKETS = DATA_DIR / "interop_packets.txt"
_KINDS = re.compile(r"\[crc_kind, in order: ([^\]]*)\]")


def _read_interop(path: Path) -> list[tuple[str, str, str | None]]:
    """``(source, packet line, expected crc_kind or None)`` per packet of ``path``."""
    out: list[tuple[str, str, str | None]] = []
    source, kinds = "", []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#") and not raw.startswith("##"):
            match = _KINDS.search(raw)
            if match:
                source = raw[1 : match.start()].strip()
                kinds = [k.strip() for k in match.group(1).split(",")]
            continue
        if raw.strip():
            assert kinds, f"{path}: packet without an expected crc_kind: {raw[:40]}"
            kind = kinds.pop(0)
            out.append((source, raw, None if kind == "none" else kind))
    assert not kinds, f"{path}: more crc_kinds than packets in group {source!r}"
    return out


def _corpus() -> list[tuple[str, str, str | None]]:
    items = _read_interop(INTEROP_PACKETS)
    for real in read_real_packets(REAL_PACKETS):
        kind = "hj212" if real.verdict == "PASS" else None
        if "modbus" in real.verdict:
            kind = "modbus"
        items.append((real.source, real.line, kind))
    return items


CORPUS = _corpus()


def _cp_items(cp: str) -> list[str]:
    return [item for group in cp.split(";") for item in group.split(",") if "=" in item]


def _stored_values(packet: Packet) -> int:
    """CP values the packet keeps (every PolId counted once per group)."""
    count = len(packet.params) + len(packet.pol_groups) - (1 if packet.pol_groups else 0)
    for table in (packet.factors, packet.status):
        count += sum(len(values) for values in table.values())
    for _, items in packet.pol_groups:
        count += sum(len(values) for values in items.values())
    return count


def _assert_no_silent_loss(packet: Packet) -> None:
    assert "//" not in packet.cp  # quoted log text would need the quoted split
    replaced = sum(d.startswith("duplicate ") for d in packet.deviations)
    assert _stored_values(packet) + replaced == len(_cp_items(packet.cp)), packet.deviations


def test_corpus_size_and_sources() -> None:
    interop = _read_interop(INTEROP_PACKETS)
    assert len(interop) == 24 and len(CORPUS) == 49
    assert {kind for _, _, kind in CORPUS} == {"hj212", "modbus", "modbus_swapped", None}
    assert len({source for source, _, _ in CORPUS}) >= 20


@pytest.mark.parametrize(
    ("source", "line", "kind"), CORPUS, ids=[f"{i}:{p[1][:14]}" for i, p in enumerate(CORPUS)]
)
def test_corpus_packet_decodes_without_loss(source: str, line: str, kind: str | None) -> None:
    packet = parse_packet(line, crc="either")
    assert packet.crc_kind == kind, (source, packet.deviations)
    assert packet.crc_ok is (kind is not None)
    # the header fields are read as sent
    for key, value in (("ST", packet.st), ("CN", packet.cn), ("MN", packet.mn)):
        match = re.search(rf"(?:^|;|##\d{{3,4}}){key}=([^;]*);", line)
        assert match is not None and match.group(1) == value, key
    _assert_no_silent_loss(packet)
    # stream mode (a capture of the same bytes) decodes it to the same packet
    items = list(parse_stream(line.encode() + b"\r\n", crc="either"))
    streamed = items[0][1]
    assert isinstance(streamed, Packet), streamed
    assert (streamed.crc_kind, streamed.factors, streamed.pol_groups, streamed.params) == (
        packet.crc_kind,
        packet.factors,
        packet.pol_groups,
        packet.params,
    )


# --------------------------------------------------------------------------- (a)

UNPADDED = next(line for _, line, _ in CORPUS if line.startswith("##087"))


def test_a_unpadded_length_field_is_tolerated_and_recorded() -> None:
    packet = parse_packet(UNPADDED)
    assert packet.crc_ok and packet.crc == 0x2200 and packet.cn == "1011"
    assert packet.length == 87 and packet.qn == "20240601085857223"
    assert "length field of 3 digits, not 4 (unpadded)" in packet.deviations
    with pytest.raises(PacketError, match="unpadded"):
        parse_packet(UNPADDED, strict=True)
    # stream mode: glued to a standard frame, byte by byte
    standard = UNPADDED.replace("##087", "##0087")
    stream = (UNPADDED + standard + UNPADDED + "\r\n").encode()
    framer = Framer()
    frames = [f for i in range(len(stream)) for f in framer.feed(stream[i : i + 1])]
    frames += framer.flush()
    assert all(isinstance(f, Frame) for f in frames), frames
    assert [parse_packet(f).crc for f in frames if isinstance(f, Frame)] == [0x2200] * 3
    # a non-digit length field is still an error
    with pytest.raises(PacketError, match="not 4 digits"):
        parse_packet("##08xQN=1;ST=32;CN=1011;CP=&&&&2200")


# --------------------------------------------------------------------------- (b)

POLIDS = next(line for _, line, _ in CORPUS if "A140100_2006" in line)


def test_b_every_polid_group_is_kept() -> None:
    packet = parse_packet(POLIDS, strict=True)
    assert [pol for pol, _ in packet.pol_groups] == ["w01019", "w21001", "w21003", "w21011"]
    for _, items in packet.pol_groups:
        assert items == {"i12001": {"Info": "0"}, "i12002": {"Info": "0"}}
    assert packet.factors == {}
    # the form: the same item code with different values per instrument
    cp = "DataTime=20240101000000;PolId=w01019,i12001-Info=0;PolId=w21001,i12001-Info=1"
    two = parse_packet(build_packet("21", "3020", "MN1", cp), strict=True)
    assert two.pol_groups == [
        ("w01019", {"i12001": {"Info": "0"}}),
        ("w21001", {"i12001": {"Info": "1"}}),
    ]
    assert two.to_dict()["PolGroups"][1] == {
        "PolId": "w21001",
        "factors": {"i12001": {"Info": "1"}},
    }
    # the standard's form (PolId in its own group) and the same PolId twice
    cp = "DataTime=20240101000000;PolId=w00000;i21001-Info=//a//;PolId=w00000;i21001-Info=//b//"
    logs = parse_packet(build_packet("32", "3020", "MN1", cp), strict=True)
    assert [g[1]["i21001"]["Info"] for g in logs.pol_groups] == ["//a//", "//b//"]


def test_b_cli_table_shows_every_polid_group(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text(POLIDS + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["hj212", "decode", str(path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "w01019: i12001=0, i12002=0; w21001:" in result.output
    assert "w21011: i12001=0, i12002=0" in result.output


def test_b_split_packets_keep_the_groups_of_every_fragment() -> None:
    groups = [f"PolId=w0{i:04d},i12001-Info={i}" for i in range(40)]
    frames = [
        build_packet(
            "21",
            "3020",
            "MN1",
            ";".join(["DataTime=20240101000000", *part]),
            pnum=2,
            pno=number,
            qn=f"2024010100000000{number}",
        )
        for number, part in ((1, groups[:20]), (2, groups[20:]))
    ]
    reassembler = Reassembler()
    merged = [whole for f in frames for whole in reassembler.add(parse_packet(f))]
    assert len(merged) == 1
    infos = [items["i12001"]["Info"] for _, items in merged[0].pol_groups]
    assert infos == [str(i) for i in range(40)]


# --------------------------------------------------------------------------- (c)

TRAILING = next(line for _, line, _ in CORPUS if line.endswith("**"))


def test_c_line_mode_locates_the_crc_by_the_length_field() -> None:
    packet = parse_packet(TRAILING)
    assert packet.crc_ok and packet.crc == 0xD581 and packet.raw.endswith(b"&&D581")
    assert "2 bytes after the CRC ignored: b'**'" in packet.deviations
    assert packet.params == {"BeginTime": "20180518070000", "EndTime": "20180518070000"}
    ((_, line_item),) = parse_lines(TRAILING.encode() + b"\r\n")
    stream_items = [item for _, item in parse_stream(TRAILING.encode() + b"\r\n")]
    streamed = next(item for item in stream_items if isinstance(item, Packet))
    assert isinstance(line_item, Packet)
    assert (line_item.crc_ok, line_item.params) == (streamed.crc_ok, streamed.params)
    # without '&&' before the located CRC the line is still refused
    with pytest.raises(PacketError, match="no CRC"):
        parse_packet(TRAILING.replace("&&D581", "&;D581"))


# --------------------------------------------------------------------------- (d)

SWAPPED = next(line for _, line, kind in CORPUS if kind == "modbus_swapped")


def test_d_byte_swapped_modbus_crc_is_its_own_kind() -> None:
    segment = SWAPPED[6:-4].encode()
    modbus = crc16_modbus(segment)
    assert int(SWAPPED[-4:], 16) == ((modbus & 0xFF) << 8) | (modbus >> 8) != modbus
    either = parse_packet(SWAPPED, crc="either")
    assert either.crc_ok and either.crc_kind == "modbus_swapped"
    assert "byte-swapped CRC-16/MODBUS (low byte first) instead of the HJ 212 CRC" in (
        either.deviations
    )
    assert either.to_dict()["crc_kind"] == "modbus_swapped"
    opted_in = parse_packet(SWAPPED, crc="modbus_swapped")
    assert opted_in.crc_kind == "modbus_swapped"
    assert not any("CRC" in d for d in opted_in.deviations)
    default = parse_packet(SWAPPED)
    assert not default.crc_ok and "crc='modbus_swapped'" in default.deviations[-1]
    assert not parse_packet(SWAPPED, crc="modbus").crc_ok
    normal = SWAPPED[:-4] + f"{modbus:04X}"
    assert parse_packet(normal, crc="modbus_swapped").crc_kind is None


# --------------------------------------------------------------------------- (e)


def test_e_strict_mode_judges_2005_packets_by_the_2005_rules() -> None:
    flagless = [line for _, line, kind in CORPUS if kind == "hj212" and ";Flag=" not in line]
    passing = []
    for line in flagless:
        try:
            passing.append(parse_packet(line, strict=True))
        except PacketError as exc:
            assert "Flag" not in exc.reason, exc.reason  # refused for other reasons only
    assert {p.mn for p in passing} >= {"81733553216204", "DM000001"}
    assert all(p.version == "2005" and p.flag is None for p in passing)


def test_e_empty_mn_and_code_less_items_are_flagged() -> None:
    empty_mn = build_packet("31", "2011", "", "DataTime=20240101000000;a21026-Rtd=1")
    packet = parse_packet(empty_mn)
    assert packet.mn == "" and "empty MN" in packet.deviations
    with pytest.raises(PacketError, match="empty MN"):
        parse_packet(empty_mn, strict=True)
    codeless = build_packet("31", "2011", "MN1", "DataTime=20240101000000;a21026-Rtd=1;Flag=N")
    packet = parse_packet(codeless)
    assert "CP item Flag='N' without a factor code" in packet.deviations
    assert packet.params["Flag"] == "N"  # kept, not dropped
    with pytest.raises(PacketError, match="without a factor code"):
        parse_packet(codeless, strict=True)
    # Table 4 fields are not mistaken for code-less items
    request = build_packet("32", "3020", "MN1", "PolId=w01018;InfoId=i11001;BeginTime=1,EndTime=2")
    assert parse_packet(request, strict=True).params["InfoId"] == "i11001"


# --------------------------------------------------------------------------- (f)

_GBK_CP = "DataTime=20240122160000;PolId=w01018;i11001-Info=//仪器运行正常，维护人员张三//"


def _gbk_frame() -> bytes:
    segment = (
        "QN=20240122170000123;ST=31;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
        f"CP=&&{_GBK_CP}&&"
    ).encode("gbk")
    return b"##%04d%b%04X\r\n" % (len(segment), segment, crc16_hj212(segment))


def test_f_gbk_text_is_detected_or_chosen() -> None:
    frame = _gbk_frame()
    info = "//仪器运行正常，维护人员张三//"
    auto = parse_packet(frame)
    assert auto.crc_ok and auto.pol_groups[0][1]["i11001"]["Info"] == info
    assert "data segment is GBK, not UTF-8 (detected)" in auto.deviations
    chosen = parse_packet(frame, charset="gbk")
    assert chosen.pol_groups == auto.pol_groups and "data segment is GBK, not UTF-8" in (
        chosen.deviations
    )
    raw_utf8 = parse_packet(frame, charset="utf-8")
    assert "\ufffd" in raw_utf8.cp and "data segment is not valid UTF-8" in raw_utf8.deviations
    # UTF-8 stays UTF-8 under every option (the bytes decide, the option only helps)
    utf8 = build_packet("31", "3020", "MN1", _GBK_CP)
    assert parse_packet(utf8, charset="auto").cp == _GBK_CP
    assert parse_packet(utf8, charset="auto", strict=True).crc_ok


def test_f_cli_charset_option(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(_gbk_frame())
    runner = CliRunner()
    for charset, ok in (("gbk", True), ("auto", True), ("utf-8", False)):
        result = runner.invoke(app, ["hj212", "decode", str(path), "--json", "--charset", charset])
        assert result.exit_code == 0, result.output
        (record,) = [json.loads(line) for line in result.stdout.splitlines()]
        info = record["PolGroups"][0]["factors"]["i11001"]["Info"]
        assert ("张三" in info) is ok and record["crc_ok"]
    bad = runner.invoke(app, ["hj212", "decode", str(path), "--charset", "latin-1"])
    assert bad.exit_code != 0 and "--charset" in bad.output


def test_f_header_fields_survive_a_wrong_sm4_key(tmp_path: Path) -> None:
    cp = "DataTime=20250101000000;a21026-Rtd=1.5,a21026-Flag=N"
    frame = build_packet(
        "31", "2011", "MN-W", cp, version="2025", sm4_key=b"1" * 16, qn="20250101000000123"
    )
    for key in (OFFICIAL_TEST_KEY, None):
        with pytest.raises(PacketError) as info:
            parse_packet(frame, sm4_key=key)
        partial = info.value.packet
        assert partial is not None and not partial.crc_ok and partial.encrypted
        assert (partial.qn, partial.st, partial.cn, partial.mn, partial.flag) == (
            "20250101000000123",
            "31",
            "2011",
            "MN-W",
            8,
        )
        assert partial.factors == {} and partial.deviations[-1] == info.value.reason
    path = tmp_path / "in.txt"
    path.write_bytes(frame)
    args = ["hj212", "decode", str(path), "--json", "--key", OFFICIAL_TEST_KEY.hex()]
    (record,) = [json.loads(line) for line in CliRunner().invoke(app, args).stdout.splitlines()]
    assert record["error"].startswith("cannot decrypt CP")
    assert (record["QN"], record["CN"], record["MN"], record["crc_ok"]) == (
        "20250101000000123",
        "2011",
        "MN-W",
        False,
    )


# --------------------------------------------------------------------------- property test

_CODES = st.sampled_from(["a21026", "a34013", "w01018", "i12001", "SB1", "01", "LA"])
_SUFFIXES = st.sampled_from(["Rtd", "Avg", "Flag", "Info", "RS", "Cou"])
_VALUES = st.one_of(
    st.sampled_from(["0", "1.5", "-3", "N", "T", "1e5", "nan", "仪器", ""]),
    st.text(alphabet="abcXYZ0123456789.", max_size=6),
)


@st.composite
def _cp(draw: st.DrawFn) -> str:
    groups = ["DataTime=20240101000000"]
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        items = []
        if draw(st.booleans()):
            items.append("PolId=" + draw(_CODES))
        for _ in range(draw(st.integers(min_value=0 if items else 1, max_value=3))):
            items.append(f"{draw(_CODES)}-{draw(_SUFFIXES)}={draw(_VALUES)}")
        groups.append(",".join(items))
    return ";".join(groups)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cp=_cp(),
    unpadded=st.booleans(),
    trailer=st.sampled_from([b"", b"**", b"\x00\x00", b"##"]),
    charset=st.sampled_from(["utf-8", "gbk"]),
    check=st.sampled_from(["hj212", "modbus", "modbus_swapped"]),
)
def test_property_tolerated_forms_decode_alike_in_line_and_stream_mode(
    cp: str, unpadded: bool, trailer: bytes, charset: str, check: str
) -> None:
    head = "QN=20240101000000000;ST=21;CN=3020;PW=123456;MN=MN1;Flag=4;CP=&&"
    segment = f"{head}{cp}&&".encode(charset)
    crc = {"hj212": crc16_hj212, "modbus": crc16_modbus}.get(check, crc16_modbus)(segment)
    if check == "modbus_swapped":
        crc = ((crc & 0xFF) << 8) | (crc >> 8)
    length = b"%d" % len(segment) if unpadded and len(segment) < 1000 else b"%04d" % len(segment)
    frame = b"##%b%b%04X%b" % (length, segment, crc, trailer)
    try:
        line = parse_packet(frame, crc="either")
    except PacketError as exc:
        assert not exc.reason.startswith("cannot decode packet:"), exc.reason
        assert trailer == b"##"  # '##' after the CRC is a new header, not noise
        return
    # a check may coincide with another one (HJ 212 CRC equal to Modbus, a symmetric value)
    assert line.crc_ok and (line.crc_kind in (check, "hj212") or crc >> 8 == crc & 0xFF)
    assert line.cp == cp
    _assert_no_silent_loss(line)
    streamed = [item for _, item in parse_stream(frame + b"\r\n", crc="either")]
    packets = [item for item in streamed if isinstance(item, Packet)]
    assert packets and packets[0].pol_groups == line.pol_groups
    assert packets[0].factors == line.factors and packets[0].crc_kind == line.crc_kind


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=200),
    prefix=st.sampled_from([b"", b"##", b"##087", b"##87QN=", b"##0087QN=", b"##1ST="]),
    suffix=st.sampled_from([b"", b"&&2200", b"&&2200**", b"&&", b"\r\n"]),
    charset=st.sampled_from(["auto", "utf-8", "gbk"]),
    check=st.sampled_from(["hj212", "modbus", "modbus_swapped", "either"]),
)
def test_fuzz_parser_with_every_option_only_raises_packet_error(
    body: bytes, prefix: bytes, suffix: bytes, charset: str, check: str
) -> None:
    data = prefix + body + suffix
    try:
        packet = parse_packet(data, crc=check, charset=charset, sm4_key=OFFICIAL_TEST_KEY)  # type: ignore[arg-type]
    except PacketError as exc:
        assert exc.reason and not exc.reason.startswith("cannot decode packet:"), exc.reason
        assert exc.packet is None or exc.packet.deviations
    else:
        assert packet.crc_ok or any("CRC" in d for d in packet.deviations)
    framer = Framer(max_frame_size=256)
    for at in range(0, len(data), 7):
        framer.feed(data[at : at + 7])
        assert framer.buffered <= 256
    framer.flush()
