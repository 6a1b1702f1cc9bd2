"""Simulated demo city: a labelled bundle in the v1 exchange formats (``lantian demo-city``).

Use :func:`generate_city` with a :class:`CityConfig` (or :func:`preset`)::

    from lantian.demo import CityConfig, generate_city
    summary = generate_city(Path("var/demo-city"), CityConfig(seed=7))
"""

from lantian.demo.city import CitySummary, generate_city
from lantian.demo.config import PRESETS, CityConfig, preset

__all__ = ["PRESETS", "CityConfig", "CitySummary", "generate_city", "preset"]
