"""Readers for the HJ 212 packet files under tests/protocol/data (shared by the tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
REAL_PACKETS = DATA_DIR / "real_packets.txt"
PROBLEM_PACKETS = DATA_DIR / "hj212_with_problems.txt"
SHARED_SAMPLES = (
    Path(__file__).resolve().parents[3] / "shared" / "research" / "hj212" / "samples.txt"
)

_VERDICTS = re.compile(r"\[HJ212-CRC check, in order: ([^\]]*)\]")


@dataclass(frozen=True)
class RealPacket:
    """A real packet with the HJ 212 CRC verdict its group comment states."""

    source: str
    line: str
    verdict: str
    """``PASS``, ``FAIL``, ``FAIL(modbus-crc)``, ``FAIL(len+crc)``…"""


def read_real_packets(path: Path) -> list[RealPacket]:
    """Read a samples file: comment lines ``# source  [HJ212-CRC check, in order: …]``."""
    packets: list[RealPacket] = []
    source, verdicts = "", []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#") and not raw.startswith("##"):
            match = _VERDICTS.search(raw)
            if match:
                source = raw[1 : match.start()].strip()
                verdicts = [v.strip() for v in match.group(1).split(",")]
            continue
        if not raw.strip():
            continue
        if not verdicts:
            raise AssertionError(f"{path}: packet without a verdict comment: {raw[:40]}")
        packets.append(RealPacket(source, raw, verdicts.pop(0)))
    return packets


@dataclass(frozen=True)
class ProblemPacket:
    kind: str  # "error" or "deviation"
    expected: str
    line: str


def read_problem_packets(path: Path) -> list[ProblemPacket]:
    """Read ``# error: …`` / ``# deviation: …`` annotated packets."""
    out: list[ProblemPacket] = []
    pending: tuple[str, str] | None = None
    for raw in path.read_text(encoding="utf-8").split("\n"):
        if raw.startswith("# error: ") or raw.startswith("# deviation: "):
            kind, _, expected = raw[2:].partition(": ")
            pending = (kind, expected)
            continue
        if raw.startswith("#") and not raw.startswith("##"):
            continue
        if pending is not None:
            out.append(ProblemPacket(pending[0], pending[1], raw))
            pending = None
    return out
