"""HJ 212 protocol library: framing, parsing, building, CRC, SM4, split reassembly.

Covers HJ/T 212-2005 (read), HJ 212-2017 and HJ 212-2025 (read and write). Pure functions
and small stateful helpers (:class:`Framer`, :class:`Reassembler`); no I/O.

Example
-------
>>> from lantian.protocol.hj212 import build_packet, parse_packet
>>> frame = build_packet("31", "2011", "MN001", {"DataTime": "20240101000000",
...                      "a21026": {"Rtd": 12.5, "Flag": "N"}}, qn="20240101000000000")
>>> parse_packet(frame).factors["a21026"]
{'Rtd': 12.5, 'Flag': 'N'}

References
----------
.. [1] HJ 212-2017, 污染物在线监控（监测）系统数据传输标准.
.. [2] HJ 212-2025, 污染物自动监测监控系统数据传输技术要求 (effective 2026-01-01).
.. [3] HJ/T 212-2005, 污染源在线自动监控（监测）系统数据传输标准.
"""

from lantian.protocol.hj212.codes import (
    COMMANDS,
    DATA_FLAGS,
    DATA_FLAGS_2005,
    EXE_RTN,
    FACTOR_SUFFIXES,
    QN_RTN,
    SYSTEMS,
    command_meaning,
    is_encrypted_cn,
)
from lantian.protocol.hj212.crc import crc16_hj212, crc16_modbus
from lantian.protocol.hj212.factors import (
    AMBIENT_VARIABLE_MAP,
    CODES_2005,
    FACTORS,
    VARIABLE_MAP,
    Factor,
    code_2017,
    lake_pollutant,
)
from lantian.protocol.hj212.files import parse_lines, parse_stream, read_packets, read_sm4_keys
from lantian.protocol.hj212.framing import DEFAULT_MAX_FRAME_SIZE, Frame, FrameError, Framer
from lantian.protocol.hj212.packet import (
    MAX_CP_CHARS,
    MAX_SEGMENT_BYTES,
    Packet,
    PacketError,
    build_data_response,
    build_execution_response,
    build_heartbeat,
    build_notification_response,
    build_packet,
    build_request_response,
    build_split_packets,
    format_cp,
    make_qn,
    parse_cp,
    parse_packet,
)
from lantian.protocol.hj212.reassembly import Reassembler, merge_fragments
from lantian.protocol.hj212.sm4 import OFFICIAL_TEST_KEY, decrypt_cp, encrypt_cp

__all__ = [
    "AMBIENT_VARIABLE_MAP",
    "CODES_2005",
    "COMMANDS",
    "DATA_FLAGS",
    "DATA_FLAGS_2005",
    "DEFAULT_MAX_FRAME_SIZE",
    "EXE_RTN",
    "FACTORS",
    "FACTOR_SUFFIXES",
    "MAX_CP_CHARS",
    "MAX_SEGMENT_BYTES",
    "OFFICIAL_TEST_KEY",
    "QN_RTN",
    "SYSTEMS",
    "VARIABLE_MAP",
    "Factor",
    "Frame",
    "FrameError",
    "Framer",
    "Packet",
    "PacketError",
    "Reassembler",
    "build_data_response",
    "build_execution_response",
    "build_heartbeat",
    "build_notification_response",
    "build_packet",
    "build_request_response",
    "build_split_packets",
    "code_2017",
    "command_meaning",
    "crc16_hj212",
    "crc16_modbus",
    "decrypt_cp",
    "encrypt_cp",
    "format_cp",
    "is_encrypted_cn",
    "lake_pollutant",
    "make_qn",
    "merge_fragments",
    "parse_cp",
    "parse_lines",
    "parse_packet",
    "parse_stream",
    "read_packets",
    "read_sm4_keys",
]
