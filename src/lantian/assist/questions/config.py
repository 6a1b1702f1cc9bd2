"""Response-time targets of questions per province, as data validated at load.

Shipped defaults: ``default.toml`` in this package; a file named by
``LANTIAN_QUESTIONS_CONFIG`` overrides them. An unknown key, a non-positive target, a
reminder not shorter than the target or a province that is not a 2-digit code is refused
with :class:`QuestionsConfigError` naming the entry.

References
----------
.. [1] Issue #15 (a 24-hour consultation channel); provincial "一个工作日内答复" practice
       [unverified].
.. [2] GB/T 2260 (province codes).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

SETTING = "LANTIAN_QUESTIONS_CONFIG"
_KEYS = frozenset({"response_hours", "remind_before_hours", "second_escalation_hours"})


class QuestionsConfigError(ValueError):
    """Malformed or impossible configuration; the message names the entry."""


@dataclass(frozen=True)
class Target:
    """The response-time target of one province (hours)."""

    response_hours: int
    remind_before_hours: int
    second_escalation_hours: int

    def due_at(self, asked_at: datetime) -> datetime:
        """When the answer is due."""
        return asked_at + timedelta(hours=self.response_hours)


@dataclass(frozen=True)
class QuestionsConfig:
    """Default target and per-province targets."""

    default: Target
    provinces: dict[str, Target] = field(default_factory=dict)

    def target(self, province: str | None) -> Target:
        """The target of ``province`` (the default when it has none)."""
        return self.provinces.get(province or "", self.default)


def _target(where: str, raw: Any, base: Target | None) -> Target:
    if not isinstance(raw, dict):
        raise QuestionsConfigError(f"{where}: must be a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise QuestionsConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    values: dict[str, int] = {}
    for key in sorted(_KEYS):
        v = raw.get(key, getattr(base, key) if base is not None else None)
        if v is None:
            raise QuestionsConfigError(f"{where}.{key}: missing")
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0 or v > 24 * 90:
            raise QuestionsConfigError(f"{where}.{key}: whole hours from 1 to 2160, got {v!r}")
        values[key] = v
    if values["remind_before_hours"] >= values["response_hours"]:
        raise QuestionsConfigError(
            f"{where}.remind_before_hours: must be shorter than response_hours"
        )
    return Target(**values)


def parse_config(data: dict[str, Any], base: QuestionsConfig | None = None) -> QuestionsConfig:
    """Validate a parsed TOML document (over ``base`` when overriding)."""
    unknown = set(data) - {"default", "provinces"}
    if unknown:
        raise QuestionsConfigError(f"{SETTING}: unknown table(s) {', '.join(sorted(unknown))}")
    default = _target(
        "default", data.get("default", {}), base.default if base is not None else None
    )
    provinces = dict(base.provinces) if base is not None else {}
    raw_provinces = data.get("provinces", {})
    if not isinstance(raw_provinces, dict):
        raise QuestionsConfigError("provinces: must be a table")
    for code, raw in raw_provinces.items():
        if not (isinstance(code, str) and len(code) == 2 and code.isdigit()):
            raise QuestionsConfigError(f"provinces.{code}: not a 2-digit province code")
        provinces[code] = _target(f"provinces.{code}", raw, default)
    return QuestionsConfig(default, provinces)


def default_config() -> QuestionsConfig:
    """The shipped defaults."""
    text = resources.files("lantian.assist.questions").joinpath("default.toml").read_text("utf-8")
    return parse_config(tomllib.loads(text))


@lru_cache(maxsize=8)
def _load(path: Path | None, mtime: float) -> QuestionsConfig:
    base = default_config()
    if path is None:
        return base
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise QuestionsConfigError(f"{SETTING}={path}: {exc}") from exc
    try:
        return parse_config(data, base)
    except QuestionsConfigError as exc:
        raise QuestionsConfigError(f"{SETTING}={path}: {exc}") from exc


def load_config(path: Path | None = None) -> QuestionsConfig:
    """Defaults, overridden by ``path`` (default: the setting ``LANTIAN_QUESTIONS_CONFIG``)."""
    if path is None:
        from lantian.settings import get_settings

        path = get_settings().questions_config
    mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
    return _load(path, mtime)
