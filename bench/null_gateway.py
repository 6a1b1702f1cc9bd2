"""A null HJ 212 gateway for bench_gateway.py: frames and answers 9014, stores nothing.

The baseline for the gateway's throughput ratio: same framing by the length field and the
same answer (with its CRC) as the real gateway, no CRC check of the input, no archive,
no fsync, no lake. Run: ``python bench/null_gateway.py PORT_FILE [--uvloop]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import cast

from lantian.gateway.fastpath import build_ack, header_fields


class NullProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop: not a subclass

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        pos = 0
        out = []
        while True:
            start = buf.find(b"##", pos)
            if start < 0 or len(buf) - start < 6:
                break
            n = int(buf[start + 2 : start + 6])
            stop = start + 10 + n
            if stop > len(buf):
                break
            head = header_fields(buf[start + 6 : start + 6 + n])
            out.append(
                build_ack(
                    head.get(b"QN", b""),
                    head.get(b"PW", b""),
                    head.get(b"MN", b""),
                    int(head.get(b"Flag", b"0")),
                )
            )
            pos = stop
        self.buf = buf[pos:]
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


async def main(port_file: str) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(NullProtocol, "127.0.0.1", 0, backlog=4096)
    with open(port_file, "w") as fh:
        json.dump({"port": server.sockets[0].getsockname()[1]}, fh)
    await server.serve_forever()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        uvloop.run(main(sys.argv[1]))
    else:
        asyncio.run(main(sys.argv[1]))
