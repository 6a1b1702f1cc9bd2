"""Fixtures for gateway tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from gwtools import populate_registry

from lantian.settings import Settings, get_settings


@pytest.fixture
def settings(lantian_home: Path) -> Settings:
    """Settings of the isolated LANTIAN_HOME with the test registry in SQLite."""
    s = get_settings()
    s.ensure_home()
    populate_registry(s)
    return s
