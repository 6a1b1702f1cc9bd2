"""Framer: glued frames, missing CR LF, garbage, bad lengths, chunking, size bound; fuzzing."""

from __future__ import annotations

from hj212_samples import REAL_PACKETS, read_real_packets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantian.protocol.hj212 import (
    OFFICIAL_TEST_KEY,
    Frame,
    FrameError,
    Framer,
    PacketError,
    build_packet,
    parse_packet,
)

REAL = [p.line.encode() for p in read_real_packets(REAL_PACKETS)]
A = build_packet("31", "2011", "MN-A", "DataTime=20240101000000;a21026-Rtd=1.5,a21026-Flag=N")
B = build_packet("32", "2061", "MN-B", "DataTime=20240101000000;w01018-Avg=20.1", ack=True)


def _run(chunks: list[bytes], framer: Framer | None = None) -> list[Frame | FrameError]:
    framer = framer or Framer()
    out: list[Frame | FrameError] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out + framer.flush()


def _frames(items: list[Frame | FrameError]) -> list[bytes]:
    return [i.raw for i in items if isinstance(i, Frame)]


def test_one_frame_per_feed() -> None:
    out = _run([A, B])
    assert _frames(out) == [A[:-2], B[:-2]]
    assert all(isinstance(i, Frame) and i.deviations == () for i in out)


def test_byte_by_byte() -> None:
    stream = A + B + A
    out = _run([stream[i : i + 1] for i in range(len(stream))])
    assert _frames(out) == [A[:-2], B[:-2], A[:-2]]
    assert not any(isinstance(i, FrameError) for i in out)


def test_glued_frames_without_crlf() -> None:
    out = _run([A[:-2] + B[:-2] + A])
    assert _frames(out) == [A[:-2], B[:-2], A[:-2]]
    frames = [i for i in out if isinstance(i, Frame)]
    assert frames[0].deviations == ("missing CRLF",)
    assert "missing CRLF" in parse_packet(frames[0]).deviations


def test_all_real_packets_concatenated_without_crlf() -> None:
    out = _run([b"".join(REAL)])
    assert _frames(out) == REAL


def test_garbage_between_frames_is_reported() -> None:
    out = _run([b"AT+OK\r\n" + A + b"\x00\xff junk " + B + b"\r\n\r\n"])
    assert _frames(out) == [A[:-2], B[:-2]]
    errors = [i for i in out if isinstance(i, FrameError)]
    assert [e.data for e in errors] == [b"AT+OK\r\n", b"\x00\xff junk "]


def test_wrong_length_field_falls_back_to_crlf() -> None:
    bad = A[:2] + b"%04d" % (int(A[2:6]) + 7) + A[6:]
    out = _run([bad + B])
    assert _frames(out) == [bad[:-2], B[:-2]]
    packet = parse_packet(_frames(out)[0])
    assert packet.crc_ok and any("length field mismatch" in d for d in packet.deviations)


def test_wrong_length_and_no_crlf_ends_at_next_header() -> None:
    bad = A[:2] + b"%04d" % (int(A[2:6]) - 5) + A[6:-2]
    out = _run([bad + B])
    assert _frames(out) == [bad, B[:-2]]


def test_bad_length_field_resyncs() -> None:
    out = _run([b"##12x4" + A, b"###" + B])
    assert _frames(out) == [A[:-2], B[:-2]]
    assert any(isinstance(i, FrameError) and "length field" in i.reason for i in out)


def test_encrypted_2025_frame_whose_length_counts_the_plaintext() -> None:
    cp = "DataTime=20250101000000;a21026-Rtd=1.5,a21026-Flag=N;a34013-Rtd=2.5,a34013-Flag=N"
    enc = build_packet("31", "2011", "MN-C", cp, version="2025", sm4_key=OFFICIAL_TEST_KEY)
    out = _run([enc + A])
    assert _frames(out) == [enc[:-2], A[:-2]]
    assert parse_packet(_frames(out)[0], sm4_key=OFFICIAL_TEST_KEY, strict=True).factors


def test_oversize_frame_is_dropped_and_buffer_stays_bounded() -> None:
    framer = Framer(max_frame_size=200)
    out = framer.feed(b"##9999" + b"x" * 500)
    assert any(isinstance(i, FrameError) and "no frame end" in i.reason for i in out)
    assert framer.buffered < 200
    assert _frames(framer.feed(A)) == [A[:-2]]


def test_incomplete_frame_at_end_of_stream() -> None:
    out = _run([A[:40]])
    assert len(out) == 1 and isinstance(out[0], FrameError)
    assert out[0].reason == "incomplete frame at end of stream"


_PIECES = st.sampled_from([A, B, A[:-2], REAL[2], b"##", b"#", b"\r\n", b"\r", b"0101", b"&&"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(st.one_of(_PIECES, st.binary(max_size=40)), max_size=25),
    cuts=st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=10),
    max_size=st.integers(min_value=16, max_value=2000),
)
def test_fuzz_framer_never_raises_and_stays_bounded(
    pieces: list[bytes], cuts: list[int], max_size: int
) -> None:
    stream = b"".join(pieces)
    framer = Framer(max_frame_size=max_size)
    at, i = 0, 0
    total = 0
    while at < len(stream):
        step = cuts[i % len(cuts)]
        for item in framer.feed(stream[at : at + step]):
            total += len(item.raw) if isinstance(item, Frame) else 0
        assert framer.buffered <= max_size
        at += step
        i += 1
    framer.flush()
    assert framer.buffered == 0
    assert total <= len(stream)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from([A, B, REAL[5], REAL[10]]), min_size=1, max_size=6))
def test_fuzz_valid_streams_give_back_every_frame(pieces: list[bytes]) -> None:
    stream = b"".join(pieces)
    out = _run([stream[i : i + 13] for i in range(0, len(stream), 13)])
    assert _frames(out) == [p.rstrip(b"\r\n") for p in pieces]


_FIELDS = st.sampled_from(
    ["QN=20240101000000000", "ST=31", "CN=2011", "PW=123456", "MN=X", "Flag=5", "Flag=999",
     "PNUM=2", "PNO=1", "RF=1", "CP=&&", "&&", "CP=", "DataTime=20241301000000", "a21026-Rtd=1",
     "a21026-Rtd=nan", "a21026-Flag=N", "SB1-RS=1", ";", ",", "=", "-", "{0x12,0x34}", "{0x"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_FIELDS, max_size=20), st.text(max_size=20), st.booleans())
def test_fuzz_parse_packet_only_raises_packet_error(
    fields: list[str], noise: str, with_key: bool
) -> None:
    from lantian.protocol.hj212 import crc16_hj212

    segment = (";".join(fields) + noise).encode("utf-8", errors="surrogateescape")
    frame = b"##%04d%b%04X\r\n" % (len(segment) % 10000, segment, crc16_hj212(segment))
    key = OFFICIAL_TEST_KEY if with_key else None
    for candidate in (frame, frame[: len(frame) // 2], segment, frame.lower()):
        try:
            packet = parse_packet(candidate, sm4_key=key)
        except PacketError as exc:
            assert exc.reason and not exc.reason.startswith("cannot decode packet:"), exc.reason
        else:
            assert isinstance(packet.deviations, list)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_parse_packet_on_random_bytes(data: bytes) -> None:
    for candidate in (data, b"##0010" + data, b"##" + data + b"1C80"):
        try:
            packet = parse_packet(candidate, crc="either")
        except PacketError as exc:
            # a reason, never an empty message nor an internal error caught by the guard
            assert exc.reason and not exc.reason.startswith("cannot decode packet:"), exc.reason
        else:
            assert packet.crc_ok or any("CRC" in d for d in packet.deviations)
