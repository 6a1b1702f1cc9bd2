"""City-wide pollution: the regional background, pollution episodes and the alerts they trigger."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lantian.demo.noise import F64, ar1


@dataclass(frozen=True)
class Episode:
    """A regional pollution episode (静稳天气): slow build-up, plateau, fast clean-out (hours)."""

    start: int
    peak_start: int
    peak_end: int
    end: int
    amplitude: float
    """Multiplier of the regional PM level at the plateau."""


@dataclass(frozen=True)
class AlertWindow:
    """A heavy-pollution weather alert (hours from the period start, end exclusive)."""

    alert_id: str
    level: str
    start: int
    end: int


@dataclass(frozen=True)
class Weather:
    """The regional component shared by every station, and the alerts."""

    log_pm25: F64
    """Hourly log of the regional PM2.5 (µg/m³), before station effects and diurnal cycle."""
    stagnation: F64
    """0..1 hourly index of stagnant conditions (raises NO2 and CO, lowers O3)."""
    episodes: list[Episode]
    alerts: list[AlertWindow]


def plan_weather(days: int, rng: np.random.Generator) -> Weather:
    """Regional background with episodes; alerts for the strong ones.

    The background is log-normal with strong persistence (hourly lag-1 autocorrelation about
    0.97), like the city median of the Beijing multi-site data in winter; each episode builds
    up over one to three days and is cleared within hours by a cold front.

    References
    ----------
    .. [1] Zhang S. et al. (2017), Cautionary tales on air-quality improvement in Beijing,
       Proc. R. Soc. A 473: 20170457 (UCI Beijing Multi-Site Air-Quality Data).
    """
    hours = days * 24
    base = np.log(rng.uniform(38, 60)) + ar1(rng, (hours,), 0.97, 0.3)
    bump = np.zeros(hours)
    episodes: list[Episode] = []
    alerts: list[AlertWindow] = []
    n_episodes = max(1 if days >= 3 else 0, round(days / 9 + rng.uniform(-0.3, 0.3)))
    if n_episodes:
        slots = np.linspace(0, hours, n_episodes + 1)
        for k in range(n_episodes):
            lo, hi = int(slots[k]), int(slots[k + 1])
            span = hi - lo
            build = int(min(rng.uniform(24, 66), span * 0.45))
            plateau = int(min(rng.uniform(8, 30), span * 0.25))
            clean = int(rng.uniform(4, 10))
            total = build + plateau + clean
            start = lo + int(rng.integers(0, max(1, span - total)))
            amp = float(rng.uniform(2.6, 5.0)) if k == 0 else float(rng.uniform(1.8, 4.5))
            ep = Episode(start, start + build, start + build + plateau, start + total, amp)
            episodes.append(ep)
            la = np.log(amp)
            t = np.arange(hours)
            rise = np.clip((t - ep.start) / max(build, 1), 0, 1)
            fall = np.clip((ep.end - t) / max(clean, 1), 0, 1)
            shape = np.where(t < ep.peak_end, rise, fall) * (t >= ep.start) * (t < ep.end)
            bump += la * shape
            if amp >= 2.5 or k == 0:
                level = "red" if amp >= 4.2 else "orange" if amp >= 3.0 else "yellow"
                a_start = ep.start + int(build * rng.uniform(0.35, 0.6))
                a_start = max(0, a_start - a_start % 4)
                a_end = min(hours, ep.end + int(rng.integers(2, 12)))
                if a_end - a_start >= 12:
                    alerts.append(AlertWindow(f"A{len(alerts) + 1:03d}", level, a_start, a_end))
    log_pm = base + bump
    stagnation = np.clip(bump / np.log(4.0), 0.0, 1.0)
    return Weather(log_pm, stagnation, episodes, alerts)
