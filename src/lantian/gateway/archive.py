"""The raw packet archive: append-only, hash-chained daily segments that are also the WAL.

Every frame the gateway accepts for processing (valid CRC; registered or quarantined MN)
becomes one JSON line in ``archive/hj212-YYYYMMDD.jsonl`` (the day of ``received_at`` in
China Standard Time)::

    {"seq": 7, "received_at": "...+08:00", "peer": "ip:port", "status": "ok", "mn": ...,
     "qn": ..., "st": ..., "cn": ..., "data_time": ..., "raw": "##0123...",
     "prev_hash": "<sha256 of the previous record>", "hash": "<sha256 of this record>"}

``hash`` is the SHA-256 of the line's bytes up to (not including) ``,"hash":`` followed by
``}``; that body contains ``prev_hash``, so changing, deleting, inserting or reordering any
record breaks the chain at that point. The chain runs across segments (the first record of
a day links to the last record of the day before), so deleting a whole segment is detected.
``archive/HEAD`` names the newest durable record (updated about once a second and at
shutdown) so that cutting records off the end is detected too.

The archive is the gateway's write-ahead log: one durable write per packet. Lines are
appended in batches; each batch is written with one ``write`` and one ``fdatasync`` (group
commit), and a packet's 9014 answer is sent only after its batch is on disk. After a crash,
a torn last line (never acknowledged) is cut off when the archive is opened again.

References
----------
.. [1] HJ 212-2017, §6.3 (the raw frame kept verbatim as evidence).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lantian.timeutil import CST

__all__ = [
    "GENESIS",
    "ArchiveWriter",
    "Position",
    "QuarantineStore",
    "VerifyResult",
    "iter_quarantine",
    "iter_records",
    "segment_paths",
    "verify_archive",
]

GENESIS = "0" * 64
"""``prev_hash`` of the very first record."""

_q = json.encoder.encode_basestring  # C-accelerated JSON string quoting

_SEGMENT_RE = re.compile(r"^hj212-(\d{8})\.jsonl$")
_HASH_TAIL = re.compile(rb',"hash":"([0-9a-f]{64})"\}\n$')


@dataclass(frozen=True, order=True)
class Position:
    """A byte position in the archive: segment day (``YYYYMMDD``) and offset in that file."""

    day: str
    offset: int


def segment_paths(root: Path) -> list[Path]:
    """Return the archive's segment files in chain order (by day)."""
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if _SEGMENT_RE.match(p.name))


def _day_of(path: Path) -> str:
    m = _SEGMENT_RE.match(path.name)
    assert m is not None
    return m.group(1)


def _segment(root: Path, day: str) -> Path:
    return root / f"hj212-{day}.jsonl"


class _Clock:
    """ISO 8601 CST time strings with milliseconds, cheap (the second is cached)."""

    __slots__ = ("_prefix", "_sec")

    def __init__(self) -> None:
        self._sec = -1
        self._prefix = ("", "")

    def format(self, ts: float) -> tuple[str, str]:
        """Return (``YYYY-MM-DDThh:mm:ss.mmm+08:00``, ``YYYYMMDD``) for the epoch ``ts``."""
        sec = int(ts)
        if sec != self._sec:
            dt = datetime.fromtimestamp(sec, CST)
            self._prefix = (dt.strftime("%Y-%m-%dT%H:%M:%S"), dt.strftime("%Y%m%d"))
            self._sec = sec
        ms = int((ts - sec) * 1000)
        return f"{self._prefix[0]}.{ms:03d}+08:00", self._prefix[1]


class ArchiveWriter:
    """Append records to the hash-chained archive with group commit.

    Use :meth:`add` on the event loop (cheap, in memory), then :meth:`take` the pending batch
    and :meth:`write` it (one write + one fdatasync per segment touched; run it in a thread),
    then answer the packets of that batch.

    Parameters
    ----------
    root : Path
        The archive directory (created).
    fsync : bool
        ``False`` only for tests of non-durable behaviour; the gateway always syncs.
    """

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        root.mkdir(parents=True, exist_ok=True)
        self._clock = _Clock()
        self._pending: list[tuple[str, bytes]] = []
        self._fd: int | None = None
        self._fd_day = ""
        self.seq, self.last_hash, self.durable = self._recover()
        self.durable_seq = self.seq
        self.durable_hash = self.last_hash
        self._head_written = -1

    # -- recovery -------------------------------------------------------------
    def _recover(self) -> tuple[int, str, Position]:
        for path in reversed(segment_paths(self.root)):
            size = path.stat().st_size
            with path.open("rb+") as fh:
                start = max(0, size - (1 << 20))
                fh.seek(start)
                tail = fh.read()
                good_end = len(tail)
                last: dict[str, Any] | None = None
                while good_end > 0:
                    if not tail.endswith(b"\n", 0, good_end):
                        cut = tail.rfind(b"\n", 0, good_end)
                        good_end = cut + 1 if cut >= 0 else 0
                        continue
                    prev_nl = tail.rfind(b"\n", 0, good_end - 1)
                    line = tail[prev_nl + 1 : good_end]
                    if _HASH_TAIL.search(line):
                        try:
                            last = json.loads(line)
                            break
                        except ValueError:
                            pass
                    good_end = prev_nl + 1 if prev_nl >= 0 else 0
                if start + good_end != size:
                    # a torn write from a crash: never acknowledged, cut it off
                    fh.truncate(start + good_end)
                    fh.flush()
                    os.fsync(fh.fileno())
            if last is not None:
                return (
                    int(last["seq"]),
                    str(last["hash"]),
                    Position(_day_of(path), start + good_end),
                )
            if start + good_end == 0 and size > 0:
                continue
        return 0, GENESIS, Position("", 0)

    # -- appending ------------------------------------------------------------
    def add(
        self,
        received: float,
        peer: str,
        status: str,
        mn: str,
        qn: str,
        st: str,
        cn: str,
        data_time: str,
        raw: bytes,
    ) -> int:
        """Chain one record into the pending batch and return its ``seq`` (not yet durable)."""
        stamp, day = self._clock.format(received)
        self.seq += 1
        # hand-built JSON (same as json.dumps with separators=(",", ":"), ensure_ascii=False)
        text = (
            _record_text(self.seq, stamp, peer, status, mn, qn, st, cn, data_time, raw)
            + f',"prev_hash":"{self.last_hash}"}}'
        )
        body = text.encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()
        self.last_hash = digest
        self._pending.append((day, b'%s,"hash":"%s"}\n' % (body[:-1], digest.encode())))
        return self.seq

    @property
    def pending(self) -> int:
        """Records added but not yet taken for writing."""
        return len(self._pending)

    def take(self) -> tuple[list[tuple[str, bytes]], int, str]:
        """Remove and return the pending batch with the ``seq`` and hash of its last record."""
        batch, self._pending = self._pending, []
        return batch, self.seq, self.last_hash

    def write(self, batch: list[tuple[str, bytes]]) -> Position:
        """Write ``batch`` durably (one write and one fdatasync per segment); thread-safe
        with respect to :meth:`add` (it touches only the file descriptors)."""
        i = 0
        n = len(batch)
        while i < n:
            day = batch[i][0]
            j = i
            while j < n and batch[j][0] == day:
                j += 1
            fd = self._open_day(day)
            data = b"".join(line for _, line in batch[i:j])
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if self.fsync:
                os.fdatasync(fd)
            self.durable = Position(day, os.lseek(fd, 0, os.SEEK_CUR))
            i = j
        return self.durable

    def _open_day(self, day: str) -> int:
        if self._fd is not None and self._fd_day == day:
            return self._fd
        if self._fd is not None:
            os.close(self._fd)
        path = _segment(self.root, day)
        created = not path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._fd_day = day
        if created and self.fsync:
            dfd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        return self._fd

    def write_head(self, seq: int, digest: str) -> None:
        """Record ``seq``/``digest`` (a durable record) in ``HEAD`` (atomic rename)."""
        if seq == self._head_written:
            return
        tmp = self.root / "HEAD.tmp"
        tmp.write_text(
            json.dumps({"seq": seq, "hash": digest, "updated": time.time()}), encoding="utf-8"
        )
        tmp.replace(self.root / "HEAD")
        self._head_written = seq

    def close(self) -> None:
        """Close the current segment file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _record_text(
    seq: int,
    stamp: str,
    peer: str,
    status: str,
    mn: str,
    qn: str,
    st: str,
    cn: str,
    data_time: str,
    raw: bytes,
) -> str:
    try:
        raw_field = '"raw":' + _q(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raw_field = '"raw_b64":"' + base64.b64encode(raw).decode("ascii") + '"'
    return (
        f'{{"seq":{seq},"received_at":"{stamp}","peer":{_q(peer)},'
        f'"status":{_q(status)},"mn":{_q(mn)},"qn":{_q(qn)},"st":{_q(st)},"cn":{_q(cn)},'
        f'"data_time":{_q(data_time)},{raw_field}'
    )


_QUARANTINE_RE = re.compile(r"^q-(\d{8})\.jsonl$")


class QuarantineStore:
    """A bounded, rotating area for packets of unknown MNs (outside the archive and WAL).

    Anyone can send frames with invented MNs; they are kept for the admins (and for
    ``lantian gateway quarantine --ingest`` once the MN is registered) but must not grow the
    archive without bound. Records are JSON lines in the archive's record format (``seq``
    is the archive ``seq`` when it arrived, so later accepted packets are recognisable;
    no hash chain) in ``q-NNNNNNNN.jsonl`` files of at most ``max_bytes / segments``; when
    a new file would make more than ``segments``, the oldest is deleted and its records
    are counted as ``evicted``. Writes are buffered (never fsynced: these packets are never
    answered); a full buffer (four files' worth) drops records (counted).

    Parameters
    ----------
    root : Path
        The quarantine directory (created).
    max_bytes : int
        Most bytes kept on disk (all files).
    segments : int
        Number of rotating files.
    """

    def __init__(self, root: Path, max_bytes: int = 64 << 20, segments: int = 8) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = max(1024, max_bytes // segments)
        self.segments = segments
        self._clock = _Clock()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.records = 0
        """Records stored since the start."""
        self.dropped = 0
        """Records not stored because the write buffer was full."""
        self.evicted = 0
        """Records deleted with the oldest file by rotation (since the start)."""
        files = self.files()
        last = _QUARANTINE_RE.match(files[-1].name) if files else None
        self._index = int(last.group(1)) if last else 0
        self._lines: dict[str, int] = {}
        self._write_lock = threading.Lock()

    def files(self) -> list[Path]:
        """The quarantine files, oldest first."""
        return sorted(p for p in self.root.iterdir() if _QUARANTINE_RE.match(p.name))

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return sum(p.stat().st_size for p in self.files())

    def add(
        self,
        seq: int,
        received: float,
        peer: str,
        status: str,
        mn: str,
        qn: str,
        st: str,
        cn: str,
        data_time: str,
        raw: bytes,
    ) -> bool:
        """Buffer one record; False (and counted as dropped) when the buffer is full
        (four files' worth are waiting for :meth:`write`)."""
        if self._pending_bytes >= 4 * self.segment_bytes:
            self.dropped += 1
            return False
        stamp, _ = self._clock.format(received)
        line = (
            _record_text(seq, stamp, peer, status, mn, qn, st, cn, data_time, raw) + "}\n"
        ).encode()
        self._pending.append(line)
        self._pending_bytes += len(line)
        return True

    @property
    def pending_bytes(self) -> int:
        """Bytes buffered, not yet written."""
        return self._pending_bytes

    def take(self) -> list[bytes]:
        """Remove and return the buffered lines (on the event loop)."""
        lines, self._pending, self._pending_bytes = self._pending, [], 0
        return lines

    def write(self, lines: list[bytes]) -> None:
        """Append ``lines`` to the current file, rotating by size (in a worker thread)."""
        with self._write_lock:
            self._write(lines)

    def _write(self, lines: list[bytes]) -> None:
        i, n = 0, len(lines)
        while i < n:
            path = self.root / f"q-{self._index:08d}.jsonl"
            size = path.stat().st_size if self._index and path.exists() else 0
            if self._index == 0 or size + len(lines[i]) > self.segment_bytes:
                self._index += 1
                path = self.root / f"q-{self._index:08d}.jsonl"
                size = 0
                files = self.files()
                while len(files) >= self.segments:
                    old = files.pop(0)
                    self.evicted += self._lines.pop(old.name, 0) or _count_lines(old)
                    old.unlink(missing_ok=True)
            j = i
            while j < n and (j == i or size + len(lines[j]) <= self.segment_bytes):
                size += len(lines[j])
                j += 1
            with path.open("ab") as fh:
                fh.write(b"".join(lines[i:j]))
            self._lines[path.name] = self._lines.get(path.name, 0) + j - i
            self.records += j - i
            i = j


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def iter_quarantine(root: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of a :class:`QuarantineStore` directory, oldest first."""
    if not root.exists():
        return
    for path in sorted(p for p in root.iterdir() if _QUARANTINE_RE.match(p.name)):
        with path.open("rb") as fh:
            for line in fh:
                if line.endswith(b"\n"):
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue


def iter_records(
    root: Path, start: Position | None = None, stop: Position | None = None
) -> Iterator[tuple[Position, dict[str, Any]]]:
    """Yield ``(position after the record, record)`` from ``start`` up to ``stop``.

    Only complete lines are read; ``stop`` (e.g. the writer's durable position) bounds the
    read so that a batch being written is not seen half-way.
    """
    for path in segment_paths(root):
        day = _day_of(path)
        if start is not None and day < start.day:
            continue
        if stop is not None and day > stop.day:
            return
        offset = start.offset if start is not None and day == start.day else 0
        limit = stop.offset if stop is not None and day == stop.day else None
        with path.open("rb") as fh:
            fh.seek(offset)
            pos = offset
            for line in fh:
                if limit is not None and pos + len(line) > limit:
                    break
                if not line.endswith(b"\n"):
                    break
                pos += len(line)
                yield Position(day, pos), json.loads(line)


@dataclass
class VerifyResult:
    """Outcome of :func:`verify_archive`."""

    ok: bool
    records: int
    segments: int
    last_seq: int
    problem: str = ""
    segment: str = ""
    line: int = 0
    seq: int | None = None
    head_hash: str = ""


def verify_archive(root: Path) -> VerifyResult:
    """Check the whole hash chain; on failure name the first bad record.

    Checks, per line: the hash equals SHA-256 of the body, ``prev_hash`` equals the hash of
    the previous record (across segments), ``seq`` increases by one, and the segment day is
    the day of ``received_at``; at the end, ``HEAD`` must not name a later record.
    """
    prev = GENESIS
    prev_seq = 0
    count = 0
    paths = segment_paths(root)
    head_path = root / "HEAD"
    head_seq = 0
    head_hash = ""
    if head_path.exists():
        try:
            head = json.loads(head_path.read_text(encoding="utf-8"))
            head_seq = int(head["seq"])
            head_hash = str(head["hash"])
        except (ValueError, KeyError, TypeError):
            return VerifyResult(False, 0, len(paths), 0, "HEAD is unreadable", "HEAD")
    for path in paths:
        day = _day_of(path)
        with path.open("rb") as fh:
            for lineno, line in enumerate(fh, start=1):

                def bad(
                    problem: str,
                    seq: int | None = None,
                    _at: tuple[int, int, str, int] = (count, prev_seq, path.name, lineno),
                ) -> VerifyResult:
                    return VerifyResult(
                        False, _at[0], len(paths), _at[1], problem, _at[2], _at[3], seq
                    )

                m = _HASH_TAIL.search(line)
                if m is None:
                    return bad("line is not a complete archive record")
                body = line[: m.start()] + b"}"
                if hashlib.sha256(body).hexdigest().encode() != m.group(1):
                    return bad("hash does not match the record (record changed)")
                try:
                    rec = json.loads(body)
                    seq = int(rec["seq"])
                    prev_hash = str(rec["prev_hash"])
                    received = str(rec["received_at"])
                except (ValueError, KeyError, TypeError):
                    return bad("record is not valid JSON with seq/prev_hash/received_at")
                if prev_hash != prev:
                    return bad(
                        "prev_hash does not match the previous record "
                        "(a record was removed, inserted or reordered)",
                        seq,
                    )
                if seq != prev_seq + 1:
                    return bad(f"seq {seq} follows {prev_seq}", seq)
                if received[:10].replace("-", "") != day:
                    return bad(f"received_at {received} is not in segment day {day}", seq)
                prev = m.group(1).decode()
                prev_seq = seq
                if seq == head_seq and prev != head_hash:
                    return bad("record named by HEAD has a different hash (chain rewritten)", seq)
                count += 1
    if head_seq > prev_seq:
        return VerifyResult(
            False,
            count,
            len(paths),
            prev_seq,
            f"HEAD names record {head_seq} but the archive ends at {prev_seq} "
            "(records were cut off the end)",
            "HEAD",
            0,
            prev_seq + 1,
        )
    return VerifyResult(True, count, len(paths), prev_seq, head_hash=prev)
