"""The lake feeder is held back (durable mark not advanced) while the gateway is busy."""

from __future__ import annotations

import asyncio

from gwtools import read_frame, running
from test_gateway import hourly

from lantian.gateway.lakefeed import read_durable
from lantian.settings import Settings


def test_feeder_is_held_back_while_commits_are_slow(settings: Settings) -> None:
    async def main() -> None:
        # lake_yield=0: every commit counts as slow, so only lake_max_hold lets the mark move
        async with running(settings, lake_yield=0.0, lake_max_hold=1.5) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 1, 1.0))
            await w.drain()
            await read_frame(r)  # the first commit after the start publishes at once
            mark = read_durable(settings.wal_dir)
            assert mark is not None and mark[1] == gw.archive.durable_seq == 1
            w.write(hourly("MN0001", 2, 2.0))
            await w.drain()
            await read_frame(r)  # answered at once although the feeder is held back
            mark = read_durable(settings.wal_dir)
            assert mark is not None and mark[1] == 1 < gw.archive.durable_seq
            assert gw.lake_holds >= 1
            for _ in range(40):  # but never longer than lake_max_hold
                await asyncio.sleep(0.1)
                mark = read_durable(settings.wal_dir)
                if mark is not None and mark[1] == 2:
                    break
            assert mark is not None and mark[1] == 2
            w.close()

    asyncio.run(main())
