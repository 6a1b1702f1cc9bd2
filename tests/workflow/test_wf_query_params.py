"""The id-list parameter of the inbox queries (PostgreSQL ``VARCHAR[]`` as one literal)."""

from __future__ import annotations

import pytest
from sqlalchemy import String, any_, bindparam, func, literal, select

from lantian.db.session import get_engine
from lantian.settings import Settings
from lantian.workflow.queries import IdArray, pg_text_array

AWKWARD = ["E1", "b,c", 'd"e', "f\\g", "{h}", " i ", "NULL", "", "ü中", 'x\\"y']


def test_pg_text_array_quotes_every_element() -> None:
    assert pg_text_array([]) == "{}"
    assert pg_text_array(["E1", "E2"]) == '{"E1","E2"}'
    assert pg_text_array(['a"b', "c\\d"]) == '{"a\\"b","c\\\\d"}'


def test_id_array_round_trips_through_postgresql(db_settings: Settings) -> None:
    engine = get_engine(db_settings)
    if engine.dialect.name != "postgresql":
        pytest.skip("VARCHAR[] parameters are PostgreSQL only")
    with engine.connect() as conn:
        for ids in (AWKWARD, ["E00001"] * 3, []):
            got = list(conn.scalars(select(func.unnest(bindparam("p", ids, type_=IdArray())))))
            assert got == ids
        ids_param = bindparam("p", AWKWARD, type_=IdArray())
        assert conn.scalar(select(literal('d"e', String) == any_(ids_param))) is True
        assert conn.scalar(select(literal("d", String) == any_(ids_param))) is False
