"""Decode HJ 212 packets from whole inputs: one packet per line, or a raw capture stream.

References
----------
.. [1] HJ 212-2017, §6.3.1 Table 2 (frame) and §6.3.2 (data segment).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from lantian.protocol.hj212.framing import Frame, Framer
from lantian.protocol.hj212.packet import Charset, CrcKind, Packet, PacketError, parse_packet

__all__ = ["parse_lines", "parse_stream", "read_packets", "read_sm4_keys"]


def parse_lines(
    data: bytes,
    *,
    strict: bool = False,
    crc: CrcKind = "hj212",
    sm4_key: bytes | None = None,
    sm4_keys: Mapping[str, bytes] | None = None,
    charset: Charset = "auto",
) -> Iterator[tuple[int, Packet | PacketError]]:
    """Decode text with one packet per line; yield ``(line number, packet or error)``.

    ``sm4_key`` decrypts every encrypted CP; ``sm4_keys`` (MN → key) is used otherwise.
    Blank lines and comment lines (``#`` not followed by ``#``) are skipped; every other
    line yields exactly one item, in order, so a bad line never stops the rest.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.
    """
    for number, line in enumerate(data.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        stripped = line.strip()
        if not stripped or (stripped.startswith(b"#") and not stripped.startswith(b"##")):
            continue
        try:
            yield (
                number,
                parse_packet(
                    line,
                    strict=strict,
                    crc=crc,
                    sm4_key=sm4_key,
                    sm4_keys=sm4_keys,
                    charset=charset,
                ),
            )
        except PacketError as exc:
            yield number, exc


def parse_stream(
    data: bytes,
    *,
    strict: bool = False,
    crc: CrcKind = "hj212",
    sm4_key: bytes | None = None,
    sm4_keys: Mapping[str, bytes] | None = None,
    max_frame_size: int | None = None,
    charset: Charset = "auto",
) -> Iterator[tuple[int, Packet | PacketError]]:
    """Decode a raw byte stream (a TCP capture) cut by :class:`Framer`.

    Yields ``(item number, packet or error)``; bytes that are not a frame give a
    :class:`PacketError` starting with ``not a frame:``.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.1 Table 2.
    """
    framer = Framer() if max_frame_size is None else Framer(max_frame_size)
    items = framer.feed(data) + framer.flush()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Frame):
            yield number, PacketError(f"not a frame: {item.reason}: {item.data[:40]!r}")
            continue
        try:
            yield (
                number,
                parse_packet(
                    item,
                    strict=strict,
                    crc=crc,
                    sm4_key=sm4_key,
                    sm4_keys=sm4_keys,
                    charset=charset,
                ),
            )
        except PacketError as exc:
            yield number, exc


def read_packets(
    path: str | Path,
    *,
    stream: bool = False,
    strict: bool = False,
    crc: CrcKind = "hj212",
    sm4_key: bytes | None = None,
    sm4_keys: Mapping[str, bytes] | None = None,
    charset: Charset = "auto",
) -> Iterator[tuple[int, Packet | PacketError]]:
    """Decode the packets of a file: one per line, or a raw capture with ``stream=True``.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.
    """
    data = Path(path).read_bytes()
    parse = parse_stream if stream else parse_lines
    return parse(data, strict=strict, crc=crc, sm4_key=sm4_key, sm4_keys=sm4_keys, charset=charset)


def read_sm4_keys(path: str | Path) -> dict[str, bytes]:
    """Read SM4 keys per data logger: lines ``MN,<32 hex digits>`` (``#`` comments).

    Raises
    ------
    ValueError
        A line is not ``MN,key`` with a 16-byte key (the message names file and line).

    References
    ----------
    .. [1] HJ 212-2025, §6.4 (one SM4 key per data logger).
    """
    keys: dict[str, bytes] = {}
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        mn, _, hex_key = line.replace("\t", ",").partition(",")
        try:
            value = bytes.fromhex(hex_key.strip())
        except ValueError:
            value = b""
        if not mn.strip() or len(value) != 16:
            raise ValueError(f"{path}:{number}: expected 'MN,<32 hex digits>'")
        keys[mn.strip()] = value
    return keys
