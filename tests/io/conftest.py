"""Fixtures of the import/export tests: a small hand-written bundle (no shared data needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from io_fixtures import MINI_FILES, write_bundle


@pytest.fixture
def mini_bundle(tmp_path: Path) -> Path:
    """A small valid bundle with every file of the contract."""
    return write_bundle(tmp_path / "mini", MINI_FILES)


@pytest.fixture
def dev_city_copy(dev_city: Path, tmp_path: Path) -> Path:
    """A writable copy of the shared dev-city bundle."""
    dst = tmp_path / "dev-city"
    shutil.copytree(dev_city, dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst
