"""CRC: the HJ 212 check versus CRC-16/MODBUS, on the standards' own examples."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lantian.protocol.hj212 import crc16_hj212, crc16_modbus
from lantian.protocol.hj212.crc import HJ212_CRC_LOW_BYTES, crc16_hj212_chars

STD_2017 = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&"
)
STD_2025 = (
    b"QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&"
)


def _reference_hj212(data: bytes) -> int:
    """The C code of HJ 212-2017 Appendix A, transcribed literally."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            lsb = crc & 1
            crc >>= 1
            if lsb:
                crc ^= 0xA001
    return crc


def test_standard_examples() -> None:
    assert crc16_hj212(STD_2017) == 0x1C80  # HJ 212-2017 Appendix A (the prose's 1C08 is a typo)
    assert crc16_hj212(STD_2025) == 0x2200  # HJ 212-2025 Appendix A.1
    assert crc16_modbus(STD_2017) == 0x0759
    assert crc16_modbus(STD_2025) == 0xCCF4


def test_long_inputs_match_the_c_code() -> None:
    import random

    rng = random.Random(7)
    for size in (1, 7, 8, 9, 63, 64, 65, 1024, 9999):
        data = bytes(rng.randrange(256) for _ in range(size))
        assert crc16_hj212(data) == _reference_hj212(data), size


def test_modbus_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37  # CRC-16/MODBUS catalogue check value


@given(st.binary(max_size=300))
def test_table_form_equals_the_standard_c_code(data: bytes) -> None:
    value = crc16_hj212(data)
    assert value == _reference_hj212(data)
    if data:
        assert value & 0xFF in HJ212_CRC_LOW_BYTES


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=100))
def test_char_crc_equals_byte_crc_for_ascii(text: str) -> None:
    assert crc16_hj212_chars(text) == crc16_hj212(text.encode())
