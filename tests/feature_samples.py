"""Labelled toy feature samples for the metric tests: one Gaussian cloud per class, spaced along every axis."""

from __future__ import annotations

import numpy as np

from bagan_lib.metrics import Features


def labelled_features(counts, *, spacing: float, dim: int, shift: float = 0.0, seed: int = 0):
    """(Features named "toy", labels): ``counts[c]`` points of N(spacing * c + shift, I) in ``dim`` dimensions."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts)
    return Features(rng.normal(size=(len(y), dim)) + spacing * y[:, None] + shift, "toy"), y
