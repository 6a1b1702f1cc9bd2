"""The gateway side of remote QC: deliver queued commands on the loggers' open connections
and route their answers to the queue.

The gateway calls :meth:`QcDispatcher.wants` for each accepted packet whose CN can answer a
request (:data:`lantian.qc.commands.ANSWER_CNS`) — a set lookup of (MN, QN), so ordinary
uploads cost nothing more — and :meth:`QcDispatcher.on_packet` for the ones it wants. Every
``interval_s`` :meth:`QcDispatcher.run` does, in a worker thread with its own database
transaction (never on the event loop): record the answers received, time out and expire
(:func:`lantian.qc.service.sweep`), and claim the queued commands of the loggers connected
now; back on the loop it writes each claimed frame to its logger's newest connection. A
command for a logger that is offline stays queued until the logger connects or the
command expires; a logger that never answers times out. A failing step is logged and
retried at the next interval (nothing is lost: the queue is in the database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lantian.protocol.hj212.packet import parse_packet
from lantian.qc.commands import ANSWER_CNS
from lantian.settings import Settings
from lantian.timeutil import CST, now_cst

log = logging.getLogger("lantian.qc")

Answer = tuple[str, str, str, dict[str, Any], datetime]
"""(MN, QN, CN, fields, arrival time) of one answer."""


def answer_fields(raw: bytes) -> tuple[str, dict[str, Any]]:
    """(CN, fields) of an answer frame: the CP's plain fields (``QnRtn``, ``ExeRtn``,
    ``SystemTime`` …) and, for data uploads, ``factor-suffix`` values."""
    packet = parse_packet(raw)
    fields: dict[str, Any] = dict(packet.params)
    for code, values in packet.factors.items():
        for suffix, value in values.items():
            fields[f"{code}-{suffix}"] = value
    for code, values in packet.status.items():
        for suffix, value in values.items():
            fields[f"{code}-{suffix}"] = value
    for pol, info in packet.pol_groups:  # 3020: PolId=…;iXXXXX-Info=… per analyser
        for code, values in info.items():
            for suffix, value in values.items():
                fields[f"{pol}/{code}-{suffix}"] = value
    return packet.cn, fields


class QcDispatcher:
    """Delivery and answer tracking of remote QC commands for one gateway."""

    def __init__(self, settings: Settings, interval_s: float = 2.0) -> None:
        self.settings = settings
        self.interval_s = interval_s
        self.pending: set[tuple[str, str]] = set()
        """(MN, QN) of the commands sent and not yet finished."""
        self.inbox: list[Answer] = []
        self.versions: dict[str, str] = {}
        """MN → HJ 212 version of its latest accepted packet (requests use that form)."""
        self.sent = 0
        self.answers = 0
        self.time_requests: set[str] = set()
        """MNs that sent a 1013 time-calibration request since the last step (a set: a
        logger repeating it between steps counts once)."""

    def wants(self, cn: str, mn: str, qn: str) -> bool:
        """Whether an accepted packet answers a pending command (cheap: set lookups)."""
        return bool(self.pending) and cn in ANSWER_CNS and (mn, qn) in self.pending

    def on_packet(self, mn: str, qn: str, raw: bytes, now: float) -> None:
        """Keep an answer for the next step (decoded here; a broken one is logged)."""
        try:
            cn, fields = answer_fields(raw)
        except Exception:  # a frame that passed the CRC but not the full decoder
            log.warning("QC answer of %s (QN %s) could not be decoded", mn, qn)
            return
        self.inbox.append((mn, qn, cn, fields, datetime.fromtimestamp(now, CST)))
        self.answers += 1

    def on_time_request(self, mn: str) -> None:
        """A logger sent 1013 (现场机时间校准请求): the next step queues a 1012 for it."""
        if len(self.time_requests) < 100_000:  # bounded whatever the loggers send
            self.time_requests.add(mn)

    def step(
        self,
        connected: Iterable[str],
        answers: list[Answer],
        time_requests: Iterable[str] = (),
    ) -> tuple[list[Any], set[tuple[str, str]]]:
        """One database step (blocking; run in a thread): record ``answers``, queue a 1012
        for each logger that asked for the time, sweep, claim the queued commands of
        ``connected`` loggers. Returns the claimed commands and the (MN, QN) of every
        command still waiting for answers."""
        from lantian.db.session import session_scope
        from lantian.qc.config import load_qc_config
        from lantian.qc.models import QcCommand
        from lantian.qc.service import (
            answer_time_requests,
            claim_for_sending,
            record_answer,
            sweep,
        )

        config = load_qc_config()
        with session_scope(self.settings) as s:
            for mn, qn, cn, fields, at in answers:
                record_answer(s, mn, qn, cn, fields, at=at, config=config)
            answer_time_requests(s, time_requests, now_cst(), config)
            sweep(s, now_cst(), config)
            out = claim_for_sending(s, connected)
            waiting = {
                (mn, qn)
                for mn, qn in s.execute(
                    select(QcCommand.mn, QcCommand.qn).where(
                        QcCommand.status.in_(("sent", "acknowledged"))
                    )
                )
                if qn
            }
        return out, waiting

    async def run(self, gateway: Any) -> None:
        """Every ``interval_s``: one :meth:`step`, then write the claimed frames."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval_s)
            connected = {c.mn: self.versions.get(c.mn, "2017") for c in gateway.conns if c.mn}
            answers, self.inbox = self.inbox, []
            asked, self.time_requests = self.time_requests, set()
            try:
                out, waiting = await loop.run_in_executor(
                    None, self.step, connected, answers, asked
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("remote QC step failed; retrying")
                self.inbox = answers + self.inbox
                self.time_requests |= asked
                continue
            self.pending = waiting | {(o.mn, o.qn) for o in out}
            for o in out:
                conn = next(
                    (c for c in reversed(list(gateway.conns)) if c.mn == o.mn and c.transport),
                    None,
                )
                if conn is None:  # gone since the claim: it times out and can be re-queued
                    log.info(
                        "QC command %d: logger %s disconnected before sending", o.command_id, o.mn
                    )
                    continue
                conn.transport.write(o.frame)
                self.sent += 1
                log.info("QC command %d sent to %s (QN %s)", o.command_id, o.mn, o.qn)


__all__ = ["QcDispatcher", "answer_fields"]
