"""Figures of notebook 07: the reparameterisation's noise, the pre-training curves, CAPGAN vs BAGAN-GP by rate."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats


def _axes(size=(6.5, 3.6)):
    return plt.subplots(figsize=size)


def _finish(fig, ax, *, xlabel: str, ylabel: str, title: str):
    """Labels, title and legend: every figure of this module ends alike."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_noise_draws(draws: dict, *, mu: float, sigma: float, title: str):
    """Histograms of z = mu + sigma * eps per noise (``cvae.noise_draw_comparison``) over the N(mu, sigma^2) density."""
    fig, ax = _axes()
    grid = np.linspace(mu - 4 * sigma, mu + 4 * sigma, 300)
    for name, z in draws.items():
        ax.hist(z, bins=80, range=(grid[0], grid[-1]), density=True, alpha=0.5,
                label=f"eps ~ {'N(0, 1)' if name == 'normal' else 'U(0, 1)'}: mean {z.mean():.2f}, var {z.var():.3f}")
    ax.plot(grid, stats.norm(mu, sigma).pdf(grid), "k-", lw=1.5, label=f"N({mu:g}, {sigma ** 2:g}), what Eq. 8 assumes")
    return _finish(fig, ax, xlabel="z = mu + sigma * eps", ylabel="density", title=title)


def plot_pretraining_curves(results: dict, *, title: str):
    """The CVAE objective per epoch of every strategy (phases and ensemble members in turn)."""
    fig, ax = _axes()
    for strategy, (_, report) in results.items():
        losses = report.losses
        ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", ms=3, label=strategy)
    return _finish(fig, ax, xlabel="epoch (phases and ensemble members in turn)",
                   ylabel="CVAE objective (Eq. 7), per image", title=title)


def plot_minority_by_rate(summary, models, *, title: str):
    """Mean minority-class classifier accuracy of each model against the imbalance rate (log scale)."""
    fig, ax = _axes((6, 3.6))
    for model in models:
        ax.plot(summary["rate"], summary[f"{model} minority"], marker="o", label=model)
    ax.set_xscale("log")
    ax.set_xticks(list(summary["rate"]), [f"{r:g}" for r in summary["rate"]])
    ax.set_ylim(0, 1.02)
    return _finish(fig, ax, xlabel="imbalance rate (majority : minority images)",
                   ylabel="minority classes: mean share classified as their class", title=title)
