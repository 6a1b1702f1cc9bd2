"""A demo home as ``lantian demo`` builds it (city ending now, history imported, detection
run, accounts seeded), without the gateway and the web server: shared by the demo tests
and the browser journey in which the city officer dispatches every demo lead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lantian.settings import Settings

DEMO_PASSWORD = "Demo-Truth-2026!"


@dataclass
class DemoHome:
    """The settings of the built home, the city bundle and the start banner printed."""

    settings: Settings
    city: Path
    banner: str


def build_demo_home(root: Path, *, enterprises: int = 10, days: int = 3) -> DemoHome:
    """Build the demo state under ``root`` with the steps of ``lantian demo`` (no stream)."""
    from pydantic import SecretStr

    from lantian.cli import demo
    from lantian.cli.progress import console

    settings = Settings(home=root / "home", demo_password=SecretStr(DEMO_PASSWORD))
    settings.ensure_home()
    city = settings.resolved_home / "demo" / "city"  # the layout of ``lantian demo``
    with console.capture() as cap:
        demo._generate(city, enterprises=enterprises, days=days, seed=2026)
        end = demo._bundle_end(city)
        from datetime import timedelta

        demo._import_history(city, root / "history", end + timedelta(hours=1), settings)
        demo._detect_once(settings)
        demo._seed_accounts(settings)
    return DemoHome(settings, city, cap.get())
