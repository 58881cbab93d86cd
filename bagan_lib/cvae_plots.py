"""Figures of notebook 07: the reparameterisation's noise, the pre-training curves, CAPGAN vs BAGAN-GP by rate."""

from __future__ import annotations

import numpy as np


def plot_noise_draws(draws: dict, *, mu: float, sigma: float, title: str):
    """Histograms of z = mu + sigma * eps per noise (``cvae.noise_draw_comparison``) over the N(mu, sigma^2) density."""
    import matplotlib.pyplot as plt
    from scipy import stats

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    grid = np.linspace(mu - 4 * sigma, mu + 4 * sigma, 300)
    for name, z in draws.items():
        ax.hist(z, bins=80, range=(grid[0], grid[-1]), density=True, alpha=0.5,
                label=f"eps ~ {'N(0, 1)' if name == 'normal' else 'U(0, 1)'}: mean {z.mean():.2f}, var {z.var():.3f}")
    ax.plot(grid, stats.norm(mu, sigma).pdf(grid), "k-", lw=1.5, label=f"N({mu:g}, {sigma ** 2:g}), what Eq. 8 assumes")
    ax.set_xlabel("z = mu + sigma * eps")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_pretraining_curves(results: dict, *, title: str):
    """The CVAE objective per epoch of every strategy (phases and ensemble members in turn)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for strategy, (_, report) in results.items():
        losses = report.losses
        ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", ms=3, label=strategy)
    ax.set_xlabel("epoch (phases and ensemble members in turn)")
    ax.set_ylabel("CVAE objective (Eq. 7), per image")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_minority_by_rate(summary, models, *, title: str):
    """Mean minority-class classifier accuracy of each model against the imbalance rate (log scale)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for model in models:
        ax.plot(summary["rate"], summary[f"{model} minority"], marker="o", label=model)
    ax.set_xscale("log")
    ax.set_xticks(list(summary["rate"]), [f"{r:g}" for r in summary["rate"]])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("imbalance rate (majority : minority images)")
    ax.set_ylabel("minority classes: mean share classified as their class")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
