"""Sliders for notebooks 02 and 03: the penalty weight lambda and the latent dimension.

Training even a short toy GAN takes seconds, too slow for a slider. So every
slider here shows a **precomputed sweep**: :func:`precompute_sweep` trains one
short run per slider value (the same method, steps and seed; only the swept
setting changes), keeps what the figures need (the critic's landscape, the
penalty's interpolates and the gradient norms there, generated samples) and
stores it on disk. The slider's callback only redraws from that store, so it
answers in well under a second.

The store is one ``.npz`` file in ``cache_dir`` (the notebook passes a folder
inside its ``out_dir``), named by a hash of everything that determines the runs:
method and its settings, swept setting and values, fixed settings, steps, seed,
batch, width, the kit's and Keras' versions and the source code of the modules a
run goes through. A rerun with the same settings reads the file instead of
training (and says so); any change trains afresh. Nothing else in the kit is cached.

Why a :class:`ipywidgets.SelectionSlider` for lambda and not a ``FloatLogSlider``:
lambda = 0 (no penalty) is the most instructive value and has no place on a log
scale, and a slider over a precomputed sweep may only offer values that were
trained. The options 0, 0.1, 0.3, 1, 3, 10, 30, 100 are evenly spaced on a log
scale (a factor of about 3 per step) plus the zero.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from bagan_lib import __version__
from bagan_lib.errors import KitError
from bagan_lib.figures.sliders import figure_output, interactive_figure, show_interactive
from bagan_lib.figures.toy import plot_sweep_entry
from bagan_lib.runtime.sweep_cache import cache_entry_lock, cache_key, code_fingerprint, load_arrays, save_arrays
from bagan_lib.toy import gaussian_ring as toy2d

PARAMS = ("gp_lambda", "latent_dim")
PARAM_LABELS = {"gp_lambda": "λ", "latent_dim": "latent dim"}
LAMBDA_VALUES = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
LATENT_VALUES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# smoke: a tiny sweep, so a notebook stays well under a minute
SMOKE_LAMBDA_VALUES = (0.0, 10.0)
SMOKE_LATENT_VALUES = (1, 2)
# each sweep run trains this fraction of the profile's toy steps (at least 10): teach 200, paper 1333
SWEEP_STEP_FRACTION = 1 / 15
N_SAMPLES, N_POINTS, RESOLUTION = 1000, 256, 61


def sweep_values(param: str, profile_name: str, include=None) -> tuple:
    """The slider's values for ``param`` at a profile, with ``include`` (the notebook's own value) added."""
    if param not in PARAMS:
        raise KitError(f"Cannot sweep {param!r}.", f"sweep one of {PARAMS}.")
    if param == "gp_lambda":
        values = set(SMOKE_LAMBDA_VALUES if profile_name == "smoke" else LAMBDA_VALUES)
        cast = float
    else:
        values = set(SMOKE_LATENT_VALUES if profile_name == "smoke" else LATENT_VALUES)
        cast = int
    if include is not None:
        values.add(cast(include))
    return tuple(sorted(cast(v) for v in values))


def sweep_steps(toy_steps: int) -> int:
    """Training steps of each sweep run: a fifteenth of the profile's toy steps, at least 10."""
    return max(10, int(round(SWEEP_STEP_FRACTION * toy_steps)))


@dataclass
class SweepEntry:
    """What the slider shows for one value."""

    value: float
    samples: np.ndarray
    xs: np.ndarray
    scores: np.ndarray
    points: toy2d.PenaltyPoints
    seconds: float = 0.0

    def summary(self) -> dict:
        cov = toy2d.mode_coverage(self.samples)
        norms = self.points.norms
        return {"value": self.value, "modes covered (of 8)": cov.modes_covered,
                "high-quality share": round(cov.high_quality_share, 3),
                "median gradient norm": round(float(np.median(norms)), 3),
                "share of norms in [0.8, 1.2]": round(float(np.mean((norms >= 0.8) & (norms <= 1.2))), 3)}


@dataclass
class Sweep:
    """A precomputed sweep: one :class:`SweepEntry` per value of ``param``."""

    method: str
    param: str
    values: tuple
    fixed: dict
    steps: int
    seed: int
    batch_size: int = toy2d.BATCH_SIZE
    width: int = toy2d.WIDTH
    entries: dict = field(default_factory=dict)
    cache_path: Path | None = None
    from_cache: bool = False
    seconds: float = 0.0

    @property
    def param_label(self) -> str:
        return PARAM_LABELS[self.param]

    def describe(self) -> str:
        source = f"read from the cache {self.cache_path}" if self.from_cache else \
            f"trained in {self.seconds:.0f} s" + (f", cached in {self.cache_path}" if self.cache_path else "")
        fixed = ", ".join(f"{k} = {v:g}" for k, v in self.fixed.items())
        return (f"precomputed sweep: {toy2d.method_label(self.method)}, {self.param} in "
                f"{[float(v) if self.param == 'gp_lambda' else int(v) for v in self.values]}, "
                f"{self.steps} steps per value, seed {self.seed}, {fixed}; {source}")

    def settings_of(self, value) -> dict:
        """Everything that determined the run behind ``value``."""
        return {"method": self.method, "steps": self.steps, "seed": self.seed, "batch_size": self.batch_size,
                "width": self.width, **self.fixed, self.param: value}

    def summary_table(self):
        rows = []
        for value in self.values:
            row = self.entries[value].summary()
            rows.append({self.param: row.pop("value"), "method": toy2d.method_label(self.method),
                         "steps": self.steps, "seed": self.seed, **row})
        return pd.DataFrame(rows)


def _code_fingerprint() -> str:
    """A hash of the source of every module a sweep run goes through, so a code change retrains."""
    return code_fingerprint(("toy.gaussian_ring", "gan.trainer", "gan.objectives", "gan.losses", "gan.penalties",
                             "toy.sweeps"))


def _frozen(settings: dict) -> tuple:
    return tuple(sorted((k, float(v) if isinstance(v, (int, float)) else v) for k, v in settings.items()))


def _entry_arrays(i: int, entry: SweepEntry) -> dict:
    p = entry.points
    return {f"samples_{i}": entry.samples, f"scores_{i}": entry.scores, f"xs_{i}": entry.xs,
            f"real_{i}": p.real, f"fake_{i}": p.fake, f"xhat_{i}": p.x_hat, f"norms_{i}": p.norms}


def _save(path: Path, sweep: Sweep, config: dict) -> None:
    arrays = {}
    for i, value in enumerate(sweep.values):
        arrays.update(_entry_arrays(i, sweep.entries[value]))
    meta = {"config": config, "seconds": [sweep.entries[v].seconds for v in sweep.values],
            "interpolation": [sweep.entries[v].points.interpolation for v in sweep.values],
            "total_seconds": sweep.seconds}
    save_arrays(path, arrays, meta)


def _load(path: Path, sweep: Sweep) -> bool:
    stored = load_arrays(path)
    if stored is None:   # a missing, damaged or foreign file: train again
        return False
    data, meta = stored
    try:
        for i, value in enumerate(sweep.values):
            points = toy2d.PenaltyPoints(data[f"real_{i}"], data[f"fake_{i}"], data[f"xhat_{i}"],
                                         data[f"norms_{i}"], meta["interpolation"][i])
            sweep.entries[value] = SweepEntry(value, data[f"samples_{i}"], data[f"xs_{i}"],
                                              data[f"scores_{i}"], points, meta["seconds"][i])
        sweep.seconds = float(meta["total_seconds"])
    except (KeyError, IndexError):
        sweep.entries.clear()
        return False
    return True


def _train_entry(method, param, value, fixed, steps, seed, batch_size, width) -> SweepEntry:
    settings = dict(fixed)
    settings[param] = value
    started = time.perf_counter()
    run = toy2d.train_toy(method, steps=steps, seed=seed, batch_size=batch_size, width=width,
                          latent_dim=int(settings["latent_dim"]), gp_lambda=float(settings["gp_lambda"]))
    xs, _, scores = toy2d.critic_landscape(run.trainer.critic, resolution=RESOLUTION)
    points = toy2d.run_penalty_points(run, N_POINTS, seed=seed)
    return SweepEntry(value, run.samples(N_SAMPLES, seed=seed + 1), xs, scores, points,
                      time.perf_counter() - started)


def _sweep_config(method, param, values, *, steps, seed, gp_lambda, latent_dim, batch_size, width):
    """Check the settings; return the values, the fixed settings and the full config the cache key hashes."""
    if param not in PARAMS:
        raise KitError(f"Cannot sweep {param!r}.", f"sweep one of {PARAMS}.")
    if method not in toy2d.METHODS:
        raise KitError(f"Unknown toy method {method!r}.", f"choose one of {', '.join(toy2d.METHODS)}.")
    cast = float if param == "gp_lambda" else int
    values = tuple(dict.fromkeys(cast(v) for v in values))
    if not values:
        raise KitError("A sweep needs at least one value.", "pass e.g. values=(0.0, 10.0).")
    fixed = {"gp_lambda": float(gp_lambda), "latent_dim": int(latent_dim)}
    fixed.pop(param)

    config = {"kit": __version__, "code": _code_fingerprint(), "keras": keras.__version__, "method": method, "method_settings": toy2d.METHODS[method], "param": param,
              "values": list(values), "fixed": fixed, "steps": int(steps), "seed": int(seed),
              "batch_size": int(batch_size), "width": int(width or toy2d.WIDTH),
              "sizes": [N_SAMPLES, N_POINTS, RESOLUTION]}
    return values, fixed, config


def sweep_cache_path(cache_dir, method: str, param: str, values, *, steps: int, seed: int = 0,
                     gp_lambda: float = 10.0, latent_dim: int = 2, batch_size: int = toy2d.BATCH_SIZE,
                     width: int | None = None) -> Path:
    """The file a sweep with these settings is stored in: ``sweep-<method>-<param>-<hash>.npz``."""
    _, _, config = _sweep_config(method, param, values, steps=steps, seed=seed, gp_lambda=gp_lambda,
                                 latent_dim=latent_dim, batch_size=batch_size, width=width)
    return Path(cache_dir) / f"sweep-{method}-{param}-{cache_key(config)}.npz"


def precompute_sweep(method: str, param: str, values, *, steps: int, seed: int = 0, gp_lambda: float = 10.0,
                     latent_dim: int = 2, batch_size: int = toy2d.BATCH_SIZE, width: int | None = None,
                     cache_dir=None, reuse: Sweep | None = None, verbose: bool = True) -> Sweep:
    """Train one ``steps``-step run of ``method`` per value of ``param`` (or read them from ``cache_dir``).

    ``param`` is ``"gp_lambda"`` or ``"latent_dim"``; the other one stays at the
    value given here. ``width`` defaults to the toy's width (:data:`bagan_lib.toy.gaussian_ring.WIDTH`).
    With ``cache_dir`` None nothing is stored. ``reuse``: another sweep whose run
    with exactly the same settings (typically lambda = ``gp_lambda`` at latent
    ``latent_dim``) is copied instead of trained again. Prints where the sweep came from.
    """
    values, fixed, config = _sweep_config(method, param, values, steps=steps, seed=seed, gp_lambda=gp_lambda,
                                          latent_dim=latent_dim, batch_size=batch_size, width=width)
    sweep = Sweep(method, param, values, fixed, int(steps), int(seed), int(batch_size), config["width"])
    if cache_dir is None:
        return _load_or_train(sweep, config, fixed, reuse, verbose)
    sweep.cache_path = Path(cache_dir) / f"sweep-{method}-{param}-{cache_key(config)}.npz"
    with cache_entry_lock(sweep.cache_path):  # another process computing the same sweep: wait, then read it
        return _load_or_train(sweep, config, fixed, reuse, verbose)


def _load_or_train(sweep: Sweep, config: dict, fixed: dict, reuse: Sweep | None, verbose: bool) -> Sweep:
    """The sweep read from its cache file, else trained (and stored when it has a cache file)."""
    if sweep.cache_path is not None and sweep.cache_path.exists() and _load(sweep.cache_path, sweep):
        sweep.from_cache = True
        if verbose:
            print(sweep.describe())
        return sweep
    started = time.perf_counter()
    done_before = {} if reuse is None else {_frozen(reuse.settings_of(v)): e for v, e in reuse.entries.items()}
    for value in sweep.values:
        earlier = done_before.get(_frozen(sweep.settings_of(value)))
        if earlier is not None:
            sweep.entries[value] = SweepEntry(value, earlier.samples, earlier.xs, earlier.scores, earlier.points,
                                              earlier.seconds)
            continue
        sweep.entries[value] = _train_entry(sweep.method, sweep.param, value, {**fixed, sweep.param: value},
                                            sweep.steps, sweep.seed, sweep.batch_size, config["width"])
    sweep.seconds = time.perf_counter() - started
    if sweep.cache_path is not None:
        _save(sweep.cache_path, sweep, config)
    if verbose:
        print(sweep.describe())
    return sweep


# --------------------------------------------------------------------------- #
# the slider and its callback
# --------------------------------------------------------------------------- #
def slider_for(sweep: Sweep, value=None):
    """A :class:`ipywidgets.SelectionSlider` over the sweep's values (``value``: the starting one)."""
    options = [(f"{v:g}", v) for v in sweep.values]
    start = sweep.values[0] if value is None else (float(value) if sweep.param == "gp_lambda" else int(value))
    if start not in sweep.entries:
        start = sweep.values[0]
    return ipywidgets.SelectionSlider(options=options, value=start, description=sweep.param_label,
                                      continuous_update=False,
                                      layout=ipywidgets.Layout(width="480px"),
                                      style={"description_width": "80px"})


def redraw(sweep: Sweep, value, *, output=None, show: bool = False) -> dict:
    """The slider's callback: draw the three panels for ``value`` from the sweep and return its summary.

    Reads only the precomputed arrays; no training. The figure goes to
    ``output`` (an :class:`ipywidgets.Output`, whose ``outputs`` are replaced), or
    is displayed in the cell with ``show``; either way it is closed afterwards and
    also returned in the summary (key ``"figure"``).
    """
    if value not in sweep.entries:
        raise KitError(f"{sweep.param} = {value!r} was not precomputed.", f"pick one of {list(sweep.values)}.")
    entry = sweep.entries[value]
    fixed = ", ".join(f"{PARAM_LABELS[k]} = {v:g}" for k, v in sweep.fixed.items())
    fig = plot_sweep_entry(entry, title=f"{toy2d.method_label(sweep.method)}, {sweep.param_label} = {value:g} "
                                        f"({fixed}; {sweep.steps} steps, seed {sweep.seed}; precomputed)")
    summary = entry.summary()
    summary["figure"] = fig
    if output is not None:
        output.outputs = (figure_output(fig),)
    elif show:
        display(fig)
    plt.close(fig)
    return summary


def sweep_interactive(sweep: Sweep, value=None):
    """An :class:`ipywidgets.interactive` for a toy sweep (see :func:`interactive_figure`)."""
    return interactive_figure(slider_for(sweep, value), lambda v, area: redraw(sweep, v, output=area))


def show_sweep(sweep: Sweep, value=None):
    """Build the slider, display it, and fail loudly if its first redraw failed (headless runs included)."""
    widget = sweep_interactive(sweep, value)
    return widget, show_interactive(widget, sweep.param)
