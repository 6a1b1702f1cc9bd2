"""Rule parameters: defaults per rule, overridden per city/district, industry, enterprise
and outlet from a TOML file (most specific wins).

Layout of the file (``settings.rules_config`` or ``lantian detect --config``)::

    [state]                         # shared intermediates (lantian.rules.context.StateParams)
    producing_on_share = 0.75

    [upwind]                        # 溯源 candidates of hot spots (lantian.rules.upwind)
    range_km = 10

    [rules."CEMS-EXCEED"]           # everywhere (a province's file is its default)
    min_duration_h = 1

    [city."清河市".rules."CEMS-EXCEED"]        # enterprises.city or district, stations.city
    [industry.steel.rules."CEMS-PINNED"]
    [enterprise.E0001.rules."POWER-TREAT-LOW"]
    [outlet.P0001.rules."CEMS-FLATLINE"]      # outlet-scoped rules only

Order of precedence: rules < city/district < industry < enterprise < outlet.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lantian.rules.base import Rule
    from lantian.rules.inputs import Inputs


class ConfigError(ValueError):
    """A rules configuration names an unknown rule or parameter, or a bad value."""


@dataclass(frozen=True)
class RulesConfig:
    """Parsed overrides."""

    state: dict[str, Any] = field(default_factory=dict)
    upwind: dict[str, Any] = field(default_factory=dict)
    """``[upwind]``: :class:`lantian.rules.upwind.UpwindParams` overrides (溯源 candidates)."""
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    city: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    industry: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    enterprise: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    outlet: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RulesConfig:
        """From a parsed TOML document, or a plain ``{code: {param: value}}`` mapping."""
        known = {"state", "upwind", "rules", "city", "industry", "enterprise", "outlet"}
        if data and not (set(data) & known):
            data = {"rules": data}
        extra = set(data) - known
        if extra:
            raise ConfigError(f"unknown section(s): {', '.join(sorted(extra))}")

        def scoped(sec: str) -> dict[str, dict[str, dict[str, Any]]]:
            raw = data.get(sec, {})
            return {str(k): dict(v.get("rules", {})) for k, v in raw.items()}

        cfg = cls(
            state=dict(data.get("state", {})),
            upwind=dict(data.get("upwind", {})),
            rules=dict(data.get("rules", {})),
            city=scoped("city"),
            industry=scoped("industry"),
            enterprise=scoped("enterprise"),
            outlet=scoped("outlet"),
        )
        cfg.validate()
        return cfg

    @classmethod
    def from_toml(cls, path: str | Path) -> RulesConfig:
        """Read a TOML file."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{p}: {exc}") from exc
        return cls.from_dict(data)

    def _all_overrides(self) -> list[tuple[str, dict[str, dict[str, Any]]]]:
        out: list[tuple[str, dict[str, dict[str, Any]]]] = [("rules", self.rules)]
        for sec in ("city", "industry", "enterprise", "outlet"):
            for key, val in getattr(self, sec).items():
                out.append((f"{sec}.{key}", val))
        return out

    def validate(self) -> None:
        """Every code and parameter must exist; values must convert."""
        from lantian.rules import catalog
        from lantian.rules.context import StateParams
        from lantian.rules.upwind import UpwindParams

        reg = catalog.all_rules()
        _convert(StateParams, self.state, "state")
        _convert(UpwindParams, self.upwind, "upwind")
        for where, rules in self._all_overrides():
            for code, values in rules.items():
                if code not in reg:
                    raise ConfigError(f"{where}: unknown rule {code!r}")
                _convert(reg[code].params_type, values, f"{where}.{code}")

    def state_params(self, typ: type[Any]) -> Any:
        """The shared-intermediate parameters with overrides."""
        return typ(**_convert(typ, self.state, "state"))

    def upwind_params(self, typ: type[Any]) -> Any:
        """The upwind-candidate parameters with the ``[upwind]`` overrides."""
        return typ(**_convert(typ, self.upwind, "upwind"))

    def params_for(
        self,
        rule: Rule,
        *,
        city: str | None = None,
        district: str | None = None,
        industry: str | None = None,
        enterprise: str | None = None,
        outlet: str | None = None,
    ) -> Any:
        """Effective parameters of a rule for one subject (most specific wins)."""
        values: dict[str, Any] = {}
        layers: list[dict[str, Any]] = [self.rules.get(rule.code, {})]
        for key in (district, city):
            if key is not None and key in self.city:
                layers.insert(1, self.city[key].get(rule.code, {}))
        if industry is not None:
            layers.append(self.industry.get(industry, {}).get(rule.code, {}))
        if enterprise is not None:
            layers.append(self.enterprise.get(enterprise, {}).get(rule.code, {}))
        if outlet is not None:
            layers.append(self.outlet.get(outlet, {}).get(rule.code, {}))
        for layer in layers:
            values.update(layer)
        return rule.params_type(**_convert(rule.params_type, values, rule.code))

    def has_scoped(self, code: str) -> bool:
        """True when some city/industry/enterprise/outlet section overrides this rule."""
        return any(
            code in rules
            for sec in (self.city, self.industry, self.enterprise, self.outlet)
            for rules in sec.values()
        )


def _convert(typ: type[Any], values: dict[str, Any], where: str) -> dict[str, Any]:
    names = {f.name: f for f in fields(typ)}
    out: dict[str, Any] = {}
    defaults = typ()
    for k, v in values.items():
        if k not in names:
            raise ConfigError(f"{where}: unknown parameter {k!r} (known: {', '.join(names)})")
        d = getattr(defaults, k)
        try:
            if isinstance(d, bool):
                if not isinstance(v, bool):
                    raise TypeError("expected true/false")
                out[k] = v
            elif isinstance(d, tuple):
                out[k] = tuple(v)
            elif isinstance(d, int):
                out[k] = int(v)
            elif isinstance(d, float):
                out[k] = float(v)
            else:
                out[k] = v
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}.{k}: bad value {v!r} ({exc})") from exc
    return out


def scope_groups(cfg: RulesConfig, rule: Rule, inputs: Inputs) -> list[tuple[Any, Inputs | None]]:
    """Split subjects into groups with equal effective parameters.

    Returns ``[(params, restricted inputs or None)]``; one group with ``None`` when no
    scoped override touches the rule (the common, fast case).
    """
    if not cfg.has_scoped(rule.code):
        return [(cfg.params_for(rule), None)]
    if rule.scope == "city":
        st = inputs.stations.select("station_id", "city").execute()
        gr = inputs.grids.select("city").execute()  # grid rules (v2) are city-scoped too
        cities = sorted({str(c) for c in [*st["city"], *gr["city"]] if c is not None})
        by_city: dict[Any, list[str]] = {}
        for c in cities:
            by_city.setdefault(cfg.params_for(rule, city=c), []).append(c)
        out: list[tuple[Any, Inputs | None]] = []
        for p, cs in by_city.items():
            stations = inputs.stations.filter(inputs.stations.city.isin(cs))
            grids = inputs.grids.filter(inputs.grids.city.isin(cs))
            sub = replace(
                inputs,
                stations=stations,
                ambient=inputs.ambient.semi_join(stations.select("station_id"), "station_id"),
                grids=grids,
                grid_hourly=inputs.grid_hourly.semi_join(grids.select("grid_id"), "grid_id"),
            )
            out.append((p, sub))
        return out
    ents = inputs.enterprises.select("enterprise_id", "city", "district", "industry").execute()
    info = {str(r["enterprise_id"]): r for r in ents.to_dict("records")}
    groups: dict[Any, list[str]] = {}
    if rule.scope == "outlet":
        outs = inputs.outlets.select("outlet_id", "enterprise_id").execute()
        for r in outs.to_dict("records"):
            e = info.get(str(r["enterprise_id"]), {})
            p = cfg.params_for(
                rule,
                city=e.get("city"),
                district=e.get("district"),
                industry=e.get("industry"),
                enterprise=str(r["enterprise_id"]),
                outlet=str(r["outlet_id"]),
            )
            groups.setdefault(p, []).append(str(r["outlet_id"]))
        return [(p, inputs.restrict_outlets(ids)) for p, ids in groups.items()]
    for eid, e in info.items():
        p = cfg.params_for(
            rule,
            city=e.get("city"),
            district=e.get("district"),
            industry=e.get("industry"),
            enterprise=eid,
        )
        groups.setdefault(p, []).append(eid)
    return [(p, inputs.restrict_enterprises(ids)) for p, ids in groups.items()]
