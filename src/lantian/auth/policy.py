"""What an enterprise account sees of the workflow: a policy, configurable per province.

An enterprise always sees its own registry data (enterprise, outlets, meters), the notices
addressed to it, and the files it uploaded itself. A lead, and the case holding it, it sees
only once that case has *reached* it; a check record (officers' notes, checklist, GPS) and
its photos only when an officer marked the record as shared.

A case has reached its enterprise when it is past ``new`` (dispatched at least) and one of
the province's ``case_reached_by`` triggers holds:

==================  ==================================================================
trigger             the case …
==================  ==================================================================
``notice``          has a notice (提示函, 预告知) addressed to the enterprise
``rectification``   has a fix path: 立行立改 or a 督办 rectification order to the enterprise
``shared``          was shared with the enterprise by an officer (audited action)
``confirmed``       was judged 问题属实 (verified), whatever was sent
==================  ==================================================================

Default: ``notice``, ``rectification`` and ``shared`` — the enterprise learns of a
suspicion when an officer addresses it, never from an undispatched or unverified lead.
Automatic leads about data falsification are suspicions of a criminal offence; showing
them to the suspected falsifier before the check would let it tidy its data and devices
[1]_ [2]_. ``confirmed`` is offered for provinces that publish verified findings to the
enterprise at once.

The policy is data: a TOML file named by ``LANTIAN_VISIBILITY_POLICY``::

    [default]
    case_reached_by = ["notice", "rectification", "shared"]

    [provinces.44]          # GB/T 2260 province code (Guangdong)
    case_reached_by = ["notice", "rectification", "shared", "confirmed"]

Unknown keys, unknown triggers, an empty trigger list or a province code that is not two
digits are refused at load with a message naming the key.

References
----------
.. [1] 最高人民法院 最高人民检察院, 关于办理环境污染刑事案件适用法律若干问题的解释
       (法释〔2016〕29号), 第十条: falsifying automatic monitoring data (unverified
       article number).
.. [2] 生态环境部, 生态环境行政处罚办法 (2023), 调查取证 (investigation before the party is
       informed; unverified section reference).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRIGGERS: tuple[str, ...] = ("notice", "rectification", "shared", "confirmed")
"""What may make a case reach its enterprise (see the module docstring)."""
DEFAULT_TRIGGERS: tuple[str, ...] = ("notice", "rectification", "shared")


class PolicyError(ValueError):
    """A visibility policy file that is not valid (the message names the key)."""


@dataclass(frozen=True)
class EnterprisePolicy:
    """The triggers that make a case (and its leads) visible to its enterprise."""

    case_reached_by: tuple[str, ...] = DEFAULT_TRIGGERS


@dataclass(frozen=True)
class VisibilityPolicy:
    """The default enterprise policy and per-province overrides (GB/T 2260 2-digit code)."""

    default: EnterprisePolicy = field(default_factory=EnterprisePolicy)
    provinces: Mapping[str, EnterprisePolicy] = field(default_factory=dict)


def _enterprise_policy(data: Any, where: str) -> EnterprisePolicy:
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a table")
    unknown = set(data) - {"case_reached_by"}
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {sorted(unknown)} (allowed: case_reached_by)")
    triggers = data.get("case_reached_by", list(DEFAULT_TRIGGERS))
    if not isinstance(triggers, list) or not all(isinstance(t, str) for t in triggers):
        raise PolicyError(f"{where}.case_reached_by: expected a list of strings")
    bad = sorted(set(triggers) - set(TRIGGERS))
    if bad:
        raise PolicyError(
            f"{where}.case_reached_by: unknown trigger(s) {bad} (allowed: {TRIGGERS})"
        )
    if not triggers:
        raise PolicyError(
            f"{where}.case_reached_by: empty (an enterprise would never see its cases;"
            " name at least one trigger)"
        )
    return EnterprisePolicy(tuple(dict.fromkeys(triggers)))


def parse_policy(data: Mapping[str, Any]) -> VisibilityPolicy:
    """A :class:`VisibilityPolicy` from parsed TOML/JSON data; :class:`PolicyError` if invalid."""
    unknown = set(data) - {"default", "provinces"}
    if unknown:
        raise PolicyError(f"unknown key(s) {sorted(unknown)} (allowed: default, provinces)")
    default = _enterprise_policy(data.get("default", {}), "default")
    provs = data.get("provinces", {})
    if not isinstance(provs, dict):
        raise PolicyError("provinces: expected a table of province codes")
    out: dict[str, EnterprisePolicy] = {}
    for code, sub in provs.items():
        if not (isinstance(code, str) and len(code) == 2 and code.isdigit()):
            raise PolicyError(f"provinces.{code}: not a 2-digit GB/T 2260 province code")
        out[code] = _enterprise_policy(sub, f"provinces.{code}")
    return VisibilityPolicy(default, out)


def load_policy(path: Path) -> VisibilityPolicy:
    """Read and validate a policy TOML file (:class:`PolicyError` names file and key)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    try:
        return parse_policy(data)
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from exc


_OVERRIDE: list[VisibilityPolicy] = []
_LOADED: dict[Path | None, VisibilityPolicy] = {}


def get_policy() -> VisibilityPolicy:
    """The effective policy: an override (:func:`use_policy`), else the file named by
    ``LANTIAN_VISIBILITY_POLICY`` (read once), else the default."""
    if _OVERRIDE:
        return _OVERRIDE[-1]
    from lantian.settings import get_settings

    path = get_settings().visibility_policy
    pol = _LOADED.get(path)
    if pol is None:
        pol = load_policy(path) if path is not None else VisibilityPolicy()
        _LOADED[path] = pol
    return pol


@contextmanager
def use_policy(policy: VisibilityPolicy) -> Iterator[VisibilityPolicy]:
    """Use ``policy`` in this process for the duration of the block (tests, tools)."""
    _OVERRIDE.append(policy)
    try:
        yield policy
    finally:
        _OVERRIDE.pop()


__all__ = [
    "DEFAULT_TRIGGERS",
    "TRIGGERS",
    "EnterprisePolicy",
    "PolicyError",
    "VisibilityPolicy",
    "get_policy",
    "load_policy",
    "parse_policy",
    "use_policy",
]
