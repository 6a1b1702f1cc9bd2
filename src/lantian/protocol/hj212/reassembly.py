"""Reassembly of split packets (Flag D bit, PNUM/PNO).

Each fragment is a complete packet with its own QN and a self-contained CP that repeats
``DataTime``; fragments belong together when MN, CN, PNUM and DataTime agree (a fragment
without DataTime joins the oldest open set of the same MN, CN and PNUM that lacks its
PNO). The merged packet has the factors of all fragments. Incomplete sets are released
(never dropped silently) after a timeout or when too many sets are pending, with a
deviation saying so.

References
----------
.. [1] HJ 212-2017, §6.3.2 Table 3 (PNUM, PNO), Appendix C Tables C.49-C.50.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from lantian.protocol.hj212.packet import Packet

__all__ = ["Reassembler", "merge_fragments"]

_Key = tuple[str, str, int, str]


@dataclass(slots=True)
class _Pending:
    first_seen: float
    pnum: int
    fragments: dict[int, Packet] = field(default_factory=dict)


def merge_fragments(fragments: list[Packet], pnum: int | None = None) -> Packet:
    """Merge fragments of one split packet (in PNO order) into one :class:`Packet`.

    The result keeps the first fragment's header, joins the CP texts with ``;``, merges
    factors, status and fields, appends the fragments' ``PolId`` groups, and is ``crc_ok``
    only if every fragment was. Missing
    fragments are listed in its deviations.

    References
    ----------
    .. [1] HJ 212-2017, Appendix C Tables C.49-C.50.
    """
    if not fragments:
        raise ValueError("no fragments to merge")
    ordered = sorted(fragments, key=lambda p: p.pno or 0)
    first = ordered[0]
    factors: dict[str, dict[str, float | str]] = {}
    status: dict[str, dict[str, float | str]] = {}
    params: dict[str, str] = {}
    pol_groups: list[tuple[str, dict[str, dict[str, float | str]]]] = []
    deviations: list[str] = []
    for part in ordered:
        for code, values in part.factors.items():
            factors.setdefault(code, {}).update(values)
        for code, values in part.status.items():
            status.setdefault(code, {}).update(values)
        params.update(part.params)
        pol_groups += part.pol_groups
        deviations += [d for d in part.deviations if d not in deviations]
    total = pnum if pnum is not None else first.pnum
    if total is not None:
        present = {p.pno for p in ordered}
        missing = [n for n in range(1, total + 1) if n not in present]
        if missing:
            deviations.append(
                f"incomplete split packet: {len(present)} of {total} fragments, missing PNO "
                + ",".join(map(str, missing))
            )
    return replace(
        first,
        raw=b"\r\n".join(p.raw for p in ordered),
        cp=";".join(p.cp for p in ordered if p.cp),
        factors=factors,
        status=status,
        params=params,
        pol_groups=pol_groups,
        data_time=next((p.data_time for p in ordered if p.data_time is not None), None),
        pno=None,
        crc_ok=all(p.crc_ok for p in ordered),
        deviations=deviations,
    )


class Reassembler:
    """Collect split-packet fragments and release whole packets.

    ``add(packet)`` returns a list: ``[packet]`` for an unsplit packet, ``[merged]`` when
    the last fragment of a set arrives, ``[]`` while a set is incomplete, plus any
    incomplete set evicted because more than ``max_pending`` sets are open. ``expire()``
    releases sets older than ``timeout_s`` as incomplete packets.

    Parameters
    ----------
    timeout_s : float
        Seconds a set may wait for its missing fragments.
    max_pending : int
        Most open sets held at once (memory bound); the oldest is released first.
    max_fragments : int
        Largest PNUM accepted; bigger sets are passed through unmerged.

    References
    ----------
    .. [1] HJ 212-2017, Appendix C Tables C.49-C.50.
    """

    def __init__(
        self, timeout_s: float = 120.0, max_pending: int = 1024, max_fragments: int = 256
    ) -> None:
        self.timeout_s = timeout_s
        self.max_pending = max_pending
        self.max_fragments = max_fragments
        self._pending: OrderedDict[_Key, _Pending] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, packet: Packet, now: float | None = None) -> list[Packet]:
        """Add a packet; return the packets that are now complete (see class doc)."""
        pnum, pno = packet.pnum, packet.pno
        if pnum is None or pno is None or pnum <= 1 or pnum > self.max_fragments:
            return [packet]
        moment = time.monotonic() if now is None else now
        data_time = packet.params.get("DataTime", "")
        key = (packet.mn, packet.cn, pnum, data_time)
        pending = self._pending.get(key)
        if pending is None and not data_time:
            # a fragment without DataTime (senders that put it in the first one only)
            # joins the oldest open set of the same logger and command still missing it
            for other_key, other in self._pending.items():
                if other_key[:3] == key[:3] and pno not in other.fragments:
                    key, pending = other_key, other
                    break
        out: list[Packet] = []
        if pending is None:
            pending = self._pending[key] = _Pending(moment, pnum)
            while len(self._pending) > self.max_pending:
                _, oldest = self._pending.popitem(last=False)
                out.append(merge_fragments(list(oldest.fragments.values()), oldest.pnum))
        if pno in pending.fragments:
            packet.deviations.append(f"duplicate fragment PNO={pno}")
        pending.fragments[pno] = packet
        if len(pending.fragments) >= pnum and all(
            n in pending.fragments for n in range(1, pnum + 1)
        ):
            del self._pending[key]
            out.append(merge_fragments(list(pending.fragments.values()), pnum))
        return out

    def expire(self, now: float | None = None) -> list[Packet]:
        """Release sets waiting longer than ``timeout_s`` (as incomplete packets)."""
        moment = time.monotonic() if now is None else now
        out: list[Packet] = []
        for key in [k for k, p in self._pending.items() if moment - p.first_seen >= self.timeout_s]:
            pending = self._pending.pop(key)
            out.append(merge_fragments(list(pending.fragments.values()), pending.pnum))
        return out

    def flush(self) -> list[Packet]:
        """Release every open set (end of stream / shutdown)."""
        out = [merge_fragments(list(p.fragments.values()), p.pnum) for p in self._pending.values()]
        self._pending.clear()
        return out
