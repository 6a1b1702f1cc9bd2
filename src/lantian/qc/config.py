"""Configuration of remote QC: tolerances and the schedule, validated at load.

The shipped default is ``lantian/qc/default.toml``; a province replaces it with a file
named by ``LANTIAN_QC_CONFIG`` (same layout). Errors name the setting, the file and the
entry at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantian.qc.commands import COMMANDS
from lantian.tomlconfig import load_toml_config


class QcConfigError(ValueError):
    """An invalid QC configuration (the message names the entry and the field)."""


@dataclass(frozen=True)
class ScheduleEntry:
    """Run request ``cn`` every ``every_hours`` for each outlet (or the listed ones)."""

    cn: str
    every_hours: float
    outlets: tuple[str, ...] = ()


@dataclass(frozen=True)
class QcConfig:
    """Tolerances and schedule of remote QC."""

    clock_tolerance_s: float = 60.0
    answer_timeout_s: float = 900.0
    expire_hours: float = 24.0
    schedule: tuple[ScheduleEntry, ...] = field(default_factory=tuple)


def _positive(raw: dict[str, Any], key: str, where: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise QcConfigError(f"{where}{key} must be a positive number, not {value!r}")
    return float(value)


def parse_qc_config(raw: dict[str, Any]) -> QcConfig:
    """Validate a parsed QC configuration."""
    known = {"clock_tolerance_s", "answer_timeout_s", "expire_hours", "schedule"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise QcConfigError(f"unknown setting(s): {', '.join(unknown)}")
    entries = []
    for i, item in enumerate(raw.get("schedule", []), start=1):
        where = f"schedule[{i}]."
        if not isinstance(item, dict):
            raise QcConfigError(f"schedule[{i}] must be a table")
        extra = sorted(set(item) - {"cn", "every_hours", "outlets"})
        if extra:
            raise QcConfigError(f"{where}{extra[0]}: unknown field")
        cn = str(item.get("cn", ""))
        if cn not in COMMANDS or cn == "1012":
            raise QcConfigError(
                f"{where}cn {cn!r} is not a schedulable QC command "
                f"({', '.join(c for c in COMMANDS if c != '1012')})"
            )
        outlets = item.get("outlets", [])
        if not isinstance(outlets, list) or not all(isinstance(o, str) for o in outlets):
            raise QcConfigError(f"{where}outlets must be a list of outlet ids")
        entries.append(
            ScheduleEntry(cn, _positive(item, "every_hours", where, 24.0), tuple(outlets))
        )
    return QcConfig(
        clock_tolerance_s=_positive(raw, "clock_tolerance_s", "", 60.0),
        answer_timeout_s=_positive(raw, "answer_timeout_s", "", 900.0),
        expire_hours=_positive(raw, "expire_hours", "", 24.0),
        schedule=tuple(entries),
    )


def load_qc_config(path: Path | None = None) -> QcConfig:
    """The QC configuration: ``path``, else ``LANTIAN_QC_CONFIG``, else the default."""
    if path is None:
        from lantian.settings import get_settings

        path = get_settings().qc_config
    return load_toml_config(
        path,
        package="lantian.qc",
        resource="default.toml",
        setting="LANTIAN_QC_CONFIG",
        error=QcConfigError,
        parse=parse_qc_config,
    )
