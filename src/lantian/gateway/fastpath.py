"""The gateway's hot path: CRC, framing, header fields and the 9014 answer, made cheap.

The full decoder (:mod:`lantian.protocol.hj212`) runs later, off the acknowledgement path,
when packets go from the archive to the lake. Here we only need what decides whether a
packet is accepted and answered: a valid frame, a correct CRC and the header fields
(QN, ST, CN, PW, MN, Flag) plus ``DataTime``.

The CRC is the protocol library's :func:`~lantian.protocol.hj212.crc16_hj212` (a few
big-integer operations per packet instead of a loop over every byte); devices with the
CRC-16/MODBUS opt-in are checked, and answered, with
:func:`~lantian.protocol.hj212.crc16_modbus` by the server.

Frames are found by the 4-digit length field; an unpadded 1-3 digit field
(``##087QN=…``, written by some peers) is read by the protocol library's rule (only when
a header field such as ``QN=`` follows) and reported as the tolerated deviation
:data:`UNPADDED`, so the frame is answered like any other. Devices with the byte-swapped
CRC-16/MODBUS opt-in are checked and answered with :func:`crc16_modbus_swapped`.

HJ 212-2025 encrypted packets carry the length (and CRC) of the *plaintext* segment; a
frame whose announced end is not followed by CR LF or ``##`` (and whose segment does not
end with ``&&``) is therefore cut at the next CR LF instead.

References
----------
.. [1] HJ 212-2017, §6.3 (frame: ``##``, 4-digit length, data segment, CRC, CR LF),
   Table 3 (Flag bits ``V5..V0 D A``), Appendix A (CRC), Table 9 (CN 9014 data response).
.. [2] HJ 212-2025, §6.3.3 Table 3 (Flag version 2: 8-11), Appendix A.1.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lantian.protocol.hj212.crc import crc16_hj212, crc16_modbus
from lantian.protocol.hj212.framing import _length_digits

__all__ = [
    "MAX_DATA_LEN",
    "UNPADDED",
    "FrameError",
    "Framer",
    "build_ack",
    "crc16_modbus_swapped",
    "crc_matches",
    "data_time_of",
    "header_fields",
]

_DATA_TIME = re.compile(rb"DataTime=(\d*)")

MAX_DATA_LEN = 9999
"""The largest data segment the 4-digit length field can announce (bytes)."""

UNPADDED = "unpadded_length"
"""Problem kind of a frame whose length field has 1-3 digits: a tolerated deviation (the
frame is among the framed ones), not an error."""


def crc16_modbus_swapped(data: bytes) -> int:
    """Return CRC-16/MODBUS of ``data`` with its two bytes swapped (low byte first).

    The check some real loggers write (``crc_kind`` ``modbus_swapped`` of the protocol
    library); their answers carry it too.

    References
    ----------
    .. [1] Modbus over serial line V1.02, §6.2.2 (CRC sent low byte first on the wire).
    .. [2] HJ 212-2017, Appendix A (the HJ 212 check, for the contrast).
    """
    crc = crc16_modbus(data)
    return ((crc & 0xFF) << 8) | (crc >> 8)


def crc_matches(crc_txt: bytes, data: bytes, crc: Callable[[bytes], int] = crc16_hj212) -> bool:
    """True when the 4 hex digits ``crc_txt`` are the check ``crc(data)`` of the segment.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.1 Table 2 (CRC as 4 hex digits), Appendix A.
    """
    try:
        return len(crc_txt) == 4 and int(crc_txt, 16) == crc(data)
    except ValueError:
        return False


class FrameError(Exception):
    """A frame-level problem; ``kind`` is the metrics label (``malformed``, ``oversize``)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Framer:
    """Incremental HJ 212 framer: feed bytes, get ``(data_segment, crc_ok, raw_frame)``.

    Frames are found by the 4-digit length, not by CR LF (real captures glue frames
    together); an unpadded 1-3 digit length followed by a header field is read too and
    reported as a problem of kind :data:`UNPADDED` (the frame is still returned). Garbage
    before ``##`` is skipped and reported once per run.

    Parameters
    ----------
    max_data_len : int
        Largest accepted data segment in bytes; a larger announced length raises
        :class:`FrameError` ``oversize`` (the connection should be closed).

    References
    ----------
    .. [1] HJ 212-2017, §6.3.1 Table 2 (frame layout; data segment ≤ 1024 characters).
    """

    __slots__ = ("_buf", "max_data_len", "partial_since")

    def __init__(self, max_data_len: int = 4096) -> None:
        self._buf = b""
        self.max_data_len = max_data_len
        self.partial_since: float | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet framed."""
        return len(self._buf)

    def feed(
        self, chunk: bytes
    ) -> tuple[list[tuple[bytes, bool, bytes]], list[tuple[str, str]], FrameError | None]:
        """Add ``chunk``; return complete frames, skipped-garbage problems and a fatal error.

        Returns
        -------
        frames : list of (data, crc_ok, raw)
            ``data`` is the data segment, ``raw`` the whole frame without CR LF.
        problems : list of (kind, reason)
            Non-fatal problems (bytes skipped while resynchronising, bad length digits)
            and tolerated deviations (:data:`UNPADDED`: the frame is in ``frames``).
        fatal : FrameError or None
            ``oversize``: the caller should close the connection.
        """
        buf = self._buf + chunk if self._buf else chunk
        frames: list[tuple[bytes, bool, bytes]] = []
        problems: list[tuple[str, str]] = []
        pos = 0
        end = len(buf)
        oversize: str | None = None
        while pos < end:
            if buf.startswith(b"##", pos):
                if end - pos < 6:
                    break
                digits = buf[pos + 2 : pos + 6]
                head = 6  # '##' and the length field
                if digits.isdigit():
                    n = int(digits)
                else:
                    # an unpadded 1-3 digit field ('##087QN=…'): the library's rule
                    width = _length_digits(buf, pos + 2)
                    if width < 0:
                        break  # '##87QN' may still become '##87QN=': wait for more
                    if width == 0:
                        problems.append(("malformed", f"bad length field {digits!r}"))
                        pos += 2
                        continue
                    head = 2 + width
                    n = int(buf[pos + 2 : pos + head])
                if n > self.max_data_len:
                    oversize = f"data segment of {n} bytes announced"
                    break
                stop = pos + head + 4 + n
                if stop > end:
                    break
                data = buf[pos + head : pos + head + n]
                if (
                    data.endswith(b"&&")
                    or buf.startswith(b"\r\n", stop)
                    or buf.startswith(b"##", stop)
                ):
                    try:
                        crc_ok = int(buf[pos + head + n : stop], 16) == crc16_hj212(data)
                    except ValueError:
                        crc_ok = False
                    frames.append((data, crc_ok, buf[pos:stop]))
                    if head != 6:
                        problems.append((UNPADDED, f"length field of {head - 2} digits, not 4"))
                    pos = stop
                    if buf.startswith(b"\r\n", pos):
                        pos += 2
                    continue
                # the length field does not fit (HJ 212-2025 encrypted CP: it counts the
                # plaintext): the frame ends at the next CR LF
                crlf = buf.find(b"\r\n", pos + head)
                if crlf < 0:
                    if end - pos > self.max_data_len + 12:
                        oversize = "no CR LF within the largest frame"
                    break
                raw = buf[pos:crlf]
                if len(raw) < head + 8:
                    problems.append(("malformed", f"frame of {len(raw)} bytes"))
                else:
                    frames.append((raw[head:-4], crc_matches(raw[-4:], raw[head:-4]), raw))
                    if head != 6:
                        problems.append((UNPADDED, f"length field of {head - 2} digits, not 4"))
                pos = crlf + 2
                continue
            nxt = buf.find(b"##", pos)
            if nxt < 0:
                # keep a trailing '#' that may start the next frame
                keep = end - 1 if buf.endswith(b"#") else end
                skipped = buf[pos:keep]
                if skipped.strip(b"\r\n"):
                    problems.append(("malformed", f"{len(skipped)} bytes outside a frame"))
                pos = keep
                break
            skipped = buf[pos:nxt]
            if skipped.strip(b"\r\n"):
                problems.append(("malformed", f"{len(skipped)} bytes outside a frame"))
            pos = nxt
        if oversize is not None:
            self._buf = b""
            return frames, problems, FrameError("oversize", oversize)
        self._buf = buf[pos:] if pos < end else b""
        return frames, problems, None


def header_fields(data: bytes) -> dict[bytes, bytes]:
    """Return the data-segment fields before ``CP=`` (QN, ST, CN, PW, MN, Flag, PNUM, PNO, RF).

    Fields are taken by name, not position (real loggers put MN before PW).

    References
    ----------
    .. [1] HJ 212-2017, §6.3.2 Table 3.
    """
    cp = data.find(b"CP=")
    head = data if cp < 0 else data[:cp]
    out: dict[bytes, bytes] = {}
    for item in head.split(b";"):
        key, sep, value = item.partition(b"=")
        if sep:
            out[key] = value
    return out


def data_time_of(data: bytes) -> bytes:
    """Return the ``DataTime`` digits of the CP area (``b""`` if absent).

    References
    ----------
    .. [1] HJ 212-2017, Table 4 (``DataTime``, N14; some loggers add milliseconds).
    """
    m = _DATA_TIME.search(data)
    return m.group(1) if m else b""


def build_ack(
    qn: bytes,
    pw: bytes,
    mn: bytes,
    flag: int,
    cn: bytes = b"2011",
    crc: Callable[[bytes], int] = crc16_hj212,
) -> bytes:
    """Return the complete answer frame (with CRC and CR LF) to an upload asking for one.

    Uploads get the 9014 data response; an HJ 212-2025 heartbeat (9015) gets the 9013
    notification response. The answer echoes QN, PW and MN, uses ST=91 and carries the
    request's version bits with A=0 and D=0 (Flag 4 for HJ 212-2017, 8 for HJ 212-2025;
    no Flag field for HJ/T 212-2005), as :func:`lantian.protocol.hj212.build_data_response`.
    ``crc`` is the check of the device (``crc16_modbus`` for the CRC-16/MODBUS opt-in).

    References
    ----------
    .. [1] HJ 212-2017, Appendix C Table C.14 (upload → 9014, ``CP=&&&&``), Table 3 (Flag).
    .. [2] HJ 212-2025, Table 12 (9015 heartbeat → 9013).
    """
    version = flag >> 2
    if version > 2:
        version = 1
    answer = b"9013" if cn == b"9015" else b"9014"
    qn_part = b"QN=%s;" % qn if qn else b""
    flag_part = b"Flag=%d;" % (version << 2) if version else b""
    data = b"%sST=91;CN=%s;PW=%s;MN=%s;%sCP=&&&&" % (qn_part, answer, pw, mn, flag_part)
    return b"##%04d%s%04X\r\n" % (len(data), data, crc(data))
