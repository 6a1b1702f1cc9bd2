"""Slow and greedy clients against one web worker: page latency and server memory.

Runs ``create_app`` under uvicorn with the options of ``lantian serve`` (in a thread of this
process, on 127.0.0.1) over the seeded database of the web tests, then measures in one run:

1. the latency of a logged-in user's ``/leads`` page alone, and while ``--slow`` clients
   each send a ``POST /login`` body at 1 byte per second (the issue's attack: 4 such
   clients held all 4 request slots); printed as medians and their ratio;
2. this process's RSS growth while a client streams a chunked 400 MiB multipart upload
   (it is cut at the 60 MiB request limit and spooled to disk, not memory).

Timings are noisy on a shared machine; nothing here asserts a timing.

    .venv/bin/python bench/bench_web_slow_clients.py [--slow 6] [--pages 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", type=int, default=6, help="slow clients (default 6)")
    ap.add_argument("--pages", type=int, default=20, help="page requests per phase")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lantian-bench-slow-"))
    os.environ["LANTIAN_HOME"] = str(home)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import httpx
    from tests.security.web_live import live_server, login
    from tests.web.conftest import PASSWORD, seed

    from lantian.settings import get_settings

    settings = get_settings().model_copy(update={"http_body_timeout_s": 60.0})
    settings.ensure_home()
    seed(settings)
    with live_server(settings) as live, httpx.Client(base_url=live.url, timeout=30) as user:
        assert login(user, "ts_city", PASSWORD).status_code == 303

        def pages() -> list[float]:
            out = []
            for _ in range(args.pages):
                t0 = time.perf_counter()
                assert user.get("/leads").status_code == 200
                out.append((time.perf_counter() - t0) * 1000)
            return out

        pages()  # warm-up (first requests compile templates, fill caches)
        alone = pages()
        socks = [live.connect() for _ in range(args.slow)]
        head = (
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        )
        for s in socks:
            s.sendall(head)
        stop = threading.Event()

        def drip() -> None:
            while not stop.wait(1.0):
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.sendall(b"x")

        threading.Thread(target=drip, daemon=True).start()
        time.sleep(1.0)
        attacked = pages()
        stop.set()
        for s in socks:
            s.close()
        m0, m1 = statistics.median(alone), statistics.median(attacked)
        print(f"/leads median alone: {m0:.1f} ms; with {args.slow} slow bodies: {m1:.1f} ms")
        print(f"ratio attacked/alone: {m1 / m0:.2f} (before the fix: pages timed out)")

        rss0 = _rss_mb()
        s = live.connect()
        s.sendall(
            b"POST /api/cases/1/attachments HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * (1 << 20)
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        sent = 0
        t0 = time.perf_counter()
        with contextlib.suppress(OSError):
            for _ in range(400):
                s.sendall(frame)
                sent += 1
        s.settimeout(10)
        status = s.recv(200).split(b"\r\n", 1)[0].decode()
        s.close()
        rss1 = _rss_mb()
        print(
            f"400 MiB chunked upload: answered {status!r} after {sent} MiB sent, "
            f"{time.perf_counter() - t0:.1f} s; RSS {rss0:.0f} -> {rss1:.0f} MB "
            f"(+{rss1 - rss0:.0f} MB; before the fix +420 MB)"
        )


if __name__ == "__main__":
    main()
