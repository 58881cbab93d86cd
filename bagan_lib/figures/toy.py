"""Figures of notebooks 01-03: the 1-D theory, the ring of 8 Gaussians, critics and their penalties.

Every function returns a matplotlib Figure, titled and with labelled axes, ready
for :func:`bagan_lib.runtime.outputs.save_figure`. Functions that draw one panel take an
optional ``ax`` and then return ``ax.figure``. The numbers come from
:mod:`bagan_lib.toy.theory_1d` and :mod:`bagan_lib.toy.gaussian_ring`; nothing is computed here
that a test should check.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from bagan_lib.toy import gaussian_ring as toy2d, theory_1d as gan_theory

EXTENT = 3.0              # the ring has radius 2; the plots show [-3, 3]^2
REAL_COLOR, FAKE_COLOR, HAT_COLOR, MODE_COLOR = "0.25", "tab:blue", "tab:orange", "tab:red"
ON_LANDSCAPE_COLOR = "magenta"   # generated points drawn over a (viridis) critic landscape


def _pyplot():
    return plt


def _new(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize)
    return fig, ax


def _ring_axes(ax, *, xlabel=True, ylabel=True, extent=EXTENT):
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    if xlabel:
        ax.set_xlabel("$x_1$")
    if ylabel:
        ax.set_ylabel("$x_2$")


def _mode_marks(ax, *, label=True):
    c = toy2d.mode_centers()
    ax.scatter(c[:, 0], c[:, 1], marker="x", s=45, c=MODE_COLOR, linewidths=1.5, zorder=5,
               label="mode centres" if label else None)


def _coverage_text(samples) -> str:
    cov = toy2d.mode_coverage(samples)
    return f"{cov.modes_covered}/8 modes, {100 * cov.high_quality_share:.0f} % high quality"


# --------------------------------------------------------------------------- #
# 1-D theory (notebooks 01 and 02)
# --------------------------------------------------------------------------- #
def plot_optimal_discriminator(p_r, p_g, *, title: str | None = None, ax=None):
    """The two densities and the optimal discriminator ``D* = p_r / (p_r + p_g)`` on a second axis."""
    p_r, p_g = gan_theory._as_gaussian(p_r), gan_theory._as_gaussian(p_g)
    fig, ax = _new(ax, (6.4, 3.6))
    x = gan_theory.integration_grid(p_r, p_g, width=4.0, n=800)
    ax.plot(x, p_r.pdf(x), color=REAL_COLOR, label=f"$p_r$ = N({p_r.mu:g}, {p_r.sigma:g}²)")
    ax.plot(x, p_g.pdf(x), color=FAKE_COLOR, label=f"$p_g$ = N({p_g.mu:g}, {p_g.sigma:g}²)")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    twin = ax.twinx()
    twin.plot(x, gan_theory.optimal_discriminator(x, p_r, p_g), color="tab:green", ls="--",
              label="$D^*(x) = p_r / (p_r + p_g)$")
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("$D^*(x)$")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="upper left")
    js = gan_theory.js_divergence(p_r, p_g)
    ax.set_title(title or f"The optimal discriminator (JS = {js:.3f} nats)")
    fig.tight_layout()
    return fig


def plot_divergences_vs_distance(distances, *, sigma: float = 1.0, show_wasserstein: bool = False,
                                 title: str | None = None):
    """JS divergence and ``V(D*, G)`` against the distance between two Gaussians; or JS and W1 (``show_wasserstein``)."""
    plt = _pyplot()
    d = np.asarray(distances, dtype=float)
    js = np.array([gan_theory.js_divergence((0, sigma), (x, sigma)) for x in d])
    v = None if show_wasserstein else np.array([gan_theory.value_at_optimum((0, sigma), (x, sigma)) for x in d])
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(d, js, color="tab:purple", label="JS($p_r \\| p_g$)")
    if not show_wasserstein:
        ax.plot(d, v, color="tab:green", label="$V(D^*, G)$")
        ax.plot(d, 2 * js - gan_theory.LOG4, color="k", ls=":", lw=2, label="$2\\,$JS $- \\log 4$")
    ax.axhline(gan_theory.LOG2, color="tab:purple", lw=0.8, ls="--")
    ax.annotate("log 2: JS stops growing", (d[-1], gan_theory.LOG2 + 0.02), ha="right", va="bottom", fontsize=8,
                color="tab:purple")
    ax.set_ylim(top=gan_theory.LOG2 + 0.2)
    ax.set_xlabel(f"distance $|\\mu_g - \\mu_r|$ between $p_r$ and $p_g$ (both with $\\sigma$ = {sigma:g})")
    ax.set_ylabel("nats")
    if show_wasserstein:
        twin = ax.twinx()
        twin.plot(d, [gan_theory.wasserstein1((0, sigma), (x, sigma)) for x in d], color="tab:orange",
                  label="$W_1$ (earth mover's distance, Eq. 4)")
        twin.set_ylabel("$W_1$")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = twin.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
        ax.set_ylim(bottom=-0.02)
    else:
        ax.legend(fontsize=8, loc="center right")
    ax.set_title(title or "Divergence between two Gaussians as they move apart")
    fig.tight_layout()
    return fig


def plot_generator_gradients(distances, *, sigma: float = 1.0, sharpness=(1.0, 0.25), title: str | None = None):
    """``|dL_G / d mu_g|`` against the distance, for both generator losses (log scale)."""
    plt = _pyplot()
    d = np.asarray(distances, dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    styles = {"saturating": ("tab:red", "Eq. 1, saturating: $\\log(1 - D(G(z)))$"),
              "non_saturating": ("tab:blue", "Eq. 3, non-saturating: $-\\log D(G(z))$")}
    for k, s in enumerate(sharpness):
        for loss, (color, name) in styles.items():
            g = gan_theory.generator_gradient(d, sigma=sigma, loss=loss, sharpness=s)
            which = "$D^*$" if s == 1 else f"near-optimal D (log-odds x {s:g})"
            ax.plot(d, np.maximum(g, 1e-16), color=color, ls="-" if k == 0 else "--", label=f"{name}, {which}")
    ax.set_yscale("log")
    ax.set_ylim(1e-16, None)
    ax.set_xlabel(f"distance $|\\mu_g - \\mu_r|$ (both Gaussians with $\\sigma$ = {sigma:g})")
    ax.set_ylabel("generator gradient $|\\partial L_G / \\partial \\mu_g|$")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(title or "The saturating loss stops teaching the generator when the supports separate")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- #
# the ring of 8 Gaussians
# --------------------------------------------------------------------------- #
def plot_samples(samples, *, title: str, real=None, ax=None, legend: bool = True, label: str = "generated"):
    """Samples (``label``: generated by default) and optionally real ones over the 8 mode centres.

    The title gets a second line with the samples' coverage (modes covered, high-quality share).
    """
    fig, ax = _new(ax, (4.2, 4.2))
    if real is not None:
        real = np.asarray(real)
        ax.scatter(real[:, 0], real[:, 1], s=3, c=REAL_COLOR, alpha=0.4, label="real")
    samples = np.asarray(samples)
    color = REAL_COLOR if label == "real" else FAKE_COLOR
    ax.scatter(samples[:, 0], samples[:, 1], s=3, c=color, alpha=0.5, label=label)
    _mode_marks(ax)
    _ring_axes(ax)
    ax.set_title(f"{title}\n{_coverage_text(samples)}", fontsize=9)
    if legend:
        ax.legend(fontsize=7, loc="upper right", markerscale=3)
    return fig


def _pick_steps(steps, n):
    steps = sorted(steps)
    if len(steps) <= n:
        return steps
    idx = np.unique(np.round(np.linspace(0, len(steps) - 1, n)).astype(int))
    return [steps[i] for i in idx]


def plot_snapshot_strip(runs, *, title: str, max_columns: int = 6):
    """Rows: runs (methods); columns: training steps. Each panel: samples, mode centres, coverage."""
    plt = _pyplot()
    runs = list(runs)
    steps = _pick_steps(runs[0].snapshots, max_columns)
    fig, axes = plt.subplots(len(runs), len(steps), figsize=(2.3 * len(steps) + 0.6, 2.45 * len(runs) + 0.6),
                             squeeze=False)
    for r, run in enumerate(runs):
        for c, step in enumerate(steps):
            ax = axes[r, c]
            samples = run.snapshots[step]
            ax.scatter(samples[:, 0], samples[:, 1], s=2, c=FAKE_COLOR, alpha=0.5)
            _mode_marks(ax, label=False)
            _ring_axes(ax, xlabel=r == len(runs) - 1, ylabel=False)
            cov = toy2d.mode_coverage(samples)
            ax.set_title(f"step {step}: {cov.modes_covered}/8 modes", fontsize=8)
            ax.tick_params(labelsize=6)
        axes[r, 0].set_ylabel(f"{run.label}\n$x_2$", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_coverage_over_steps(runs, *, title: str):
    """Modes covered and high-quality share at each snapshot, one line per run."""
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for run in runs:
        rows = run.coverage_over_steps()
        steps = [r["step"] for r in rows]
        a1.plot(steps, [r["modes covered (of 8)"] for r in rows], marker="o", ms=3, label=run.label)
        a2.plot(steps, [r["high-quality share"] for r in rows], marker="o", ms=3, label=run.label)
    a1.set_ylim(-0.3, 8.3)
    a1.set_xlabel("generator step")
    a1.set_ylabel("modes covered (of 8)")
    a1.set_title("modes covered")
    a2.set_ylim(-0.02, 1.02)
    a2.set_xlabel("generator step")
    a2.set_ylabel("share within 3 std of a mode")
    a2.set_title("high-quality share")
    a2.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_critic_landscape(critic=None, points=None, *, title: str, ax=None, landscape=None, samples=None,
                          n_segments: int = 12, max_points: int = 96, colorbar: bool = True,
                          score_label: str = "critic output D(x)"):
    """The critic's score as filled contours, with real points, fakes and the penalty's interpolates on it.

    Pass ``critic`` (a Keras model) or a precomputed ``landscape=(xs, ys, scores)``
    (:func:`bagan_lib.toy.gaussian_ring.critic_landscape`), and optionally ``points``
    (:class:`bagan_lib.toy.gaussian_ring.PenaltyPoints`): real points (black), their partners
    (magenta: the fakes, for model interpolation), the interpolates (orange) and,
    for a few pairs, the segment along which the interpolate was drawn. At most
    ``max_points`` of each are drawn, so the landscape stays visible. ``samples``
    (generated points, magenta dots) are drawn when given.
    """
    fig, ax = _new(ax, (5.4, 4.4))
    xs, ys, scores = landscape if landscape is not None else toy2d.critic_landscape(critic)
    scores = np.ma.masked_invalid(np.asarray(scores, dtype=float))
    if scores.count() and float(scores.max() - scores.min()) > 0:
        cs = ax.contourf(xs, ys, scores, levels=20, cmap="viridis")
        ax.contour(xs, ys, scores, levels=10, colors="w", linewidths=0.4, alpha=0.6)
        if colorbar:
            fig.colorbar(cs, ax=ax, fraction=0.046, pad=0.04).set_label(score_label, fontsize=8)
    else:   # a constant or diverged (inf / NaN) critic has no landscape to draw
        note = "critic output is constant" if scores.count() else "critic output is not finite (diverged)"
        ax.text(0, 0, note, ha="center", va="center", fontsize=8, color="tab:red")
    if samples is not None:
        samples = np.asarray(samples)
        ax.scatter(samples[:, 0], samples[:, 1], s=3, c=ON_LANDSCAPE_COLOR, alpha=0.6, label="generated")
    if points is not None:
        real, partner, x_hat = points.real[:max_points], points.fake[:max_points], points.x_hat[:max_points]
        k = min(n_segments, len(real))
        if points.interpolation == "model":
            for i in range(k):
                ax.plot([real[i, 0], partner[i, 0]], [real[i, 1], partner[i, 1]], color="w", lw=0.6, alpha=0.8)
            ax.scatter(partner[:, 0], partner[:, 1], s=8, c=ON_LANDSCAPE_COLOR, edgecolors="w", linewidths=0.3,
                       label="fake $x_g$")
        ax.scatter(real[:, 0], real[:, 1], s=8, c="k", edgecolors="w", linewidths=0.3, label="real $x_r$")
        ax.scatter(x_hat[:, 0], x_hat[:, 1], s=7, c=HAT_COLOR, edgecolors="k", linewidths=0.2,
                   label="interpolates $\\hat{x}$")
    _mode_marks(ax)
    _ring_axes(ax)
    ax.legend(fontsize=7, loc="upper right", markerscale=2, framealpha=0.8)
    ax.set_title(title, fontsize=10)
    return fig


def plot_gradient_norms(norms: dict, *, title: str, ax=None, bins: int = 40, max_norm: float = 4.0):
    """Histograms of ``||grad_x D(x_hat)||`` (one per label), with the target norm 1 of Eq. 7 marked."""
    fig, ax = _new(ax, (5.4, 3.6))
    norms = {k: np.asarray(v, float)[np.isfinite(np.asarray(v, float))] for k, v in norms.items() if v is not None}
    finite = list(norms.values())
    hi = min(max_norm, max([1.5] + [float(np.percentile(v, 99)) * 1.05 for v in finite if v.size]))
    edges = np.linspace(0, hi, bins + 1)
    for label, values in norms.items():
        median = f"median {np.median(values):.3g}" if values.size else "no finite values"
        ax.hist(np.clip(values, 0, hi), bins=edges, alpha=0.55, label=f"{label} ({median})")
    ax.axvline(1.0, color="k", ls="--", lw=1, label="target norm 1 (Eq. 7)")
    ax.set_xlabel("gradient norm $\\|\\nabla_{\\hat{x}} D(\\hat{x})\\|_2$ at the interpolates"
                  + (" (larger values in the last bin)" if hi >= max_norm else ""))
    ax.set_ylabel("interpolates")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=10)
    return fig


def plot_interpolation_schemes(model_points, noise_points, *, title: str, landscape=None):
    """Side by side: where WGAN-GP's penalty is applied (model interpolation) and where DRAGAN's is (noise)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.8))
    for ax, pts, name in ((axes[0], model_points, "model interpolation (WGAN-GP, Eq. 8)"),
                          (axes[1], noise_points, "noise interpolation (DRAGAN, Eq. 10)")):
        if landscape is not None:
            plot_critic_landscape(points=pts, landscape=landscape, ax=ax, title=name, colorbar=False)
            continue
        real, partner, x_hat = pts.real, pts.fake, pts.x_hat
        if pts.interpolation == "model":
            for i in range(min(16, len(real))):
                ax.plot([real[i, 0], partner[i, 0]], [real[i, 1], partner[i, 1]], color="0.7", lw=0.6)
            ax.scatter(partner[:, 0], partner[:, 1], s=6, c=FAKE_COLOR, label="fake $x_g$")
        ax.scatter(real[:, 0], real[:, 1], s=6, c=REAL_COLOR, label="real $x_r$")
        ax.scatter(x_hat[:, 0], x_hat[:, 1], s=6, c=HAT_COLOR, label="$\\hat{x}$ (penalty applied here)")
        _mode_marks(ax)
        _ring_axes(ax)
        ax.legend(fontsize=7, loc="upper right", markerscale=2)
        ax.set_title(name, fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_critic_weights(critic, *, clip: float | None, title: str, ax=None):
    """Histogram of all critic weights; with weight clipping they pile up at +-c."""
    fig, ax = _new(ax, (5.4, 3.4))
    weights = np.concatenate([np.asarray(w).ravel() for w in critic.trainable_weights])

    ax.hist(weights, bins=60, color="tab:gray")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    if clip:
        for c in (-clip, clip):
            ax.axvline(c, color="tab:red", ls="--", lw=1)
        at_bound = float(np.mean(np.abs(np.abs(weights) - clip) < 0.05 * clip))
        ax.text(0.5, 0.95, f"{100 * at_bound:.0f} % of the weights within 5 % of $\\pm c$", transform=ax.transAxes,
                ha="center", va="top", fontsize=8, bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
    ax.set_xlabel("critic weight value")
    ax.set_ylabel("weights")
    ax.set_title(title, fontsize=10)
    return fig


def plot_weight_clipping(run, *, title: str):
    """Two panels for a WGAN-clip run: its critic's weights (piled up at +-c) and its landscape with the samples."""
    plt = _pyplot()
    clip = toy2d.METHODS[run.method].get("clip")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    plot_critic_weights(run.trainer.critic, clip=clip, ax=axes[0],
                        title=f"critic weights after training (clipped to [-{clip:g}, {clip:g}])" if clip
                        else "critic weights after training")
    plot_critic_landscape(run.trainer.critic, samples=run.samples(500), ax=axes[1],
                          title="the critic's landscape and the generated samples")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- #
# slider sweeps (bagan_lib.toy.sweeps)
# --------------------------------------------------------------------------- #
def plot_sweep_entry(entry, *, title: str, fig=None):
    """Three panels for one sweep value: critic landscape with interpolates, gradient-norm histogram, samples."""
    plt = _pyplot()
    fig = fig or plt.figure(figsize=(14, 4.3))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1.1, 1.0]})
    plot_critic_landscape(points=entry.points, landscape=(entry.xs, entry.xs, entry.scores), ax=axes[0],
                          title="critic landscape and interpolates")
    plot_gradient_norms({"at interpolates": entry.points.norms}, ax=axes[1], title="gradient norms")
    plot_samples(entry.samples, ax=axes[2], title="generated samples", legend=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweep_overview(sweep, *, title: str):
    """One column per sweep value: the landscape with the samples on top, the gradient norms below."""
    plt = _pyplot()
    values = list(sweep.values)
    n = len(values)
    fig, axes = plt.subplots(2, n, figsize=(2.4 * n + 0.8, 5.4), squeeze=False,
                             gridspec_kw={"height_ratios": [1.2, 0.8]})
    for c, value in enumerate(values):
        entry = sweep.entries[value]
        plot_critic_landscape(landscape=(entry.xs, entry.xs, entry.scores), samples=entry.samples, ax=axes[0, c],
                              colorbar=False, title=f"{sweep.param_label} = {value:g}")
        axes[0, c].get_legend().remove()
        axes[0, c].tick_params(labelsize=6)
        if c:
            axes[0, c].set_ylabel("")
        ax = axes[1, c]
        norms = entry.points.norms[np.isfinite(entry.points.norms)]
        ax.hist(np.clip(norms, 0, 3), bins=np.linspace(0, 3, 31), color=HAT_COLOR)
        ax.axvline(1, color="k", ls="--", lw=1)
        cov = toy2d.mode_coverage(entry.samples)
        median = f"median {np.median(norms):.3g}" if norms.size else "no finite norms"
        ax.set_title(f"{median}; {cov.modes_covered}/8 modes", fontsize=8)
        ax.set_xlabel("$\\|\\nabla D(\\hat{x})\\|$ (> 3 shown at 3)", fontsize=7)
        ax.tick_params(labelsize=6)
        if c == 0:
            ax.set_ylabel("interpolates")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_critics(runs, points: dict | None = None, *, title: str):
    """One panel per trained run: its critic's landscape, its samples and (optionally) its penalty points."""
    plt = _pyplot()
    runs = list(runs)
    fig, axes = plt.subplots(1, len(runs), figsize=(5.0 * len(runs), 4.4), squeeze=False)
    for ax, run in zip(axes[0], runs):
        pts = (points or {}).get(run.method)
        penalised = run.settings.get("gp_lambda", 0) > 0
        where = "" if pts is None else (f"; {pts.interpolation} interpolates" if penalised else
                                        f" (no penalty; {pts.interpolation} interpolates for reference)")
        plot_critic_landscape(run.trainer.critic, pts, samples=None if pts is not None else run.samples(500),
                              ax=ax, title=f"{run.label}{where}")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
