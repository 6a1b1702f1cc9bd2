"""The gateway's hot-path framer (``gateway/fastpath.Framer``) alone, in one run.

Frames a stream of realistic hourly CEMS packets cut into 1,460-byte TCP-sized chunks:
with the standard 4-digit length field, and the same packets with an unpadded length
field (``##587QN=…``, tolerated and counted as a deviation), beside the protocol library's
framer on the padded stream (which does not check the CRC; the gateway's framer does).
Rates are per CPU second of this process (best of ``--repeat`` interleaved rounds); the
machine may be shared, so compare the ratios.

Run: ``.venv/bin/python bench/bench_gateway_framer.py [--packets 20000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from lantian.gateway.fastpath import UNPADDED, Framer
from lantian.protocol.hj212 import Framer as LibraryFramer
from lantian.protocol.hj212.packet import build_packet

CHUNK = 1460


def _stream(n: int, unpadded: bool) -> bytes:
    out = []
    for i in range(n):
        cp = f"DataTime=2024010{1 + i % 9}{i % 24:02d}0000;" + ";".join(
            f"a{code}-Avg={10 + i % 7}.{i % 10},a{code}-Min=1.0,a{code}-Max=20.0,"
            f"a{code}-ZsAvg=12.5,a{code}-Flag=N"
            for code in ("21026", "21002", "34013", "00000", "19001", "01011", "01012")
        )
        frame = build_packet("31", "2061", f"MN{i % 500:010d}", cp, ack=True)
        if unpadded and frame[2:3] == b"0":
            frame = b"##%d" % int(frame[2:6]) + frame[6:]
        out.append(frame)
    return b"".join(out)


def _gateway(stream: bytes) -> tuple[int, int]:
    framer = Framer()
    frames = deviations = 0
    for i in range(0, len(stream), CHUNK):
        got, problems, _ = framer.feed(stream[i : i + CHUNK])
        frames += len(got)
        deviations += sum(kind == UNPADDED for kind, _ in problems)
    return frames, deviations


def _library(stream: bytes) -> tuple[int, int]:
    framer = LibraryFramer()
    frames = 0
    for i in range(0, len(stream), CHUNK):
        frames += len(framer.feed(stream[i : i + CHUNK]))
    return frames, 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    padded, unpadded = _stream(args.packets, False), _stream(args.packets, True)
    runs: dict[str, tuple[Callable[[bytes], tuple[int, int]], bytes]] = {
        "gateway framer, 4-digit length": (_gateway, padded),
        "gateway framer, unpadded length": (_gateway, unpadded),
        "library framer, 4-digit length": (_library, padded),
    }
    best = dict.fromkeys(runs, float("inf"))
    load_start = os.getloadavg()
    for _ in range(args.repeat):
        for name, (fn, stream) in runs.items():
            t0 = time.process_time()
            frames, deviations = fn(stream)
            best[name] = min(best[name], time.process_time() - t0)
            expect = args.packets if "unpadded" in name else 0
            if frames != args.packets or deviations != expect:
                raise SystemExit(f"{name}: {frames} frames, {deviations} deviations")
    base = best["gateway framer, 4-digit length"]
    print(
        f"{args.packets} packets, {len(padded) / args.packets:.0f} bytes each, {CHUNK}-byte chunks"
    )
    for name, seconds in best.items():
        rate = args.packets / seconds
        print(f"{name:34s} {rate:12,.0f} packets/s CPU  (CPU time {seconds / base:.2f}x row 1)")
    print(f"load average start {load_start}, end {os.getloadavg()}")


if __name__ == "__main__":
    main()
