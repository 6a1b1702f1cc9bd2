"""Short-lived caches of query results that this process forgets as soon as it writes.

Every :class:`ResultCache` keeps values for ``ttl_s`` seconds. Any statement other than a
SELECT, and any commit, on any engine of this process forgets every cache at once (and
bumps the write generation); a transaction that has written never reads a cached value
(:func:`wrote`). Changes made by other processes show within ``ttl_s``.

A value is stored only if no write happened while it was being computed
(:meth:`ResultCache.get_or_compute`, or :func:`current_generation` read before computing
and passed to :meth:`ResultCache.put`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from time import monotonic
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

V = TypeVar("V")

_lock = threading.Lock()
_generation = 0
_caches: list[ResultCache[Any]] = []
_WROTE = "lantian_wrote"
"""``Connection.info`` flag: the current transaction has written."""


class ResultCache(Generic[V]):
    """Values by key for ``ttl_s`` seconds, forgotten on any write of this process.

    ``forget_on_write=False``: kept for the whole TTL whatever this process writes (for
    values that change only by rare imports, where being forgotten by every commit would
    cost more than it is worth).
    """

    def __init__(self, ttl_s: float, max_entries: int = 1000, forget_on_write: bool = True) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.forget_on_write = forget_on_write
        self._entries: dict[Hashable, tuple[float, V]] = {}
        with _lock:
            _caches.append(self)

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key`` less than ``ttl_s`` ago, else None."""
        with _lock:
            hit = self._entries.get(key)
        if hit is None or monotonic() - hit[0] >= self.ttl_s:
            return None
        return hit[1]

    def put(self, key: Hashable, value: V, generation: int) -> None:
        """Store ``value`` unless this process wrote since ``generation`` was read."""
        now = monotonic()
        with _lock:
            if self.forget_on_write and generation != _generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value for ``key``; else ``compute()``, stored and returned."""
        hit = self.get(key)
        if hit is not None:
            return hit
        generation = current_generation()
        value = compute()
        self.put(key, value, generation)
        return value


def current_generation() -> int:
    """A number that changes whenever this process writes or commits to a database."""
    return _generation


def forget_all() -> None:
    """Forget every cached value (and start a new write generation)."""
    global _generation
    with _lock:
        _generation += 1
        for cache in _caches:
            if cache.forget_on_write:
                cache._entries.clear()


def wrote(session: Session) -> bool:
    """True when ``session``'s current transaction has written (it must not read caches)."""
    return bool(session.connection().info.get(_WROTE))


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True
        forget_all()


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    conn.info.pop(_WROTE, None)
    forget_all()


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Any) -> None:
    conn.info.pop(_WROTE, None)
