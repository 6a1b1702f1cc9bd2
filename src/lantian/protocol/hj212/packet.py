"""Parse and build HJ 212 packets (HJ/T 212-2005, HJ 212-2017, HJ 212-2025).

A packet on the wire is ``##`` + 4-digit data-segment length + data segment + 4 hex-digit
CRC + CR LF. The data segment is ``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;][RF=…;]
CP=&&…&&``; the CP data area holds ``;``-separated groups of ``,``-separated
``key=value`` items, factor items being ``code-Suffix=value``.

:func:`parse_packet` is tolerant by default: it accepts the deviations real data loggers
produce and records each on :attr:`Packet.deviations` (see ``docs`` in hj212.md); with
``strict=True`` any deviation raises :class:`PacketError`. Malformed input always raises
:class:`PacketError` with a reason, never another exception.

References
----------
.. [1] HJ 212-2017, §6.3 (packet structure, Tables 2-4), §6.5 and Appendix C (responses),
   Appendix A (CRC).
.. [2] HJ 212-2025, §6.3.3 Table 3 (Flag version ``000010``, RF), §6.4 (SM4), Table 12
   (CN 9015 heartbeat).
.. [3] HJ/T 212-2005, §6 (packets without QN/Flag, short factor codes).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from lantian.protocol.hj212.codes import (
    COMMANDS,
    FACTOR_SUFFIXES,
    NUMERIC_SUFFIXES,
    is_encrypted_cn,
)
from lantian.protocol.hj212.crc import crc16_hj212, crc16_hj212_chars, crc16_modbus
from lantian.protocol.hj212.factors import CODES_2005, FACTORS
from lantian.protocol.hj212.framing import Frame
from lantian.protocol.hj212.sm4 import decrypt_cp, encrypt_cp, is_encrypted_cp
from lantian.timeutil import CST, now_cst

__all__ = [
    "MAX_CP_CHARS",
    "MAX_SEGMENT_BYTES",
    "Charset",
    "CrcKind",
    "Packet",
    "PacketError",
    "build_data_response",
    "build_execution_response",
    "build_heartbeat",
    "build_notification_response",
    "build_packet",
    "build_request_response",
    "build_split_packets",
    "format_cp",
    "make_qn",
    "parse_cp",
    "parse_packet",
]

MAX_SEGMENT_BYTES = 1024
"""Largest data segment allowed by HJ 212-2017 Table 2 (longer data must be split)."""
MAX_CP_CHARS = 950
"""Largest CP data area allowed by HJ 212-2017 Table 3."""

CrcKind = Literal["hj212", "modbus", "modbus_swapped", "either"]
"""The check a device uses; ``either`` accepts any of the three."""
FoundCrc = Literal["hj212", "modbus", "modbus_swapped"]
"""Which check matched (:attr:`Packet.crc_kind`)."""
Charset = Literal["auto", "utf-8", "gbk"]
"""Text encoding of the data segment: ``auto`` = UTF-8, else GBK when it decodes."""
Value = float | str
PolGroup = tuple[str, dict[str, dict[str, Value]]]
Version = Literal["2005", "2017", "2025"]

_VERSION_BITS: dict[str, int] = {"2005": 0, "2017": 4, "2025": 8}
_VERSION_NAMES = {0: "2005", 1: "2017", 2: "2025"}
_HEADER_ORDER = {"QN": 0, "ST": 1, "CN": 2, "PW": 3, "MN": 4, "Flag": 5, "PNUM": 6, "PNO": 7}
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_FIELD_START = re.compile(rb"(?:QN|ST|CN|PW|MN|Flag)=")
# factor suffixes (Table 4) that are no CP field on their own: a bare ``Flag=N`` or ``Rtd=1``
# (a value without its factor code) is recorded as a deviation
_CODELESS_SUFFIXES = frozenset(FACTOR_SUFFIXES) - {"Data"}
_NOISE_CODES = frozenset(
    {"LA", "L5", "L10", "L50", "L90", "L95", "Leq", "Ldn", "Ld", "Ln", "LMx", "LMn"}
)


class PacketError(ValueError):
    """The input is not an HJ 212 packet (or, in strict mode, not a conforming one).

    ``reason`` holds the human-readable cause; ``str(error)`` is the same text. ``packet``
    is what could be decoded when the failure came after the header (an SM4-encrypted CP
    without the right key, or strict mode): its header fields (QN, ST, CN, MN, Flag…) are
    kept, ``crc_ok`` is False unless the check was verified; None otherwise.
    """

    def __init__(self, reason: str, packet: Packet | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.packet = packet


@dataclass(slots=True)
class Packet:
    """One decoded HJ 212 packet.

    References
    ----------
    .. [1] HJ 212-2017, Table 3 (QN, ST, CN, PW, MN, Flag, PNUM, PNO, CP), Table 4 (CP
       fields); HJ 212-2025 Table 3 (RF).
    """

    raw: bytes
    """The frame as received, from ``##`` to the CRC (no CR LF)."""
    qn: str | None
    """Request id ``YYYYMMDDhhmmsszzz``; None if absent (HJ/T 212-2005 uploads)."""
    st: str
    """System code (Table 5), e.g. ``31`` flue gas, ``32`` wastewater, ``44`` electricity."""
    cn: str
    """Command code (Table 9), e.g. ``2011`` real-time, ``2051`` minute, ``2061`` hour."""
    pw: str
    mn: str
    """Data-logger id (EPC-96 as 24 hex chars in 2017; anything in practice)."""
    flag: int | None
    """Flag byte ``V5..V0 D A``; None if absent (HJ/T 212-2005)."""
    pnum: int | None = None
    pno: int | None = None
    rf: bool = False
    """HJ 212-2025 ``RF=1``: resent (补传) history data."""
    cp: str = ""
    """The CP data area between ``&&`` and ``&&`` (decrypted when it was SM4-encrypted)."""
    data_time: datetime | None = None
    """``DataTime`` as an aware datetime in China Standard Time (start of the period)."""
    factors: dict[str, dict[str, Value]] = field(default_factory=dict)
    """Factor code (as sent) → suffix → value; numeric suffixes are floats."""
    status: dict[str, dict[str, Value]] = field(default_factory=dict)
    """Facility status ``SBx-RS`` / ``SBx-RT``: facility → suffix → value."""
    params: dict[str, str] = field(default_factory=dict)
    """Other CP fields without a factor code (``DataTime``, ``QnRtn``, ``ExeRtn``…)."""
    crc_ok: bool = False
    crc_kind: FoundCrc | None = None
    """Which CRC matched (``hj212``, ``modbus``, ``modbus_swapped``), None if none did."""
    crc: int = 0
    """The CRC written in the packet."""
    length: int = 0
    """The declared data-segment length."""
    encrypted: bool = False
    """The CP was SM4-encrypted on the wire (HJ 212-2025 §6.4)."""
    extra: dict[str, str] = field(default_factory=dict)
    """Non-standard header fields."""
    pol_groups: list[PolGroup] = field(default_factory=list)
    """CP items per instrument: ``(PolId, code → suffix → value)`` for every ``PolId=``
    group in order (CN 3020 field-unit info, 3019…), repeated PolIds kept apart. Items
    after a ``PolId=`` belong to it (in its ``;`` group or the following ones) and are
    not in :attr:`factors`."""
    deviations: list[str] = field(default_factory=list)
    """Every deviation from the standard accepted in tolerant mode, in plain words."""

    @property
    def version(self) -> str:
        """``2005``, ``2017``, ``2025`` from the Flag version bits, or ``unknown``."""
        if self.flag is None:
            return "2005"
        return _VERSION_NAMES.get(self.flag >> 2, "unknown")

    @property
    def needs_ack(self) -> bool:
        """Flag bit A: the sender wants a response (9014 for data uploads)."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def split(self) -> bool:
        """Flag bit D: the packet is one fragment of a split packet (PNUM/PNO)."""
        return self.flag is not None and bool(self.flag & 2)

    @property
    def factors_2017(self) -> dict[str, dict[str, Value]]:
        """:attr:`factors` keyed by HJ 212-2017 codes (2005 codes ``01``, ``B02``… mapped).

        References
        ----------
        .. [1] HJ 212-2017, Appendix B, column "原编码".
        """
        if not any(code in CODES_2005 for code in self.factors):
            return self.factors
        out: dict[str, dict[str, Value]] = {}
        for code, values in self.factors.items():
            out.setdefault(CODES_2005.get(code, code), {}).update(values)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (keys as in the standard: ``QN``, ``ST``, ``CN``…)."""
        return {
            "crc_ok": self.crc_ok,
            "crc_kind": self.crc_kind,
            "version": self.version,
            "QN": self.qn,
            "ST": self.st,
            "CN": self.cn,
            "PW": self.pw,
            "MN": self.mn,
            "Flag": self.flag,
            "needs_ack": self.needs_ack,
            "PNUM": self.pnum,
            "PNO": self.pno,
            "RF": self.rf,
            "DataTime": self.data_time.isoformat() if self.data_time else None,
            "params": dict(self.params),
            "factors": {k: dict(v) for k, v in self.factors.items()},
            "status": {k: dict(v) for k, v in self.status.items()},
            "PolGroups": [
                {"PolId": pol, "factors": {k: dict(v) for k, v in items.items()}}
                for pol, items in self.pol_groups
            ],
            "encrypted": self.encrypted,
            "deviations": list(self.deviations),
        }


# --------------------------------------------------------------------------- parsing


def _is_hex4(value: bytes) -> bool:
    return len(value) == 4 and not value.translate(None, _HEX_DIGITS)


def _parse_data_time(text: str, deviations: list[str]) -> datetime | None:
    if len(text) not in (14, 17) or not text.isdigit():
        deviations.append(f"DataTime {text!r} is not YYYYMMDDhhmmss")
        return None
    try:
        value = datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            tzinfo=CST,
        )
    except ValueError:
        deviations.append(f"DataTime {text!r} is not a valid date and time")
        return None
    if len(text) == 17:
        deviations.append("DataTime with milliseconds")
        value = value.replace(microsecond=int(text[14:17]) * 1000)
    return value


def _standard_code(code: str) -> bool:
    if code in FACTORS or code in CODES_2005 or code in _NOISE_CODES:
        return True
    # HJ 212-2017 shape: one letter + 5 digits (a21026, w01018, g10201, i33101, e10101, d20105)
    return len(code) == 6 and code[0].isalpha() and code[1:].isdigit()


def _split_quoted(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` except inside ``//…//`` (HJ 212-2017 Table B.10 log text)."""
    parts: list[str] = []
    start = at = 0
    while True:
        open_at = text.find("//", at)
        cut = text.find(sep, at)
        if cut < 0:
            parts.append(text[start:])
            return parts
        if 0 <= open_at < cut:
            close_at = text.find("//", open_at + 2)
            if close_at < 0:  # unterminated: split normally from here on
                parts.extend(text[start:].split(sep))
                return parts
            at = close_at + 2
            continue
        parts.append(text[start:cut])
        start = at = cut + 1


def parse_cp(
    cp: str,
    deviations: list[str] | None = None,
    pol_groups: list[PolGroup] | None = None,
) -> tuple[dict[str, str], dict[str, dict[str, Value]], dict[str, dict[str, Value]]]:
    """Parse a CP data area (text between ``&&`` and ``&&``).

    Parameters
    ----------
    cp : str
        E.g. ``DataTime=20240122170000;a21026-Avg=12.3,a21026-Flag=N;SB1-RS=1``.
    deviations : list of str, optional
        Deviations found are appended here.
    pol_groups : list, optional
        When given, every ``PolId=`` starts a group appended here as ``(PolId, {})``; the
        factor items that follow it (in its ``;`` group or later ones, up to the next
        ``PolId``) go to that group instead of ``factors``, so several instruments'
        ``i12001-Info`` items of one CN 3020 packet are all kept. ``params["PolId"]`` is
        the last PolId, as without groups.

    Returns
    -------
    params, factors, status
        ``params``: fields without a factor code (``DataTime``, ``QnRtn``…);
        ``factors``: code → suffix → value (floats for numeric suffixes);
        ``status``: facility ``SBx`` → ``RS`` / ``RT`` → value.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.3 (``=`` joins, ``,`` separates values of one item, ``;``
       separates items) and Table 4 (fields and factor suffixes); Appendix C (CN 3020
       ``PolId`` + ``i1xxxx-Info`` per instrument).
    """
    devs: list[str] = [] if deviations is None else deviations
    group_target: dict[str, dict[str, Value]] | None = None
    params: dict[str, str] = {}
    factors: dict[str, dict[str, Value]] = {}
    status: dict[str, dict[str, Value]] = {}
    if not cp:
        return params, factors, status
    if cp[-1] == ";":
        devs.append("trailing semicolon in CP")
        cp = cp.rstrip(";")
    numeric = NUMERIC_SUFFIXES
    known_suffixes = FACTOR_SUFFIXES
    quoted = "//" in cp  # log text ``i11001-Info=//…//`` may contain ';' and ','
    split = _split_quoted if quoted else str.split
    for group in split(cp, ";"):
        if not group:
            devs.append("empty item in CP (';;')")
            continue
        if group[-1] == ",":
            devs.append(f"trailing comma in CP item {group!r}")
            group = group.rstrip(",")
        last_code = ""
        values: dict[str, Value] = {}
        for item in split(group, ","):
            key, sep, value = item.partition("=")
            if not sep:
                devs.append(f"CP item without '=': {item[:40]!r}")
                continue
            code, dash, suffix = key.partition("-")
            if not dash:
                if key == "PolId" and pol_groups is not None:
                    group_target = {}
                    pol_groups.append((value, group_target))
                    last_code = ""
                elif key in params:
                    devs.append(f"duplicate CP field {key}")
                if key in _CODELESS_SUFFIXES:
                    devs.append(f"CP item {key}={value[:20]!r} without a factor code")
                params[key] = value
                continue
            if code != last_code:
                last_code = code
                if code[:2] == "SB":
                    target = status
                elif group_target is not None:
                    target = group_target
                else:
                    target = factors
                found = target.get(code)
                if found is None:
                    found = target[code] = {}
                    if target is not status and not _standard_code(code):
                        devs.append(f"non-standard factor code {code!r}")
                values = found
            if suffix in values:
                devs.append(f"duplicate {key}")
            if suffix in numeric:
                try:
                    number = float(value)
                except ValueError:
                    number = math.nan
                if number - number == 0.0:  # finite
                    values[suffix] = number
                else:
                    devs.append(f"non-numeric value {key}={value[:20]!r}")
                    values[suffix] = value
            else:
                if suffix not in known_suffixes:
                    devs.append(f"non-standard suffix {suffix!r} in {key}")
                values[suffix] = value
    return params, factors, status


def _split_cp(rest: str, deviations: list[str]) -> str:
    """Return the CP content from the text after ``CP=``."""
    opens = rest.startswith("&&")
    closes = len(rest) >= 4 and rest.endswith("&&") if opens else rest.endswith("&&")
    if opens and closes:
        return rest[2:-2]
    if opens:
        deviations.append("CP without closing '&&'")
        return rest[2:]
    if closes:
        deviations.append("CP without opening '&&'")
        return rest[:-2]
    deviations.append("CP without '&&'")
    return rest


def _swap16(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def _check_crc(
    got: int,
    segment: bytes,
    text: str,
    mode: CrcKind,
    deviations: list[str],
) -> FoundCrc | None:
    hj212_mode = mode in ("hj212", "either")
    expected = crc16_hj212(segment)
    if hj212_mode and got == expected:
        return "hj212"
    modbus = crc16_modbus(segment)  # only on the slow path (a per-byte loop)
    if mode in ("modbus", "either") and got == modbus:
        return "modbus"
    if mode in ("modbus_swapped", "either") and got == _swap16(modbus):
        return "modbus_swapped"
    if hj212_mode and not text.isascii() and got == crc16_hj212_chars(text):
        deviations.append("CRC computed over characters, not UTF-8 bytes")
        return "hj212"
    if mode == "modbus":
        deviations.append(f"CRC mismatch: packet has {got:04X}, CRC-16/MODBUS is {modbus:04X}")
    elif mode == "modbus_swapped":
        deviations.append(
            f"CRC mismatch: packet has {got:04X}, byte-swapped CRC-16/MODBUS is "
            f"{_swap16(modbus):04X}"
        )
    else:
        hint = ""
        if mode == "hj212" and got == modbus:
            hint = " (the packet carries the CRC-16/MODBUS: enable crc='modbus' for this device)"
        elif mode == "hj212" and got == _swap16(modbus):
            hint = (
                " (the packet carries the byte-swapped CRC-16/MODBUS: enable"
                " crc='modbus_swapped' for this device)"
            )
        deviations.append(f"CRC mismatch: packet has {got:04X}, HJ 212 CRC is {expected:04X}{hint}")
    return None


def _decode_text(segment: bytes, charset: Charset, deviations: list[str]) -> str:
    """Decode the data segment: UTF-8 (HJ 212-2017 §6.3), or GBK as some loggers send."""
    if charset == "gbk":
        try:
            text = segment.decode("gb18030")
        except UnicodeDecodeError:
            deviations.append("data segment is not valid GBK")
            return segment.decode("gb18030", errors="replace")
        if not segment.isascii():
            deviations.append("data segment is GBK, not UTF-8")
        return text
    try:
        return segment.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if charset == "auto":
        try:
            text = segment.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            deviations.append("data segment is GBK, not UTF-8 (detected)")
            return text
    deviations.append("data segment is not valid UTF-8")
    return segment.decode("utf-8", errors="replace")


def parse_packet(
    data: bytes | bytearray | memoryview | str | Frame,
    *,
    strict: bool = False,
    crc: CrcKind = "hj212",
    sm4_key: bytes | None = None,
    sm4_keys: Mapping[str, bytes] | None = None,
    charset: Charset = "auto",
) -> Packet:
    """Decode one HJ 212 packet.

    Parameters
    ----------
    data : bytes, str or Frame
        One frame from ``##`` to the CRC, with or without the trailing CR LF, or a
        :class:`~lantian.protocol.hj212.framing.Frame` (its framing deviations are kept).
    strict : bool
        If True, any deviation from the standard raises :class:`PacketError`; otherwise
        deviations are accepted and listed on :attr:`Packet.deviations`. A CRC mismatch is
        a deviation too: in tolerant mode the packet is returned with ``crc_ok=False``.
    crc : {"hj212", "modbus", "modbus_swapped", "either"}
        Which check the device uses: the standard's (default), CRC-16/MODBUS (opt-in for
        loggers known to use it), CRC-16/MODBUS written low byte first (``modbus_swapped``,
        seen from real loggers), or any of them (``either``). :attr:`Packet.crc_kind`
        says which matched.
    sm4_key : bytes, optional
        The device's 16-byte SM4 key, to decrypt an HJ 212-2025 encrypted CP.
    sm4_keys : mapping of str to bytes, optional
        Keys per MN, used when ``sm4_key`` is not given (HJ 212-2025 §6.4: one key per
        data logger).
    charset : {"auto", "utf-8", "gbk"}
        Encoding of the text: ``auto`` (default) reads UTF-8 and, when the bytes are not
        UTF-8, GBK if they decode as GBK (a deviation says so); ``utf-8`` never guesses
        (invalid bytes become U+FFFD); ``gbk`` for loggers known to send GBK. Length and
        CRC are always over the bytes as sent.

    Returns
    -------
    Packet

    Raises
    ------
    PacketError
        The input is not a packet (with the reason), or ``strict`` and it deviates. When
        the header was decoded (strict mode, an encrypted CP without the right key) the
        error's ``packet`` holds it.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.1 Table 2 (frame), §6.3.2 Table 3 (data segment), §6.3.3
       (CP), Appendix A (CRC).
    .. [2] HJ 212-2025, §6.3.3 Table 3 (Flag, RF), §6.4 (SM4, CRC over plaintext).
    """
    deviations: list[str] = []
    if isinstance(data, Frame):
        frame = data.raw
        deviations += data.deviations
    elif isinstance(data, str):
        frame = data.encode("utf-8", errors="surrogateescape")
    elif isinstance(data, bytes | bytearray | memoryview):
        frame = bytes(data)
    else:
        raise PacketError(f"expected bytes or str, got {type(data).__name__}")
    try:
        packet = _parse(frame, deviations, crc, sm4_key, sm4_keys, charset)
    except PacketError:
        raise
    except Exception as exc:  # defensive: never leak another exception type
        raise PacketError(f"cannot decode packet: {type(exc).__name__}: {exc}") from None
    if strict and packet.deviations:
        raise PacketError("not a conforming packet: " + "; ".join(packet.deviations), packet=packet)
    return packet


def _parse(
    frame: bytes,
    deviations: list[str],
    crc_mode: CrcKind,
    sm4_key: bytes | None,
    sm4_keys: Mapping[str, bytes] | None = None,
    charset: Charset = "auto",
) -> Packet:
    if frame.endswith(b"\r\n"):
        frame = frame[:-2]
    elif frame.endswith((b"\n", b"\r")):
        deviations.append("line ends with a bare LF or CR, not CR LF")
        frame = frame.rstrip(b"\r\n")
    stripped = frame.strip(b" \t\r\n\x00")
    if not stripped:
        raise PacketError("empty input")
    if len(stripped) != len(frame):
        deviations.append("whitespace around the packet")
        frame = stripped
    if not frame.startswith(b"##"):
        start = frame.find(b"##")
        if start < 0:
            raise PacketError("no packet header '##'")
        deviations.append(f"{start} bytes of garbage before '##'")
        frame = frame[start:]
    if len(frame) < 10:
        raise PacketError(f"too short for a packet ({len(frame)} bytes)")
    length_field = frame[2:6]
    digits = 4
    if not length_field.isdigit():
        digits = len(length_field) - len(length_field.lstrip(b"0123456789"))
        # '##087QN=…': an unpadded 3-digit (or shorter) length field, written by some peers
        if not 1 <= digits <= 3 or not _FIELD_START.match(frame, 2 + digits):
            raise PacketError(f"length field {length_field.decode('latin-1')!r} is not 4 digits")
        deviations.append(f"length field of {digits} digits, not 4 (unpadded)")
    start = 2 + digits
    declared = int(frame[2:start])
    crc_field = frame[-4:]
    if not _is_hex4(crc_field):
        # bytes after the frame (e.g. '…&&2200**'): the length field locates the CRC, as
        # the framer does in a stream
        crc_at = start + declared
        if (
            len(frame) > crc_at + 4
            and frame[crc_at - 2 : crc_at] == b"&&"
            and _is_hex4(frame[crc_at : crc_at + 4])
        ):
            tail = frame[crc_at + 4 :]
            deviations.append(f"{len(tail)} bytes after the CRC ignored: {tail[:20]!r}")
            frame = frame[: crc_at + 4]
            crc_field = frame[-4:]
        else:
            raise PacketError(
                f"no CRC: the packet ends with {crc_field.decode('latin-1')!r}, not 4 hex digits"
            )
    got = int(crc_field, 16)
    if crc_field != crc_field.upper():
        deviations.append("lowercase CRC hex")
    segment = frame[start:-4]
    text = _decode_text(segment, charset, deviations)

    # ---- header fields
    cp_at = text.find(";CP=")
    if cp_at >= 0:
        header_text, rest = text[:cp_at], text[cp_at + 4 :]
    elif text.startswith("CP="):
        header_text, rest = "", text[3:]
    elif len(frame) - start < declared:
        raise PacketError(
            f"truncated packet: length field says {declared} bytes, "
            f"only {len(frame) - start} follow"
        )
    else:
        raise PacketError("no CP field (data segment has no 'CP=')")
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    last_rank = -1
    out_of_order = False
    for item in header_text.split(";"):
        if not item:
            deviations.append("empty header field (';;')")
            continue
        key, sep, value = item.partition("=")
        if not sep:
            deviations.append(f"header item without '=': {item[:40]!r}")
            continue
        rank = _HEADER_ORDER.get(key)
        if rank is None and key != "RF":
            extra[key] = value
            deviations.append(f"non-standard header field {key!r}")
            continue
        if key in fields:
            deviations.append(f"duplicate header field {key}")
        fields[key] = value
        if rank is not None:
            if rank < last_rank:
                out_of_order = True
            last_rank = rank
    if out_of_order:
        deviations.append("header fields out of the standard order")
    st = fields.get("ST")
    cn = fields.get("CN")
    if st is None:
        raise PacketError("missing ST (system code)")
    if cn is None:
        raise PacketError("missing CN (command code)")
    if len(cn) != 4 or not cn.isdigit():
        deviations.append(f"CN {cn!r} is not 4 digits")
    elif cn not in COMMANDS or COMMANDS[cn].versions == "vendor":
        deviations.append(f"non-standard CN {cn}")
    if len(st) != 2 or not st.isalnum():
        deviations.append(f"ST {st!r} is not 2 characters")
    qn = fields.get("QN")
    if qn is not None and (len(qn) != 17 or not qn.isdigit()):
        deviations.append(f"QN {qn!r} is not 17 digits")
    mn = fields.get("MN")
    if mn is None:
        deviations.append("missing MN")
        mn = ""
    elif not mn:
        deviations.append("empty MN")
    pw = fields.get("PW")
    if pw is None:
        deviations.append("missing PW")
        pw = ""
    flag: int | None = None
    flag_text = fields.get("Flag")
    if flag_text is None:
        pass  # HJ/T 212-2005: no Flag field (version 2005), judged by the 2005 rules
    elif flag_text.isdigit() and int(flag_text) <= 255:
        flag = int(flag_text)
        if flag >> 2 not in _VERSION_NAMES:
            deviations.append(f"unknown version bits in Flag={flag}")
    else:
        deviations.append(f"Flag {flag_text!r} is not an integer 0-255")
    pnum = _int_field(fields, "PNUM", deviations)
    pno = _int_field(fields, "PNO", deviations)
    is_split = flag is not None and bool(flag & 2)
    if (pnum is not None or pno is not None) and not is_split:
        deviations.append("PNUM/PNO present but Flag D bit not set")
    if is_split and (pnum is None or pno is None):
        deviations.append("Flag D bit set but PNUM/PNO missing")
    if pnum is not None and pno is not None and not 1 <= pno <= pnum:
        deviations.append(f"PNO={pno} outside 1..PNUM={pnum}")
    rf = False
    rf_text = fields.get("RF")
    if rf_text is not None:
        if rf_text in ("0", "1"):
            rf = rf_text == "1"
        else:
            deviations.append(f"RF {rf_text!r} is not 0 or 1")

    # ---- CP (decrypt when needed)
    cp = _split_cp(rest, deviations)
    encrypted = is_encrypted_cp(cp)
    crc_segment = segment
    crc_text = text
    if encrypted:
        if sm4_key is None and sm4_keys is not None:
            sm4_key = sm4_keys.get(mn)
        failure = None
        plain = ""
        if sm4_key is None:
            failure = "CP is SM4-encrypted (HJ 212-2025) and no key is known for this MN"
        else:
            try:
                plain = decrypt_cp(cp, sm4_key)
            except ValueError as exc:
                failure = f"cannot decrypt CP: {exc}"
        if failure is not None:
            # the header is plaintext: keep it on the error (the CRC, over the plaintext
            # segment, cannot be verified)
            partial = Packet(
                raw=frame,
                qn=qn,
                st=st,
                cn=cn,
                pw=pw,
                mn=mn,
                flag=flag,
                pnum=pnum,
                pno=pno,
                rf=rf,
                cp=cp,
                crc=got,
                length=declared,
                encrypted=True,
                extra=extra,
                deviations=[*deviations, failure],
            )
            raise PacketError(failure, packet=partial)
        crc_text = text[: len(text) - len(rest)] + rest.replace(cp, plain, 1)
        crc_segment = crc_text.encode("utf-8")
        cp = plain

    # ---- length
    actual = len(crc_segment) if encrypted else len(segment)
    if declared != actual and not (encrypted and declared == len(segment)):
        if declared == len(crc_text):
            deviations.append("length field counts characters, not UTF-8 bytes")
        else:
            deviations.append(
                f"length field mismatch: declared {declared}, data segment has {actual} bytes"
            )
    if actual > MAX_SEGMENT_BYTES:
        deviations.append(f"data segment of {actual} bytes exceeds {MAX_SEGMENT_BYTES}")
    if len(cp) > MAX_CP_CHARS:
        deviations.append(f"CP of {len(cp)} characters exceeds {MAX_CP_CHARS}")

    # ---- CRC
    crc_kind = _check_crc(got, crc_segment, crc_text, crc_mode, deviations)
    if crc_kind is None and encrypted:
        # some stacks compute the CRC over the transmitted (encrypted) segment
        alt = _check_crc(got, segment, text, crc_mode, [])
        if alt is not None:
            deviations[-1] = "CRC computed over the encrypted segment, not the plaintext"
            crc_kind = alt
    if crc_kind == "modbus" and crc_mode == "either":
        deviations.append("CRC-16/MODBUS instead of the HJ 212 CRC")
    elif crc_kind == "modbus_swapped" and crc_mode == "either":
        deviations.append("byte-swapped CRC-16/MODBUS (low byte first) instead of the HJ 212 CRC")

    pol_groups: list[PolGroup] = []
    params, factors, status = parse_cp(cp, deviations, pol_groups)
    data_time = None
    dt_text = params.get("DataTime")
    if dt_text is not None:
        data_time = _parse_data_time(dt_text, deviations)
    return Packet(
        raw=frame,
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=flag,
        pnum=pnum,
        pno=pno,
        rf=rf,
        cp=cp,
        data_time=data_time,
        factors=factors,
        status=status,
        params=params,
        crc_ok=crc_kind is not None,
        crc_kind=crc_kind,
        crc=got,
        length=declared,
        encrypted=encrypted,
        extra=extra,
        pol_groups=pol_groups,
        deviations=deviations,
    )


def _int_field(fields: dict[str, str], key: str, deviations: list[str]) -> int | None:
    value = fields.get(key)
    if value is None:
        return None
    if value.isdigit() and len(value) <= 4:
        return int(value)
    deviations.append(f"{key} {value!r} is not a number of at most 4 digits")
    return None


# --------------------------------------------------------------------------- building


def make_qn(when: datetime | None = None) -> str:
    """Return a QN ``YYYYMMDDhhmmsszzz`` (China Standard Time, milliseconds).

    References
    ----------
    .. [1] HJ 212-2017, Table 3 (QN).
    """
    moment = now_cst() if when is None else when.astimezone(CST)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return (
            value.astimezone(CST).strftime("%Y%m%d%H%M%S")
            if value.tzinfo
            else (value.strftime("%Y%m%d%H%M%S"))
        )
    if isinstance(value, date):
        return value.strftime("%Y%m%d000000")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot send a non-finite value {value!r}")
        text = repr(value)  # shortest text that reads back as the same float
        if "e" in text:
            text = format(Decimal(text), "f")  # HJ 212 numbers have no exponent
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot format {type(value).__name__} as a CP value")


def format_cp(cp: Mapping[str, object]) -> str:
    """Format a CP data area from a mapping.

    A value that is a mapping is a factor (``{"a21026": {"Rtd": 12.3, "Flag": "N"}}`` →
    ``a21026-Rtd=12.3,a21026-Flag=N``); other values are fields (``DataTime`` may be a
    datetime). Groups are joined by ``;`` in mapping order.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.3 and Table 4.
    """
    groups: list[str] = []
    for key, value in cp.items():
        if isinstance(value, Mapping):
            groups.append(",".join(f"{key}-{s}={_format_value(v)}" for s, v in value.items()))
        else:
            groups.append(f"{key}={_format_value(value)}")
    return ";".join(groups)


def build_packet(
    st: str,
    cn: str,
    mn: str,
    cp: str | Mapping[str, object] = "",
    *,
    qn: str | None = None,
    pw: str = "123456",
    flag: int | None = None,
    ack: bool = False,
    pnum: int | None = None,
    pno: int | None = None,
    version: Version = "2017",
    rf: bool = False,
    sm4_key: bytes | None = None,
    crc: Literal["hj212", "modbus"] = "hj212",
    check_limits: bool = True,
) -> bytes:
    """Build one HJ 212 frame: ``##`` + length + data segment + CRC + CR LF.

    Parameters
    ----------
    st, cn, mn : str
        System code, command code, data-logger id.
    cp : str or mapping
        CP content without the ``&&`` (str), or a mapping for :func:`format_cp`.
    qn : str, optional
        Request id; generated from the current time when None (omitted for 2005).
    pw : str
        Access password.
    flag : int, optional
        Explicit Flag byte. When None it is computed: version bits (2005 → 0, 2017 → 4,
        2025 → 8), plus D (2) when ``pnum`` is given, plus A (1) when ``ack``. A 2005
        packet with computed Flag 0 carries no Flag field.
    ack : bool
        Ask the receiver for a response (Flag bit A).
    pnum, pno : int, optional
        Split-packet total and number (sets the D bit).
    version : {"2017", "2025", "2005"}
    rf : bool
        HJ 212-2025 ``RF=1`` (resent history data); only with version 2025.
    sm4_key : bytes, optional
        Encrypt the CP with SM4-ECB (HJ 212-2025 §6.4) for the CNs the standard encrypts
        (2000-2999, 1014, 3020). The CRC and the length field are those of the plaintext
        segment, as in the standard's examples.
    crc : {"hj212", "modbus"}
        The check to write; ``modbus`` imitates loggers that use CRC-16/MODBUS (tests).
    check_limits : bool
        Refuse data segments over 1024 bytes and CP over 950 characters (split instead).

    Returns
    -------
    bytes
        The frame, ending in CR LF.

    Raises
    ------
    ValueError
        Invalid arguments, a separator inside a field, or a packet over the limits.

    References
    ----------
    .. [1] HJ 212-2017, §6.3 Tables 2-3, Appendix A; HJ 212-2025 Table 3 (Flag, RF), §6.4.
    """
    if version not in _VERSION_BITS:
        raise ValueError(f"version must be 2005, 2017 or 2025, not {version!r}")
    if (rf or sm4_key is not None) and version != "2025":
        raise ValueError("RF and SM4 encryption exist only in HJ 212-2025 (version='2025')")
    if (pnum is None) != (pno is None):
        raise ValueError("give both pnum and pno, or neither")
    cp_text = cp if isinstance(cp, str) else format_cp(cp)
    for name, value in (("ST", st), ("CN", cn), ("MN", mn), ("PW", pw), ("QN", qn or "")):
        if any(c in value for c in ";=&\r\n"):
            raise ValueError(f"{name} must not contain ';', '=', '&' or line breaks: {value!r}")
    if "&&" in cp_text or "\r" in cp_text or "\n" in cp_text:
        raise ValueError("CP content must not contain '&&' or line breaks")
    explicit_flag = flag is not None
    if flag is None:
        flag = _VERSION_BITS[version] | (2 if pnum is not None else 0) | (1 if ack else 0)
    elif not 0 <= flag <= 255:
        raise ValueError(f"flag must be 0-255, not {flag}")
    if qn is None and version != "2005":
        qn = make_qn()
    parts = []
    if qn:
        parts.append(f"QN={qn}")
    parts += [f"ST={st}", f"CN={cn}", f"PW={pw}", f"MN={mn}"]
    if flag or explicit_flag or version != "2005":
        parts.append(f"Flag={flag}")
    if pnum is not None:
        parts += [f"PNUM={pnum}", f"PNO={pno}"]
    if rf:
        parts.append("RF=1")
    head = ";".join(parts) + ";CP=&&"
    plain = f"{head}{cp_text}&&".encode()
    if check_limits:
        if len(plain) > MAX_SEGMENT_BYTES:
            raise ValueError(
                f"data segment of {len(plain)} bytes exceeds {MAX_SEGMENT_BYTES}: split it"
            )
        if len(cp_text) > MAX_CP_CHARS:
            raise ValueError(f"CP of {len(cp_text)} characters exceeds {MAX_CP_CHARS}: split it")
    if len(plain) > 9999:
        raise ValueError("data segment longer than 9999 bytes cannot be framed")
    wire = plain
    if sm4_key is not None and is_encrypted_cn(cn):
        wire = f"{head}{encrypt_cp(cp_text, sm4_key)}&&".encode()
    check = crc16_hj212(plain) if crc == "hj212" else crc16_modbus(plain)
    return b"##%04d%b%04X\r\n" % (len(plain), wire, check)


def build_split_packets(
    st: str,
    cn: str,
    mn: str,
    cp: str | Mapping[str, object],
    *,
    qn: str | None = None,
    max_cp_chars: int = MAX_CP_CHARS,
    **options: Any,
) -> list[bytes]:
    """Build an upload as one packet, or as split packets when its CP is too long.

    The CP items are distributed over fragments at item boundaries; every fragment
    repeats ``DataTime`` (and the other non-factor fields), has its own QN (the base QN
    plus the fragment index in milliseconds) and carries ``PNUM``/``PNO`` with the Flag D
    bit, so each is a complete packet that :class:`~lantian.protocol.hj212.Reassembler`
    merges back.

    Parameters
    ----------
    st, cn, mn, cp
        As for :func:`build_packet`.
    qn : str, optional
        QN of the first fragment (default: now).
    max_cp_chars : int
        Largest CP per fragment (the standard allows 950).
    **options
        Passed to :func:`build_packet` (``pw``, ``ack``, ``version``, ``rf``, ``sm4_key``…).

    References
    ----------
    .. [1] HJ 212-2017, Table 2-3 (segment ≤ 1024, CP ≤ 950, PNUM/PNO), Appendix C
       Tables C.49-C.50 (split uploads, one response per fragment).
    """
    cp_text = cp if isinstance(cp, str) else format_cp(cp)
    groups = [g for g in cp_text.split(";") if g]
    common = [g for g in groups if "-" not in g.partition("=")[0]]
    items = [g for g in groups if "-" in g.partition("=")[0]]
    head = ";".join(common)
    base = qn or make_qn()
    # room for CP in a fragment: the CP limit, and the segment limit minus the header
    header = build_packet(st, cn, mn, "", qn=base, pnum=9999, pno=9999, **options)
    budget = min(max_cp_chars, MAX_SEGMENT_BYTES - (len(header) - 12))
    chunks: list[list[str]] = [[]]
    size = len(head.encode())
    for item in items:
        extra = len(item.encode()) + 1
        if chunks[-1] and size + extra > budget:
            chunks.append([])
            size = len(head)
        chunks[-1].append(item)
        size += extra
    if len(chunks) == 1:
        return [build_packet(st, cn, mn, cp_text, qn=base, **options)]
    if len(base) != 17 or not base.isdigit():
        raise ValueError(f"QN {base!r} is not 17 digits")
    start = datetime.strptime(base[:14], "%Y%m%d%H%M%S").replace(microsecond=int(base[14:]) * 1000)
    frames = []
    for index, chunk in enumerate(chunks):
        fragment_qn = make_qn((start + timedelta(milliseconds=index)).replace(tzinfo=CST))
        body = ";".join([head, *chunk]) if head else ";".join(chunk)
        frames.append(
            build_packet(
                st, cn, mn, body, qn=fragment_qn, pnum=len(chunks), pno=index + 1, **options
            )
        )
    return frames


def _reply_flag(packet: Packet, ack: bool = False) -> int:
    bits = _VERSION_BITS.get(packet.version, 4)
    return bits | (1 if ack else 0)


def _reply(
    packet: Packet, cn: str, cp: str, pw: str | None, *, qn_in_cp_2005: bool = False
) -> bytes:
    version: Version = "2025" if packet.version == "2025" else "2017"
    qn = packet.qn or ""
    flag: int | None = _reply_flag(packet)
    if packet.version == "2005":
        version = "2005"
        flag = None  # no Flag field (HJ/T 212-2005 uploads usually carry none)
        if qn_in_cp_2005:
            # HJ/T 212-2005 request responses carry the request's QN inside CP, Flag=0
            flag = 0
            if qn:
                cp = f"QN={qn};{cp}" if cp else f"QN={qn}"
                qn = ""
    return build_packet(
        "91",
        cn,
        packet.mn,
        cp,
        qn=qn,
        pw=packet.pw if pw is None else pw,
        flag=flag,
        version=version,
        check_limits=False,
    )


def build_data_response(packet: Packet, *, pw: str | None = None) -> bytes:
    """Build the 9014 data response to an upload (send it when ``packet.needs_ack``).

    ``QN=<same>;ST=91;CN=9014;PW=<same>;MN=<same>;Flag=4|8;CP=&&&&``; each fragment of a
    split upload gets its own response echoing its own QN. For an HJ/T 212-2005 packet the
    reply has no Flag field.

    References
    ----------
    .. [1] HJ 212-2017, §6.5.2 and Appendix C Table C.14 (upload with response), C.49/C.50.
    .. [2] HJ 212-2025, Appendix C (Flag 8 replies).
    """
    return _reply(packet, "9014", "", pw)


def build_request_response(packet: Packet, qn_rtn: int = 1, *, pw: str | None = None) -> bytes:
    """Build the 9011 request response (``QnRtn``, Table 7: 1 = ready to execute).

    To an HJ/T 212-2005 request the reply is ``Flag=0;CP=&&QN=<request QN>;QnRtn=…&&``.

    References
    ----------
    .. [1] HJ 212-2017, §6.5.1, Table 7, Appendix C Table C.1.
    """
    return _reply(packet, "9011", f"QnRtn={qn_rtn}", pw, qn_in_cp_2005=True)


def build_execution_response(packet: Packet, exe_rtn: int = 1, *, pw: str | None = None) -> bytes:
    """Build the 9012 execution result (``ExeRtn``, Table 6: 1 = success, 100 = no data).

    References
    ----------
    .. [1] HJ 212-2017, §6.5.1, Table 6, Appendix C Table C.1.
    """
    return _reply(packet, "9012", f"ExeRtn={exe_rtn}", pw, qn_in_cp_2005=True)


def build_notification_response(packet: Packet, *, pw: str | None = None) -> bytes:
    """Build the 9013 notification response (also the answer to a 2025 heartbeat).

    References
    ----------
    .. [1] HJ 212-2017, §6.5.3 (notification, 2 steps); HJ 212-2025 Table 12 (9015 → 9013).
    """
    return _reply(packet, "9013", "", pw)


def build_heartbeat(
    mn: str, *, st: str = "31", pw: str = "123456", qn: str | None = None, ack: bool = True
) -> bytes:
    """Build an HJ 212-2025 heartbeat ``CN=9015`` (field unit → platform, ``CP=&&&&``).

    The field unit sends its own system code; ``ack=True`` (Flag=9) asks for a 9013.

    References
    ----------
    .. [1] HJ 212-2025, Table 12 (9015 心跳包, judges whether the connection is online).
    """
    return build_packet(st, "9015", mn, "", qn=qn, pw=pw, ack=ack, version="2025")
