"""Decode throughput of the HJ 212 library alone (no storage, no network).

Builds a realistic mix of CEMS packets (60 % real-time 2011, 30 % minute 2051, 10 % hourly
2061; 8 flue-gas factors each, as a typical stack sends) plus the real sample packets,
then measures in one run:

* ``parse_packet`` on single packets (packets/s, MB/s);
  rates are per CPU second of this process (best of ``--repeat`` interleaved rounds), the
  wall-clock rate is printed beside them (it drops when other processes load the machine);
* ``Framer.feed`` + ``parse_packet`` on one stream cut into 1,460-byte TCP-sized chunks;
* the HJ 212 CRC alone (share of the parse time).

Target from the issue: the gateway needs > 8,000 packets/s per process *including*
storage, so the library alone should be well above that.

Run: ``.venv/bin/python bench/bench_hj212_decode.py [--packets 20000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from lantian.protocol.hj212 import Framer, build_packet, crc16_hj212, parse_packet
from lantian.timeutil import CST

TARGET_PACKETS_PER_S = 8_000
SAMPLES = Path(__file__).resolve().parents[1] / "tests/protocol/data/real_packets.txt"

# code: (typical value, spread)
STACK = {
    "a00000": (85.0, 10.0),
    "a01011": (12.0, 2.0),
    "a01012": (55.0, 5.0),
    "a01013": (-0.2, 0.1),
    "a01014": (8.0, 1.0),
    "a19001": (9.5, 1.5),
    "a21026": (18.0, 6.0),
    "a21002": (45.0, 12.0),
    "a34013": (3.2, 1.0),
}


def _value(rng: random.Random, code: str) -> float:
    mean, spread = STACK[code]
    return round(rng.gauss(mean, spread), 3)


def make_mix(count: int, seed: int = 212) -> list[bytes]:
    """Build ``count`` packets: 60 % CN=2011, 30 % CN=2051, 10 % CN=2061."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=CST)
    packets = []
    for i in range(count):
        mn = f"0100{rng.randrange(10**6):06d}16F000169DC0"[:24]
        when = start + timedelta(minutes=i)
        roll = rng.random()
        cp: dict[str, object] = {"DataTime": when}
        if roll < 0.6:
            cn = "2011"
            for code in STACK:
                values: dict[str, object] = {"Rtd": _value(rng, code), "Flag": "N"}
                if code in ("a21026", "a21002", "a34013"):
                    values["ZsRtd"] = round(float(values["Rtd"]) * 1.4, 3)  # type: ignore[arg-type]
                cp[code] = values
        else:
            cn = "2051" if roll < 0.9 else "2061"
            for code in STACK:
                avg = _value(rng, code)
                values = {"Min": round(avg * 0.9, 3), "Avg": avg, "Max": round(avg * 1.1, 3)}
                if code in ("a21026", "a21002", "a34013"):
                    values["ZsAvg"] = round(avg * 1.4, 3)
                    values["Cou"] = round(avg * 0.3, 3)
                values["Flag"] = "N"
                cp[code] = values
        packets.append(build_packet("31", cn, mn, cp, ack=rng.random() < 0.5, check_limits=False))
    return packets


def _measure(fn: object) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds of this process) for one call of ``fn``."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    packets = make_mix(args.packets)
    if SAMPLES.is_file():
        real = [
            line.encode() + b"\r\n"
            for line in SAMPLES.read_text(encoding="utf-8").splitlines()
            if line.startswith("##")
        ]
        packets += real * max(1, args.packets // 200)  # ~10 % real-world packets
    random.Random(1).shuffle(packets)
    total_bytes = sum(len(p) for p in packets)
    n = len(packets)
    mean_len = total_bytes / n
    print(f"mix: {n} packets, {total_bytes / 1e6:.2f} MB, mean {mean_len:.0f} bytes/packet")

    # sanity: every synthetic packet decodes with a good CRC
    bad = sum(not parse_packet(p).crc_ok for p in packets[:2000])
    print(f"check: {bad} of {min(n, 2000)} sampled packets fail the CRC (real bad samples)")

    def parse_all() -> None:
        for p in packets:
            parse_packet(p)

    stream = b"".join(packets)
    chunks = [stream[i : i + 1460] for i in range(0, len(stream), 1460)]

    def frame_and_parse() -> None:
        framer = Framer()
        count = 0
        for chunk in chunks:
            for item in framer.feed(chunk):
                parse_packet(item)  # type: ignore[arg-type]
                count += 1
        assert count == n, (count, n)

    segments = [p[6:-6] for p in packets]

    def crc_all() -> None:
        for s in segments:
            crc16_hj212(s)

    # interleave the measurements (best of --repeat rounds) so that load from other
    # processes on a shared machine hits them alike; CPU time of this process is the
    # figure that matters for "per process" throughput, wall time is shown beside it
    names = ("parse_packet", "Framer + parse_packet", "crc16_hj212 only")
    funcs = (parse_all, frame_and_parse, crc_all)
    wall = dict.fromkeys(names, float("inf"))
    cpu = dict.fromkeys(names, float("inf"))
    for _ in range(args.repeat):
        for name, fn in zip(names, funcs, strict=True):
            w, c = _measure(fn)
            wall[name] = min(wall[name], w)
            cpu[name] = min(cpu[name], c)
    for name in names:
        rate, mbps = n / cpu[name], total_bytes / cpu[name] / 1e6
        print(
            f"{name:24s} {rate:10,.0f} packets/s  {mbps:6.2f} MB/s"
            f"  ({cpu[name] * 1e6 / n:5.1f} µs/packet CPU; wall {n / wall[name]:,.0f} packets/s)"
        )
    t_parse, t_stream, t_crc = (cpu[name] for name in names)
    print(f"CRC share of parse time: {t_crc / t_parse:.0%}")
    ratio = (n / t_stream) / TARGET_PACKETS_PER_S
    print(
        f"Framer + parse vs gateway target {TARGET_PACKETS_PER_S:,} packets/s "
        f"(which includes storage): {ratio:.1f}x"
    )


if __name__ == "__main__":
    main()
