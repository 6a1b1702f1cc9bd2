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
_HIGH = bytes(v >> 8 for v in _TABLE)  # next 8-bit state of the HJ 212 register

HJ212_CRC_LOW_BYTES = frozenset({0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1})
"""The only possible low bytes of a correct HJ 212 CRC (a quick Modbus-vs-HJ 212 triage)."""


def crc16_hj212(data: bytes) -> int:
    """Return the HJ 212 CRC of ``data`` (the data segment, without ``##``, length and CRC).

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
    if not data:
        return 0xFFFF
    high = _HIGH
    state = 0xFF
    for byte in data[:-1]:
        state = high[state ^ byte]
    return _TABLE[state ^ data[-1]]


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
