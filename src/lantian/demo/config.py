"""Size, time range and output options of a simulated city."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

DATA_FORMATS: tuple[str, ...] = ("auto", "csv", "parquet")
"""``auto``: power as Parquet, the other data files as CSV (the layout of dev-city)."""


@dataclass(frozen=True)
class CityConfig:
    """Everything that determines a simulated city; the same config gives the same bundle.

    Parameters
    ----------
    enterprises
        Number of enterprises (ignored when ``outlets`` or ``meters`` targets are set).
    days
        Length of the period in days (whole days from ``start`` 00:00 +08:00).
    seed
        Random seed.
    start
        First day.
    power_interval_min
        Base interval of the power data, minutes (must divide 60).
    stations
        Number of ambient stations.
    outlets, meters
        Optional targets: enterprises are added until the city has this many outlets and meters.
    mixed_intervals
        If true, some meters (5 % + 25 % × difficulty) report at a coarser regular interval
        (e.g. 10 or 15 minutes when the base is 5).
    data_format
        ``auto``, ``csv`` or ``parquet`` for the files under ``data/``.
    incident_rate
        Multiplies the expected number of incidents of every family.
    difficulty
        0 (easy) … 1 (hard): share of subtle incidents near the thresholds, noise of meters,
        CEMS and stations, benign gaps and faults, outlets without a line in the registry,
        treatment start-up lags.
    analyser_failures
        Expected single-analyser failures per 100 outlet-days: one pollutant's rows absent or
        flagged B/D for 4-30 production hours while the outlet's other analysers report
        (labelled MISSING with that pollutant). 0 in the classic presets.
    treatment_outages
        Expected long treatment-meter outages per 100 treatment-meter-days: the meter sends
        nothing for 4-16 h while its line produces and its treatment runs (a benign
        look-alike of TREATMENT_OFF: no label). 0 in the classic presets.
    borderline
        Share of TREATMENT_LOW incidents drawn near the threshold (40-60 % of normal power
        for 2-3 h, often straddling hour boundaries). 0 in the classic presets.
    """

    enterprises: int = 40
    days: int = 14
    seed: int = 1
    start: date = date(2025, 1, 6)
    power_interval_min: int = 5
    stations: int = 10
    outlets: int | None = None
    meters: int | None = None
    mixed_intervals: bool = True
    data_format: str = "auto"
    incident_rate: float = 1.0
    difficulty: float = 0.3
    analyser_failures: float = 0.0
    treatment_outages: float = 0.0
    borderline: float = 0.0

    def validated(self) -> CityConfig:
        """Return self after checking every field (``ValueError`` naming the bad one)."""
        if self.enterprises < 1:
            raise ValueError("enterprises must be at least 1")
        if not 1 <= self.days <= 400:
            raise ValueError("days must be between 1 and 400")
        if self.power_interval_min < 1 or 60 % self.power_interval_min:
            raise ValueError("power_interval_min must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15 …)")
        if self.power_interval_min > 15:
            raise ValueError("power_interval_min must be at most 15 (contract: 1 to 15 minutes)")
        if self.stations < 3:
            raise ValueError("stations must be at least 3 (a hot spot needs neighbours)")
        if self.outlets is not None and self.outlets < 1:
            raise ValueError("outlets must be at least 1")
        if self.meters is not None and self.meters < 2:
            raise ValueError("meters must be at least 2")
        if self.data_format not in DATA_FORMATS:
            raise ValueError(f"data_format must be one of {', '.join(DATA_FORMATS)}")
        if self.incident_rate < 0:
            raise ValueError("incident_rate must be >= 0")
        if not 0.0 <= self.difficulty <= 1.0:
            raise ValueError("difficulty must be between 0 and 1")
        if self.analyser_failures < 0:
            raise ValueError("analyser_failures must be >= 0")
        if self.treatment_outages < 0:
            raise ValueError("treatment_outages must be >= 0")
        if not 0.0 <= self.borderline <= 1.0:
            raise ValueError("borderline must be between 0 and 1")
        return self

    @property
    def hours(self) -> int:
        """Number of hours in the period."""
        return self.days * 24

    @property
    def steps_per_hour(self) -> int:
        """Base power intervals per hour."""
        return 60 // self.power_interval_min


PRESETS: dict[str, CityConfig] = {
    "default": CityConfig(),
    "small": CityConfig(enterprises=12, days=4, stations=5),
    "hard": CityConfig(enterprises=60, days=21, stations=16, difficulty=0.85, seed=101),
    "harder": CityConfig(
        enterprises=50,
        days=21,
        stations=12,
        difficulty=1.0,
        seed=201,
        incident_rate=1.5,
        analyser_failures=1.0,
        treatment_outages=2.0,
        borderline=0.5,
    ),
    "city-month": CityConfig(
        days=30, outlets=1000, meters=4000, stations=50, mixed_intervals=False
    ),
}
"""Named configurations; ``harder`` has the confounders of the held-out cities (noisiest
data, borderline TREATMENT_LOW, long treatment-meter outages, single analysers failing);
``city-month`` is the scale target (1,000 outlets, 4,000 meters at
5 minutes, 50 stations, 30 days: 34.6 million power rows)."""


def preset(name: str, **overrides: object) -> CityConfig:
    """The named preset with some fields replaced (``None`` values are ignored)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    changes = {k: v for k, v in overrides.items() if v is not None}
    return replace(PRESETS[name], **changes)  # type: ignore[arg-type]
