"""Compiled SQL of the rules, kept between platform runs (a fixed cost paid once).

Compiling the catalog's Ibis expressions to SQL costs seconds per run whatever the amount
of data (on a small lake it was most of a run). The expression of a rule is a pure
function of its parameters and the names and schemas of the tables it reads; the tables
of a platform run have the same names from one run to the next (``lake_<input>`` and the
context's ``_lt_<tag>_<key>``, :meth:`lantian.rules.context.Context.materialize`) on one
process-wide DuckDB backend (:func:`shared_backend`), so the expressions of one run equal
those of the previous one and their SQL is taken from a memo instead of being compiled
again. The memo is keyed by the Ibis operation itself (structural equality: table names,
schemas, every parameter), so a changed parameter or schema compiles anew; SQL never
depends on the data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis

MEMO_SIZE = 1024
"""Compiled expressions kept per backend (least recently used dropped)."""


class MemoCompiler:
    """SQL of Ibis expressions, compiled once per equal expression (a bounded memo).

    Installed on a backend by :func:`memoize_compiler`, it replaces the backend's
    ``compile`` (which ``execute`` and ``to_pyarrow`` call): the kept SQL text is
    returned as it is, with neither the sqlglot tree rebuilt nor its text generated.
    """

    def __init__(self, compile_fn: Any, size: int = MEMO_SIZE) -> None:
        self._compile = compile_fn
        self._size = size
        self._memo: OrderedDict[Any, str] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __call__(self, expr: Any, /, *, limit: Any = None, params: Any = None, **kw: Any) -> str:
        """The SQL of ``expr`` (the kept text when an equal expression was seen)."""
        if params or kw:
            return str(self._compile(expr, limit=limit, params=params, **kw))
        key = (expr.op(), limit)
        sql = self._memo.get(key)
        if sql is None:
            self.misses += 1
            sql = str(self._compile(expr, limit=limit))
            self._memo[key] = sql
            if len(self._memo) > self._size:
                self._memo.popitem(last=False)
        else:
            self.hits += 1
            self._memo.move_to_end(key)
        return sql


def memoize_compiler(backend: Any) -> MemoCompiler:
    """Give ``backend`` (Ibis DuckDB) a :class:`MemoCompiler` as ``compile``; return it."""
    current = backend.__dict__.get("compile")
    if isinstance(current, MemoCompiler):
        return current
    memo = MemoCompiler(backend.compile)
    backend.compile = memo
    return memo


def create_as(backend: Any, name: str, expr: Any) -> Any:
    """``expr`` computed into the temporary table ``name``; the table (Ibis).

    The SQL goes through the backend's ``compile`` (memoised when installed).
    """
    backend._run_pre_execute_hooks(expr)
    sql = backend.compile(expr)
    mapper = backend.compiler.type_mapper
    columns = ", ".join(
        '"' + col.replace('"', '""') + '" ' + mapper.from_ibis(dtype).sql("duckdb")
        for col, dtype in expr.schema().items()
    )
    con = backend.con
    # the columns typed as Ibis types them (as ``create_table`` does): DuckDB alone would
    # type sum(BIGINT) as HUGEINT, which Ibis reads back as a decimal
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" ({columns})')
    con.execute(f'INSERT INTO "{name}" {sql}')
    return backend.table(name)


def arrow_table(backend: Any, name: str, arrow: Any) -> Any:
    """Arrow data as a temporary table ``name`` of an Ibis DuckDB backend.

    Unlike ``create_table(name, obj=arrow)`` no in-memory table enters the expression
    (its random name would make every expression built on it new to the memo).
    """
    con = backend.con
    view = f"{name}__arrow"
    con.register(view, arrow)
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM "{view}"')
    finally:
        con.unregister(view)
    return backend.table(name)


_LOCK = threading.Lock()
_BACKENDS: dict[tuple[str, str], Any] = {}


@contextmanager
def shared_backend(temp_dir: Path, memory_limit: str = "2GB") -> Iterator[Any]:
    """The process-wide Ibis DuckDB backend of platform runs (one run at a time).

    DuckDB setup and the compiled SQL of the rules are paid once per process. Tables a
    run created are dropped when it ends (its results are in the operational database).
    """
    key = (str(temp_dir), memory_limit)
    with _LOCK:
        backend = _BACKENDS.get(key)
        if backend is None:
            for old in _BACKENDS.values():  # one at a time: another home's is closed
                old.disconnect()
            _BACKENDS.clear()
            temp_dir.mkdir(parents=True, exist_ok=True)
            backend = ibis.duckdb.connect(temp_directory=str(temp_dir), memory_limit=memory_limit)
            backend.raw_sql("SET preserve_insertion_order = false")
            memoize_compiler(backend)
            _BACKENDS[key] = backend
        try:
            yield backend
        finally:
            _drop_temp_tables(backend)


def _drop_temp_tables(backend: Any) -> None:
    """Drop the run's tables: inputs ``lake_*`` and context tables ``_lt_*``."""
    con = backend.con
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary "
        "AND (starts_with(table_name, 'lake_') OR starts_with(table_name, '_lt_'))"
    ).fetchall()
    for (name,) in rows:
        con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')


def reset() -> None:
    """Close and forget the shared backends (tests)."""
    with _LOCK:
        for backend in _BACKENDS.values():
            backend.disconnect()
        _BACKENDS.clear()
