"""The shipped self-check templates (``data/*.toml``), validated at load.

One file per industry of the exchange formats (all 14) plus ``common.toml`` with groups of
items shared by several industries (permit, emission standard, CEMS, 分表计电, 重污染天气
绩效分级, VOCs). An industry file names the groups it includes and adds its own items.
Every item has an ``id`` (unique in its template), a ``text``, a ``basis`` (the source it
cites; ``{standard}`` becomes the industry's emission standard) and optionally a ``when``
condition (:mod:`lantian.assist.selfchecks.conditions`). Errors name the file and item.

References
----------
.. [1] 排污许可管理条例 (国务院令 第736号, 2021); HJ 944-2018 排污单位环境管理台账及排污
       许可证执行报告技术规范; HJ 819-2017 排污单位自行监测技术指南 总则.
.. [2] HJ 75-2017 / HJ 76-2017 (CEMS operation and technical requirements).
.. [3] The industry emission standards of :data:`lantian.documents.provisions.STANDARD_BY_INDUSTRY`;
       GB 37822-2019 (VOCs fugitive emissions).
.. [4] 重污染天气重点行业应急减排措施制定技术指南 (2020 修订版).
   The article and section numbers cited by the items were written from the standards'
   published tables of contents and are not verified clause by clause (unverified).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lantian.assist.selfchecks.conditions import ConditionError, validate_condition
from lantian.documents.provisions import standard_for
from lantian.registry.vocab import INDUSTRIES

DATA_DIR = Path(__file__).with_name("data")
"""Where the shipped templates are."""


class TemplateError(ValueError):
    """A template file or item that is not valid (the message names the entry)."""


@dataclass(frozen=True)
class Item:
    """One self-check item."""

    id: str
    text: str
    basis: str
    when: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """As stored in ``checklist_templates.items`` (``code`` is the item id)."""
        return {"code": self.id, "text": self.text, "basis": self.basis, "when": self.when}


@dataclass(frozen=True)
class TemplateSpec:
    """One industry's self-check table as shipped."""

    industry: str
    title: str
    items: tuple[Item, ...]


def parse_item(raw: Any, where: str, industry: str) -> Item:
    """One item from its TOML table; ``where`` names it in errors.

    Raises
    ------
    TemplateError
        A missing or empty ``id``/``text``/``basis``, an unknown key, or a bad condition.
    """
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: an item must be a table")
    unknown = set(raw) - {"id", "text", "basis", "when"}
    if unknown:
        raise TemplateError(f"{where}: unknown key(s) {sorted(unknown)}")
    vals: dict[str, str] = {}
    for key in ("id", "text", "basis"):
        v = raw.get(key)
        if not isinstance(v, str) or not v.strip():
            raise TemplateError(f"{where}: {key} is required (a non-empty string)")
        vals[key] = v.strip()
    item_where = f"{where} ({vals['id']})"
    if len(vals["id"]) > 32:
        raise TemplateError(f"{item_where}: id longer than 32 characters")
    try:
        when = validate_condition(raw.get("when"))
    except ConditionError as exc:
        raise TemplateError(f"{item_where}: when: {exc}") from exc
    basis = vals["basis"].replace("{standard}", standard_for(industry).citation)
    return Item(vals["id"], vals["text"], basis, when)


def parse_template(data: dict[str, Any], groups: dict[str, Any], name: str) -> TemplateSpec:
    """One industry file (parsed TOML) with the common ``groups``; ``name`` names the file."""
    industry = data.get("industry")
    if industry not in INDUSTRIES:
        raise TemplateError(f"{name}: industry {industry!r} is not one of {list(INDUSTRIES)}")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise TemplateError(f"{name}: title is required")
    items: list[Item] = []
    for group in data.get("include", []):
        if group not in groups:
            raise TemplateError(f"{name}: include: unknown group {group!r} of common.toml")
        for i, raw in enumerate(groups[group], 1):
            items.append(parse_item(raw, f"common.toml groups.{group}[{i}]", industry))
    for i, raw in enumerate(data.get("items", []), 1):
        items.append(parse_item(raw, f"{name} items[{i}]", industry))
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            raise TemplateError(f"{name}: item id {it.id!r} appears twice")
        seen.add(it.id)
    if not items:
        raise TemplateError(f"{name}: no items")
    return TemplateSpec(industry, title.strip(), tuple(items))


def read_templates(directory: Path = DATA_DIR) -> dict[str, TemplateSpec]:
    """Every template under ``directory`` (industry → template).

    Raises
    ------
    TemplateError
        A file that does not parse or validate, two files of one industry, or an industry
        of the exchange formats without a template.
    """

    def load(path: Path) -> dict[str, Any]:
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise TemplateError(f"{path.name}: {exc}") from exc

    common = directory / "common.toml"
    groups = load(common).get("groups", {}) if common.exists() else {}
    out: dict[str, TemplateSpec] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == "common.toml":
            continue
        spec = parse_template(load(path), groups, path.name)
        if spec.industry in out:
            raise TemplateError(f"{path.name}: a second template of industry {spec.industry!r}")
        out[spec.industry] = spec
    missing = [i for i in INDUSTRIES if i not in out]
    if missing:
        raise TemplateError(f"{directory}: no self-check template for {missing}")
    return out


@lru_cache(maxsize=1)
def shipped_templates() -> dict[str, TemplateSpec]:
    """The shipped templates (read once)."""
    return read_templates()


def template_id_for(industry: str, version: int) -> str:
    """``checklist_templates.template_id`` of a self-check template version."""
    return f"selfcheck-{industry}-v{version}"
