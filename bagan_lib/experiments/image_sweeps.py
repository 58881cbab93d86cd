"""Precomputed sweeps behind the image-model sliders: lambda (notebook 06); the cached-sweep machinery they share.

As for the toy sliders (:mod:`bagan_lib.toy.sweeps`), training is too slow for a
slider, so one short run per value is trained once, its results are cached
(:mod:`bagan_lib.runtime.sweep_cache`), and the slider only redraws.

* :func:`lambda_sweep`: short BAGAN-GP v3 runs at several penalty weights, all
  from the same pre-trained autoencoder and seed. Per lambda: the Eq. 16 grid,
  the last epoch's loss terms, and the critic's gradient norms at the
  interpolates, the quantity the penalty pulls towards 1.

The latent-size sweep of notebook 05 is :mod:`bagan_lib.experiments.latent_sweep`; it
stores its runs with :func:`cached_sweep` and shows them with :func:`slider`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bagan_lib.gan.penalties import gradient_penalty
from bagan_lib.runtime.sweep_cache import cache_entry_lock, cache_key, code_fingerprint, load_arrays, save_arrays
from bagan_lib.figures.sliders import figure_output, interactive_figure, show_interactive
from bagan_lib.training.run import train_model
from bagan_lib.gan.sampling import one_per_class, sample_grid

LAMBDAS = {"smoke": (0.0, 10.0), "teach": (0.0, 1.0, 10.0, 100.0), "paper": (0.0, 0.1, 1.0, 10.0, 100.0)}


@dataclass
class ImageSweep:
    """One sweep: ``values`` of ``param``, per value a dict of scalars (``scores``) and of arrays (``arrays``)."""

    param: str
    values: tuple
    scores: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    seconds: float = 0.0
    from_cache: bool = False

    def table(self):
        return pd.DataFrame([{self.param: v, **self.scores[v]} for v in self.values])

    def describe(self) -> str:
        where = "read from the cache" if self.from_cache else f"trained in {self.seconds:.0f} s"
        return f"{self.param} sweep over {list(self.values)}: {where}"


def cached_sweep(name: str, config: dict, cache_dir, param: str, values, run_one, verbose: bool) -> ImageSweep:
    """Load the sweep from ``cache_dir`` or run ``run_one(value) -> (scores, arrays)`` for every value and store it."""
    if cache_dir is None:
        return _load_or_run(ImageSweep(param, tuple(values)), None, config, run_one, verbose)
    path = Path(cache_dir) / f"{name}-{cache_key(config)}.npz"
    with cache_entry_lock(path):  # another process computing the same sweep: wait, then read it
        return _load_or_run(ImageSweep(param, tuple(values)), path, config, run_one, verbose)


def _load_or_run(sweep: ImageSweep, path: Path | None, config: dict, run_one, verbose: bool) -> ImageSweep:
    loaded = load_arrays(path) if path is not None and path.exists() else None
    if loaded is not None:
        arrays, meta = loaded
        for i, v in enumerate(sweep.values):
            sweep.scores[v] = meta["scores"][i]
            sweep.arrays[v] = {k.split("/", 1)[1]: a for k, a in arrays.items() if k.startswith(f"{i}/")}
        sweep.seconds, sweep.from_cache = meta["seconds"], True
        if verbose:
            print(sweep.describe(), flush=True)
        return sweep
    start = time.perf_counter()
    for v in sweep.values:
        sweep.scores[v], sweep.arrays[v] = run_one(v)
    sweep.seconds = time.perf_counter() - start
    if path is not None:
        flat = {f"{i}/{k}": a for i, v in enumerate(sweep.values) for k, a in sweep.arrays[v].items()}
        save_arrays(path, flat, {"config": config, "scores": [sweep.scores[v] for v in sweep.values],
                                 "seconds": sweep.seconds})
    if verbose:
        print(sweep.describe(), flush=True)
    return sweep


def lambda_sweep(base_config, data, lambdas, *, autoencoder_path, epochs: int, cache_dir=None,
                 verbose: bool = True) -> ImageSweep:
    """Short BAGAN-GP v3 runs, one per lambda, all from the autoencoder saved at ``autoencoder_path``."""



    config = {"code": code_fingerprint(("experiments.image_sweeps", "gan.trainer", "training.run", "training.config",
                                        "models.builders", "gan.penalties", "gan.losses")),
              "keras": keras.__version__, "lambdas": list(lambdas), "epochs": epochs,
              "base": {k: v for k, v in base_config.as_dict().items() if k not in ("out_dir", "resume")},
              "data": cache_key({"y": data.y.tolist(), "x": float(np.asarray(data.x[::97]).sum())})}
    real_tiles = one_per_class(data.x, data.y, data.n_classes)

    def run_one(lam):
        run_dir = Path(cache_dir or ".") / "lambda_runs" / f"lambda_{lam:g}"
        cfg = dataclasses.replace(base_config, model="bagan_gp_v3", gp_lambda=float(lam), epochs=epochs,
                                  out_dir=str(run_dir), autoencoder_path=str(autoencoder_path), resume=False,
                                  overwrite=True)  # a stale cache entry: train afresh
        result = train_model(cfg, data=data, verbose=False)
        trainer = result.trainer
        n = min(256, len(data.y))
        x_real, y_real = data.x[:n], data.y[:n].astype("int32")
        x_fake = np.asarray(trainer.images_from_noise(keras.random.normal((n, trainer.latent_dim), seed=1), y_real))
        _, norms = gradient_penalty(trainer.critic, x_real, x_fake, labels=y_real, seed=1, return_norms=True,
                                    training=False)
        last = result.history[-1]
        scores = {k: round(float(last[k]), 4) for k in ("d_loss", "real", "fake", "wrong", "gp", "g_loss") if k in last}
        norms = np.asarray(norms)
        scores["median gradient norm"] = round(float(np.median(norms)), 3)
        grid = sample_grid(trainer, real_tiles, n_classes=data.n_classes, latent_dim=trainer.latent_dim, rows=3,
                           seed=base_config.seed)
        return scores, {"grid": grid, "norms": norms}

    return cached_sweep("lambda", config, cache_dir, "gp_lambda", lambdas, run_one, verbose)


def plot_lambda_entry(sweep: ImageSweep, value, class_names, *, title: str):
    """Slider figure of notebook 06: the Eq. 16 grid at ``value`` and the gradient norms at the interpolates."""
    entry = sweep.arrays[value]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
    grid = entry["grid"]
    left.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255)
    tile = grid.shape[1] / len(class_names)
    left.set_xticks([tile * (c + 0.5) for c in range(len(class_names))], class_names, rotation=45, ha="right",
                    fontsize=7)
    left.set_yticks([])
    left.set_xlabel("class (row 0: real; rows 1-3: fixed noise, Eq. 16)")
    left.set_title(f"samples, lambda = {value:g}")
    for v in sweep.values:
        right.hist(sweep.arrays[v]["norms"], bins=30, histtype="step", lw=2.5 if v == value else 1,
                   label=f"lambda {v:g}")
    right.axvline(1.0, color="black", linestyle=":")
    right.set_xlabel("||grad D(x_hat)||_2 at interpolates")
    right.set_ylabel("count")
    right.set_title("critic gradient norms")
    right.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def slider(sweep: ImageSweep, draw_figure, value=None):
    """A slider over a sweep's values that redraws ``draw_figure(value)``; displayed, summary returned."""
    start = value if value in sweep.scores else sweep.values[0]
    control = ipywidgets.SelectionSlider(options=[(f"{v:g}", v) for v in sweep.values], value=start,
                                         description=sweep.param, continuous_update=False,
                                         layout=ipywidgets.Layout(width="480px"),
                                         style={"description_width": "80px"})

    def draw(v, area):
        fig = draw_figure(v)
        area.outputs = (figure_output(fig),)
        plt.close(fig)
        return {sweep.param: v, **sweep.scores[v], "figure": fig}

    widget = interactive_figure(control, draw)
    return widget, show_interactive(widget, sweep.param)
