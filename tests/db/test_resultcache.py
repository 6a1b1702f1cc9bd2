"""lantian.db.resultcache: values live ttl_s seconds and die with any write of the process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lantian.db.resultcache import ResultCache, current_generation, forget_all, wrote


def test_value_kept_for_its_ttl_then_recomputed(monkeypatch: pytest.MonkeyPatch) -> None:
    cache: ResultCache[int] = ResultCache(ttl_s=10.0)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("k", compute) == 1
    monkeypatch.setattr(cache, "ttl_s", 0.0)
    assert cache.get("k") is None
    assert cache.get_or_compute("k", compute) == 2


def test_a_value_computed_across_a_write_is_not_stored() -> None:
    cache: ResultCache[str] = ResultCache(ttl_s=10.0)
    generation = current_generation()
    forget_all()  # a write while the value was being computed
    cache.put("k", "stale", generation)
    assert cache.get("k") is None
    cache.put("k", "fresh", current_generation())
    assert cache.get("k") == "fresh"


def test_statements_and_commits_forget_every_cache(tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    a: ResultCache[int] = ResultCache(ttl_s=10.0)
    b: ResultCache[int] = ResultCache(ttl_s=10.0)
    with Session(engine) as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.commit()
        a.put("k", 1, current_generation())
        b.put("k", 2, current_generation())
        s.execute(text("SELECT count(*) FROM t"))
        assert (a.get("k"), b.get("k")) == (1, 2)  # reads keep them
        assert not wrote(s)
        s.execute(text("INSERT INTO t VALUES (1)"))
        assert wrote(s)  # this transaction must not read cached values
        assert (a.get("k"), b.get("k")) == (None, None)
        a.put("k", 1, current_generation())
        s.commit()
        assert a.get("k") is None
        assert not wrote(s)
    engine.dispose()


def test_a_cache_kept_through_writes_when_asked() -> None:
    kept: ResultCache[int] = ResultCache(ttl_s=10.0, forget_on_write=False)
    generation = current_generation()
    forget_all()
    kept.put("k", 1, generation)  # stored although a write happened meanwhile
    forget_all()
    assert kept.get("k") == 1
