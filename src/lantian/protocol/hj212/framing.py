"""Incremental framing of an HJ 212 byte stream (a TCP connection or a capture file).

Frames are found by the ``##`` header and the 4-digit length field, not by CR LF alone:
real captures have frames glued together without CR LF, garbage between frames, and
length fields that do not match. When the length field does not lead to a CRC, the frame
ends at the next CR LF or the next ``##dddd`` header (the parser then reports the length
mismatch). An unpadded 1-3 digit length field (``##087QN=…``, written by some peers) is
read when a header field follows it; :func:`~lantian.protocol.hj212.parse_packet` records
it. The buffer never holds more than ``max_frame_size`` bytes between calls.

References
----------
.. [1] HJ 212-2017, §6.3.1 Table 2 (``##``, 4-digit length, data segment ≤ 1024, CRC,
   CR LF).
.. [2] HJ 212-2025, §6.4 (encrypted segments longer than their length field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_FRAME_SIZE", "Frame", "FrameError", "Framer"]

DEFAULT_MAX_FRAME_SIZE = 16_384
"""Default frame size limit in bytes: room for a 9999-byte segment or an SM4 hex list."""

_HEX_DIGITS = b"0123456789abcdefABCDEF"
_BLANK = frozenset(b" \t\r\n\x00")
_MAX_EXCERPT = 80
_FIELD_START = re.compile(rb"(?:QN|ST|CN|PW|MN|Flag)=")


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame cut from the stream: ``##`` … CRC (without CR LF)."""

    raw: bytes
    crlf: bool | None
    """True if CR LF followed, False if something else did, None if the stream paused."""
    deviations: tuple[str, ...] = ()
    """Framing deviations, e.g. ``missing CRLF``."""


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes that are not a frame (garbage, bad header, oversize), with the reason."""

    reason: str
    data: bytes
    """The offending bytes (first 80 at most)."""


def _is_hex4(buf: bytearray, at: int) -> bool:
    digits = buf[at : at + 4]
    return len(digits) == 4 and not digits.translate(None, _HEX_DIGITS)


def _length_digits(buf: bytes | bytearray, at: int) -> int:
    """Digits of the length field at ``buf[at:]`` (just after ``##``).

    4 for the standard field; 1-3 for an unpadded field (``##087QN=…``, written by some
    peers) when a header field (``QN=``, ``ST=``…) follows; 0 if it is not a length
    field; -1 if more bytes are needed to tell.
    """
    field = buf[at : at + 4]
    if len(field) == 4 and field.isdigit():
        return 4
    digits = len(field) - len(field.lstrip(b"0123456789"))
    if digits == len(field) or not 1 <= digits <= 3:
        return -1 if digits == len(field) and len(field) < 4 else 0
    if _FIELD_START.match(buf, at + digits):
        return digits
    rest = buf[at + digits : at + digits + 6]
    if len(rest) < 6 and (not rest or rest.isalpha()):
        return -1
    return 0


class Framer:
    """Cut HJ 212 frames out of a byte stream fed in arbitrary chunks.

    ``feed(data)`` returns the frames completed so far and :class:`FrameError` items for
    skipped bytes; it never raises and never keeps more than ``max_frame_size`` bytes.

    Parameters
    ----------
    max_frame_size : int
        Longest frame accepted, in bytes (``##`` to CRC).

    References
    ----------
    .. [1] HJ 212-2017, §6.3.1 Table 2.
    """

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        if max_frame_size < 16:
            raise ValueError("max_frame_size must be at least 16 bytes")
        self.max_frame_size = max_frame_size
        self._buf = bytearray()
        self._skip_crlf = False
        self._searched = 0

    @property
    def buffered(self) -> int:
        """Bytes waiting for the rest of a frame."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget buffered bytes (e.g. on a new connection)."""
        self._buf.clear()
        self._skip_crlf = False
        self._searched = 0

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Add ``data`` and return the frames and errors it completes, in stream order."""
        out: list[Frame | FrameError] = []
        buf = self._buf
        buf += data
        if self._skip_crlf and buf:
            if buf.startswith(b"\r\n"):
                del buf[:2]
                self._skip_crlf = False
            elif buf != b"\r":
                self._skip_crlf = False
        pos = self._scan(buf, out)
        del buf[:pos]
        return out

    def flush(self) -> list[Frame | FrameError]:
        """End of stream: return what is left (a last frame without CR LF, or an error)."""
        out: list[Frame | FrameError] = []
        buf = self._buf
        start = buf.find(b"##")
        if start < 0:
            self._garbage(buf, 0, len(buf), out)
        else:
            self._garbage(buf, 0, start, out)
            tail = bytes(buf[start:])
            end = len(tail.rstrip(b"\r\n"))
            complete = tail[end - 6 : end - 4] == b"&&"  # ends like a CP + CRC
            digits = _length_digits(tail, 2)
            if digits > 0:
                crc_end = 2 + digits + int(tail[2 : 2 + digits]) + 4
                if crc_end <= len(tail) and _is_hex4(bytearray(tail), crc_end - 4):
                    end, complete = crc_end, True
            if complete and end >= 10 and _is_hex4(bytearray(tail), end - 4):
                out.append(Frame(tail[:end], False, ("missing CRLF",)))
                self._garbage(bytearray(tail), end, len(tail), out)
            else:
                out.append(FrameError("incomplete frame at end of stream", tail[:_MAX_EXCERPT]))
        self.reset()
        return out

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _garbage(buf: bytearray, start: int, end: int, out: list[Frame | FrameError]) -> None:
        if end <= start:
            return
        chunk = bytes(buf[start:end])
        if any(b not in _BLANK for b in chunk):
            out.append(FrameError(f"{len(chunk)} bytes between frames", chunk[:_MAX_EXCERPT]))

    @staticmethod
    def _next_header(buf: bytearray, start: int, end: int) -> int:
        """Index of the next ``##dddd`` in ``buf[start:end]``, or -1."""
        at = buf.find(b"##", start, end)
        while at >= 0:
            if at + 6 <= len(buf) and _length_digits(buf, at + 2) > 0:
                return at
            at = buf.find(b"##", at + 1, end)
        return -1

    def _scan(self, buf: bytearray, out: list[Frame | FrameError]) -> int:
        pos = 0
        size = len(buf)
        limit_size = self.max_frame_size
        # where the previous feed stopped searching for the end of the frame it waited on;
        # that frame now starts at offset 0 (the buffer was only appended to since)
        resume = self._searched
        self._searched = 0
        while pos < size:
            start = buf.find(b"##", pos)
            if start < 0:
                keep = size - 1 if buf[-1] == 0x23 else size  # a lone '#' may start '##'
                self._garbage(buf, pos, keep, out)
                return keep
            self._garbage(buf, pos, start, out)
            pos = start
            if size - start < 6:
                return pos
            digits = _length_digits(buf, start + 2)
            if digits <= 0:
                if buf[start + 2] == 0x23:  # '###': the first '#' is noise
                    pos = start + 1
                    continue
                if digits < 0:
                    return pos  # wait: '##087Q' may still become '##087QN='
                bad = bytes(buf[start : start + 6])
                out.append(FrameError("length field is not 4 digits", bad))
                pos = start + 2
                continue
            # an unpadded 1-3 digit length field is tolerated (parse_packet records it)
            seg_end = start + 2 + digits + int(buf[start + 2 : start + 2 + digits])
            crc_end = seg_end + 4
            # 1. the length field leads to a CRC (then CR LF, '##', the stream end, or noise
            #    after a segment that ends like a CP: '&&')
            if crc_end + 2 - start <= limit_size and crc_end <= size and _is_hex4(buf, seg_end):
                after = buf[crc_end : crc_end + 2]
                ends_cp = buf[seg_end - 2 : seg_end] == b"&&"
                if after == b"\r\n":
                    out.append(Frame(bytes(buf[start:crc_end]), True))
                    pos = crc_end + 2
                    continue
                if not after:
                    if ends_cp:
                        out.append(Frame(bytes(buf[start:crc_end]), None))
                        self._skip_crlf = True
                        return crc_end
                elif after == b"\r":
                    return pos  # wait for the LF
                elif after[:1] == b"\n":
                    out.append(Frame(bytes(buf[start:crc_end]), False, ("LF without CR",)))
                    pos = crc_end + 1
                    continue
                elif after == b"##" or ends_cp:
                    out.append(Frame(bytes(buf[start:crc_end]), False, ("missing CRLF",)))
                    pos = crc_end
                    continue
            # 2. otherwise the frame ends at the next CR LF or '##dddd' header
            window_end = min(size, start + limit_size + 2)
            search_from = start + 6
            if start == 0 and resume > search_from:
                search_from = resume
            crlf_at = buf.find(b"\r\n", search_from, window_end)
            header_at = self._next_header(buf, search_from, window_end)
            if crlf_at >= 0 and (header_at < 0 or crlf_at < header_at):
                out.append(Frame(bytes(buf[start:crlf_at]), True))
                pos = crlf_at + 2
                continue
            if header_at >= 0:
                out.append(Frame(bytes(buf[start:header_at]), False, ("missing CRLF",)))
                pos = header_at
                continue
            if size - start >= limit_size:
                out.append(
                    FrameError(
                        f"no frame end within {limit_size} bytes",
                        bytes(buf[start : start + _MAX_EXCERPT]),
                    )
                )
                pos = start + 2
                continue
            if start == 0:
                self._searched = max(search_from, window_end - 6)  # room for a split '##dddd'
            return pos
        return pos
