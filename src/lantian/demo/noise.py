"""Random-process helpers (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
_BLOCK = 96


def ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float, sd: float) -> F64:
    """Stationary AR(1) noise along the last axis: ``x[t] = phi * x[t-1] + e[t]``.

    Parameters
    ----------
    rng
        Random generator.
    shape
        Output shape; the last axis is time.
    phi
        Lag-1 autocorrelation, ``0 <= phi < 1``.
    sd
        Stationary standard deviation of ``x``.

    Notes
    -----
    Computed block-wise with cumulative sums (no Python loop per step), exact up to rounding.
    """
    n = shape[-1]
    innov_sd = sd * np.sqrt(max(1e-12, 1.0 - phi * phi))
    e = rng.normal(0.0, innov_sd, size=shape)
    out = np.empty(shape, dtype=np.float64)
    prev = rng.normal(0.0, sd, size=shape[:-1])
    if phi <= 1e-9:
        return np.asarray(e * (sd / max(innov_sd, 1e-12)), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        k = np.arange(stop - start, dtype=np.float64)
        pw = phi ** (-k)
        acc = np.cumsum(e[..., start:stop] * pw, axis=-1)
        block = phi**k * (phi * prev[..., None] + acc)
        out[..., start:stop] = block
        prev = block[..., -1]
    return out


def runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start (inclusive) and end (exclusive) of every run of True in a 1-D mask."""
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    d = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(d[0::2], d[1::2], strict=True)]
