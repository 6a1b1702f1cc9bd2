"""Fixtures of the report tests: the notification tests' world and local SMTP server."""

from tests.notify.conftest import smtp_server, world

__all__ = ["smtp_server", "world"]
