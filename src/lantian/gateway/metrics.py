"""Gateway metrics in the Prometheus text exposition format (no client library needed).

Served on ``/metrics`` of a small HTTP port (``LANTIAN_GATEWAY_METRICS_PORT``).
"""

from __future__ import annotations

import asyncio
import bisect
import hmac
import json
from collections import Counter
from collections.abc import Callable

__all__ = ["Histogram", "Metrics", "serve_http"]

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
"""Upper bounds (seconds) of the 9014 answer-latency histogram."""


class Histogram:
    """A cumulative histogram with fixed bucket bounds (seconds)."""

    __slots__ = ("bounds", "count", "counts", "total")

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        """Add one observation."""
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.total += value

    def render(self, name: str) -> list[str]:
        """Prometheus lines for this histogram."""
        out = []
        cumulative = 0
        for bound, n in zip(self.bounds, self.counts, strict=False):
            cumulative += n
            out.append(f'{name}_bucket{{le="{bound}"}} {cumulative}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        out.append(f"{name}_sum {self.total:.6f}")
        out.append(f"{name}_count {self.count}")
        return out


class Metrics:
    """All gateway counters; cheap to update on the hot path."""

    def __init__(self) -> None:
        self.packets: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.deviations: Counter[str] = Counter()
        """Tolerated deviations of processed frames (e.g. ``unpadded_length``), by kind."""
        self.acks = 0
        self.batches = 0
        self.batch_records = 0
        self.lake_rows: Counter[str] = Counter()
        self.ack_latency = Histogram()
        self.commit_latency = Histogram()
        """Seconds of each group commit's write + fdatasync (in the WAL thread)."""
        self.loop_lag = Histogram()
        """Seconds the event loop was late for a 50 ms tick (blocked by CPU or the GIL)."""
        self.gauges: dict[str, Callable[[], float]] = {}

    def render(self) -> str:
        """The whole exposition text."""
        gauges = {name: fn() for name, fn in self.gauges.items()}  # may refresh counters
        lines = [
            "# HELP lantian_gateway_packets_total Packets stored, by HJ 212 command code (CN).",
            "# TYPE lantian_gateway_packets_total counter",
        ]
        lines += [f'lantian_gateway_packets_total{{cn="{k}"}} {v}' for k, v in self.packets.items()]
        lines += [
            "# HELP lantian_gateway_errors_total Rejected frames and closed connections, by kind.",
            "# TYPE lantian_gateway_errors_total counter",
        ]
        lines += [f'lantian_gateway_errors_total{{kind="{k}"}} {v}' for k, v in self.errors.items()]
        lines += [
            "# HELP lantian_gateway_deviations_total Tolerated deviations of frames, by kind.",
            "# TYPE lantian_gateway_deviations_total counter",
        ]
        lines += [
            f'lantian_gateway_deviations_total{{kind="{k}"}} {v}'
            for k, v in self.deviations.items()
        ]
        lines += [
            "# HELP lantian_gateway_acks_total 9014 answers sent (after durable storage).",
            "# TYPE lantian_gateway_acks_total counter",
            f"lantian_gateway_acks_total {self.acks}",
            "# HELP lantian_gateway_commit_batches_total Group commits (one fdatasync each).",
            "# TYPE lantian_gateway_commit_batches_total counter",
            f"lantian_gateway_commit_batches_total {self.batches}",
            f"lantian_gateway_commit_records_total {self.batch_records}",
            "# HELP lantian_gateway_lake_rows_total Rows appended to the lake, by source.",
            "# TYPE lantian_gateway_lake_rows_total counter",
        ]
        lines += [
            f'lantian_gateway_lake_rows_total{{source="{k}"}} {v}'
            for k, v in self.lake_rows.items()
        ]
        lines += [
            "# HELP lantian_gateway_ack_latency_seconds From receipt to 9014 answer.",
            "# TYPE lantian_gateway_ack_latency_seconds histogram",
        ]
        lines += self.ack_latency.render("lantian_gateway_ack_latency_seconds")
        lines += [
            "# HELP lantian_gateway_commit_seconds Write and fdatasync of one group commit.",
            "# TYPE lantian_gateway_commit_seconds histogram",
        ]
        lines += self.commit_latency.render("lantian_gateway_commit_seconds")
        lines += [
            "# HELP lantian_gateway_loop_lag_seconds Lateness of a 50 ms event-loop tick.",
            "# TYPE lantian_gateway_loop_lag_seconds histogram",
        ]
        lines += self.loop_lag.render("lantian_gateway_loop_lag_seconds")
        for name, value in gauges.items():
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {value}")
        return "\n".join(lines) + "\n"


async def serve_http(
    host: str,
    port: int,
    metrics: Metrics,
    status: Callable[[], object],
    token: str | None = None,
) -> asyncio.Server:
    """Serve ``GET /metrics`` (Prometheus text) and ``GET /status`` (JSON) on ``host:port``.

    With ``token`` both require ``Authorization: Bearer <token>`` (else 401). The gateway
    binds them to loopback unless a token is set (``/status`` lists every MN, outlet and
    logger address).
    """
    expected = f"Bearer {token}".encode() if token else None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            auth = b""
            for _ in range(100):
                line = await asyncio.wait_for(reader.readline(), 5)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"authorization":
                    auth = value.strip()
            parts = request.split()
            path = parts[1].decode("latin-1") if len(parts) > 1 else "/"
            if expected is not None and not hmac.compare_digest(auth, expected):
                body = b"unauthorized: Authorization: Bearer <LANTIAN_GATEWAY_STATUS_TOKEN>\n"
                writer.write(
                    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n"
                    b"Content-Type: text/plain\r\nContent-Length: %d\r\n"
                    b"Connection: close\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
                return
            if path.startswith("/metrics"):
                body = metrics.render().encode()
                ctype = "text/plain; version=0.0.4; charset=utf-8"
                code = "200 OK"
            elif path.startswith("/status"):
                # built off the event loop: thousands of loggers take tens of ms
                loop = asyncio.get_running_loop()
                data = await loop.run_in_executor(None, status)
                body = json.dumps(data, ensure_ascii=False).encode()
                ctype = "application/json"
                code = "200 OK"
            else:
                body = b"not found\n"
                ctype = "text/plain"
                code = "404 Not Found"
            writer.write(
                f"HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
