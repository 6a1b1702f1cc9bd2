"""Fixtures of the platform-mode, Spark and ambient-index tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole test session (startup costs seconds)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (PySpark needs a JVM)")
    from lantian.rules.spark import spark_session

    session = spark_session("local[2]", app_name="lantian-tests", shuffle_partitions=2)
    yield session
    session.stop()
