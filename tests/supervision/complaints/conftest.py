"""Fixtures of the complaint tests: the workflow tests' ``world``."""

from tests.workflow.conftest import W, world

__all__ = ["W", "world"]
