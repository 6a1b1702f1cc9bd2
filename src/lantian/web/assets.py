"""Where the browser libraries (npm packages echarts, leaflet, htmx.org) are served from.

They are installed by ``npm ci`` (``make node``) into ``node_modules`` at the project
root and mounted read-only under ``/vendor``; nothing is copied into the repository.
``LANTIAN_NODE_MODULES`` overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

VENDOR_FILES: dict[str, str] = {
    "htmx": "htmx.org/dist/htmx.min.js",
    "echarts": "echarts/dist/echarts.min.js",
    "leaflet_js": "leaflet/dist/leaflet.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
}
"""Asset name → path under ``node_modules``."""


def find_node_modules() -> Path | None:
    """The ``node_modules`` directory holding the npm assets, or None if not installed."""
    candidates: list[Path] = []
    env = os.environ.get("LANTIAN_NODE_MODULES")
    if env:
        candidates.append(Path(env))
    candidates.append(Path.cwd() / "node_modules")
    here = Path(__file__).resolve()
    candidates.extend(parent / "node_modules" for parent in here.parents)
    for cand in candidates:
        if (cand / VENDOR_FILES["htmx"]).exists():
            return cand
    return None


def missing_assets(root: Path | None) -> list[str]:
    """Names of vendor files not found under ``root``."""
    if root is None:
        return list(VENDOR_FILES)
    return [name for name, rel in VENDOR_FILES.items() if not (root / rel).exists()]
