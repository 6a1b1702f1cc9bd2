"""CRC checks of HJ 212 packets.

HJ 212 uses its own 16-bit check, *not* CRC-16/MODBUS: before each byte the register is
shifted right by 8 (``crc = (crc >> 8) ^ byte``) instead of XOR-ing the byte into the low
byte. Only 8 bits of state carry between bytes, so the check has 256 possible values and
its low byte is always one of ``00 01 40 41 80 81 C0 C1``. Some data loggers send the
true CRC-16/MODBUS instead; :func:`crc16_modbus` supports them as a per-device opt-in.

References
----------
.. [1] HJ 212-2017, Appendix A (CRC check algorithm, C reference code, example ``1C80``).
.. [2] HJ 212-2025, Appendix A.1 (unchanged algorithm, example ``2200``).
"""

from __future__ import annotations

__all__ = ["HJ212_CRC_LOW_BYTES", "crc16_hj212", "crc16_hj212_chars", "crc16_modbus"]


def _arc_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _arc_table()
_HIGH = tuple(v >> 8 for v in _TABLE)  # the 8-bit state update: s' = H[s ^ byte]


def _powers() -> list[bytes]:
    tables = [bytes(range(256))]
    for _ in range(8):
        tables.append(bytes(_HIGH[v] for v in tables[-1]))
    if tables[8] != tables[0]:  # pragma: no cover - property of the 0xA001 table
        raise AssertionError("H**8 is not the identity")
    return tables[:8]


# H is linear over GF(2) (H[a ^ b] = H[a] ^ H[b]) and H**8 is the identity. So the state
# before the last byte is H**(n-1)[0xFF] ^ XOR_r H**r[X_r], where X_r is the XOR of the
# bytes at distance r (mod 8) from the end: the XOR-fold of the data into 8 bytes.
_P0, _P1, _P2, _P3, _P4, _P5, _P6, _P7 = _powers()
_INIT = tuple(table[0xFF] for table in (_P0, _P1, _P2, _P3, _P4, _P5, _P6, _P7))

HJ212_CRC_LOW_BYTES = frozenset({0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1})
"""The only possible low bytes of a correct HJ 212 CRC (a quick Modbus-vs-HJ 212 triage)."""


def crc16_hj212(data: bytes) -> int:
    """Return the HJ 212 CRC of ``data`` (the data segment, without ``##``, length and CRC).

    The register keeps only 8 bits between bytes, and that update is linear with period
    8, so the check is computed from the XOR-fold of the data into 8 bytes (a few
    big-integer operations instead of a Python loop over every byte); the result is
    identical to the standard's C code (tested).

    Parameters
    ----------
    data : bytes
        The data segment as sent on the wire (UTF-8 bytes).

    Returns
    -------
    int
        The 16-bit check value; packets write it as 4 hex digits, high byte first.

    References
    ----------
    .. [1] HJ 212-2017, Appendix A: ``crc_reg = (crc_reg >> 8) ^ byte`` then 8 rounds of
       shift/XOR ``0xA001``, initial value ``0xFFFF``.
    """
    n = len(data)
    if n == 0:
        return 0xFFFF
    v = int.from_bytes(data, "big")
    words = (n + 7) >> 3
    while words > 1:
        half = (words + 1) >> 1
        shift = half << 6
        v = (v >> shift) ^ (v & ((1 << shift) - 1))
        words = half
    state = (
        _INIT[(n - 1) & 7]
        ^ _P0[v & 0xFF]
        ^ _P1[(v >> 8) & 0xFF]
        ^ _P2[(v >> 16) & 0xFF]
        ^ _P3[(v >> 24) & 0xFF]
        ^ _P4[(v >> 32) & 0xFF]
        ^ _P5[(v >> 40) & 0xFF]
        ^ _P6[(v >> 48) & 0xFF]
        ^ _P7[(v >> 56) & 0xFF]
    )
    return _TABLE[state]


def crc16_hj212_chars(text: str) -> int:
    """Return the HJ 212 CRC computed over characters (code points), not bytes.

    Several Java/C#/Go implementations feed UTF-16 characters to the algorithm. The result
    equals :func:`crc16_hj212` for ASCII text and differs once any character is non-ASCII.
    Used only as a tolerant fallback.

    References
    ----------
    .. [1] HJ 212-2017, §6.3 (encoding) and Appendix A.
    """
    crc = 0xFFFF
    for char in text:
        crc = (crc >> 8) ^ ord(char)
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc & 0xFFFF


def crc16_modbus(data: bytes) -> int:
    """Return CRC-16/MODBUS of ``data`` (poly 0xA001 reflected, init 0xFFFF).

    Not the HJ 212 check: some loggers use it by mistake (opt-in per device).

    References
    ----------
    .. [1] Modbus over serial line V1.02, §6.2.2; HJ 212-2017 Appendix A for the contrast.
    """
    table = _TABLE
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
