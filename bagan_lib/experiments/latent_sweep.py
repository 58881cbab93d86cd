"""The latent-dimension slider of notebook 05: the supervised autoencoder (paper Fig. 3) at several latent sizes.

A larger latent keeps more of each image (lower reconstruction error); whether
the classes stay apart in it is a second question. Training an autoencoder per
slider move is too slow, so, as for the toy sliders (:mod:`bagan_lib.toy.sweeps`),
one short run per latent size is trained once with the same seed, budget and
data, cached (:mod:`bagan_lib.runtime.sweep_cache`: keyed by every setting, a hash of
the images and labels, Keras' version and the source of the modules a run goes
through; written atomically), and the slider only redraws.

Per latent size the sweep records, on held-out images (a stratified 20 %):

* ``reconstruction error``: mean absolute error ``|x - Dec(E(x) * e(y))|`` in
  [-1, 1] pixel units, the L1 loss the autoencoder trains on. The decoder's
  BatchNorm uses the batch's statistics, as in training: after a short run its
  moving averages lag far behind (measured at teach, latent 128: 0.53 with
  them instead of 0.06);
* ``dispersion`` of the labelled latents ``E(x) * e(y)``: mean distance to the
  own class mean / mean distance between class means
  (:func:`bagan_lib.experiments.latent_analysis.dispersion`); lower = tighter, better-spread classes;
* ``silhouette`` of the labelled latents (:func:`bagan_lib.experiments.latent_analysis.separation_score`);
* ``train seconds``, and ``examples_per_class`` held-out images per class with their reconstructions.
"""

from __future__ import annotations

import hashlib
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from bagan_lib.data.imbalance import stratified_split
from bagan_lib.data.preprocess import to_uint8
from bagan_lib.errors import KitError
from bagan_lib.experiments.image_sweeps import ImageSweep, cached_sweep, slider
from bagan_lib.experiments.latent_analysis import dispersion, encode, separation_score, subsample
from bagan_lib.models.builders import build_autoencoder
from bagan_lib.runtime.sweep_cache import code_fingerprint

LATENT_DIMS = {"smoke": (4, 16), "teach": (2, 8, 32, 128), "paper": (2, 4, 8, 16, 32, 64, 128, 256)}
# (epochs, batch size) per latent size. The profiles' own autoencoder budget (teach: 4 epochs of 64) leaves
# every reconstruction the same average cell on synthetic_cells and the error flat over the sizes; 6 epochs
# of 32 (about 300 steps, 10-15 s per size on 2 shared CPU cores) give an error falling with the size
# (measured 0.070 at 2 to 0.060 at 128), though the small inclusions are not reconstructed yet.
BUDGETS = {"smoke": (1, 32), "teach": (6, 32), "paper": (20, 64)}
CURVES = ("reconstruction error", "dispersion", "silhouette")
HELD_OUT = 0.2
MAX_LATENTS = 1500  # held-out latents scored per size (silhouette is quadratic in this)


def latent_dims_for(profile_name: str, include=None) -> tuple:
    """The slider's latent sizes at a profile, with ``include`` (the notebook's own size) added."""
    dims = set(LATENT_DIMS.get(profile_name, LATENT_DIMS["teach"]))
    if include is not None:
        dims.add(int(include))
    return tuple(sorted(dims))


def _data_digest(data) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(data.x).tobytes())
    digest.update(np.ascontiguousarray(data.y, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


def sweep_config(data, dims, *, profile, seed: int, epochs: int, batch_size: int, examples_per_class: int) -> dict:
    """Everything that determines the sweep (the cache key hashes it)."""
    dims = tuple(dims)
    if not dims or any(not isinstance(d, (int, np.integer)) or d < 1 for d in dims) or len(set(dims)) != len(dims):
        raise KitError(f"Latent sizes {dims!r}: need distinct positive whole numbers.", "pass e.g. (2, 8, 32, 128).")
    if min(epochs, batch_size, examples_per_class) < 1:
        raise KitError(f"epochs={epochs}, batch_size={batch_size}, examples_per_class={examples_per_class}: "
                       "each must be at least 1.", "pass e.g. epochs=6, batch_size=32, examples_per_class=2.")
    return {"code": code_fingerprint(("experiments.latent_sweep", "experiments.image_sweeps", "runtime.sweep_cache",
                                      "models.autoencoder", "models.networks", "models.builders",
                                      "experiments.latent_analysis")),
            "keras": keras.__version__, "dims": [int(d) for d in dims], "seed": int(seed), "epochs": int(epochs),
            "width": profile.width, "batch": int(batch_size), "examples": int(examples_per_class),
            "held_out": HELD_OUT, "shape": list(np.shape(data.x)), "data": _data_digest(data)}


def held_out_split(y, n_classes: int, *, seed: int, examples_per_class: int):
    """(train indices, held-out indices, the held-out examples shown per class): stratified, seeded."""
    train, val = stratified_split(y, val_fraction=HELD_OUT, seed=seed)
    y_val = np.asarray(y)[val]
    examples = []
    for c in range(n_classes):
        members = np.flatnonzero(y_val == c)
        if len(members) == 0:
            raise KitError(f"Class {c} has no held-out image.", "give every class at least 5 images.")
        examples.append(np.resize(members, examples_per_class))  # cycles when a class has fewer
    return train, val, np.stack(examples)  # examples: (n_classes, k) positions in the held-out part


def evaluate(autoencoder, x_val, y_val, examples, *, seed: int = 0, batch_size: int = 256):
    """(scores, arrays) of a trained supervised autoencoder on held-out images (see the module docstring)."""
    recon = np.concatenate([np.asarray(autoencoder([x_val[i:i + batch_size], y_val[i:i + batch_size]],
                                                   training=True))
                            for i in range(0, len(y_val), batch_size)])
    some = subsample(y_val, MAX_LATENTS, seed)
    latents = encode(autoencoder, x_val[some], y_val[some], kind="labelled")
    scores = {"reconstruction error": round(float(np.mean(np.abs(recon - x_val))), 4),
              "dispersion": round(dispersion(latents, y_val[some]), 4),
              "silhouette": round(separation_score(latents, y_val[some]), 4)}
    return scores, {"originals": x_val[examples], "reconstructions": recon[examples]}


def latent_dim_sweep(data, dims, *, profile, seed: int = 0, epochs: int | None = None, batch_size: int | None = None,
                     examples_per_class: int = 2, cache_dir=None, verbose: bool = True) -> ImageSweep:
    """Train the supervised autoencoder (the profile's width, the paper's Adam) at every latent size in ``dims``
    for ``epochs`` of ``batch_size`` (None: the profile's entry in ``BUDGETS``), or read the sweep from ``cache_dir``.

    ``data``: a :class:`bagan_lib.training.run.TrainingData` (images in [-1, 1]).
    The result's ``scores[d]`` hold the numbers of the module docstring,
    ``arrays[d]`` the ``originals`` and ``reconstructions``, each shaped
    ``(n_classes, examples_per_class, h, w, c)``; ``table()`` is one row per size.
    """


    default_epochs, default_batch = BUDGETS.get(profile.name, BUDGETS["teach"])
    epochs, batch_size = epochs or default_epochs, batch_size or default_batch
    config = sweep_config(data, dims, profile=profile, seed=seed, epochs=epochs, batch_size=batch_size,
                          examples_per_class=examples_per_class)
    train, val, examples = held_out_split(data.y, data.n_classes, seed=seed, examples_per_class=examples_per_class)
    x_tr, y_tr, x_val, y_val = data.x[train], data.y[train], data.x[val], np.asarray(data.y[val], "int32")

    def run_one(dim):
        started = time.perf_counter()
        keras.utils.set_random_seed(seed)
        ae = build_autoencoder(supervised=True, image_size=data.image_size, channels=data.channels,
                               n_classes=data.n_classes, latent_dim=int(dim), width=profile.width)
        ae.compile()
        ae.fit(x_tr, y_tr, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
        seconds = time.perf_counter() - started
        scores, arrays = evaluate(ae, x_val, y_val, examples, seed=seed)
        return {**scores, "train seconds": round(seconds, 1)}, arrays

    return cached_sweep("latent-dim", config, cache_dir, "latent_dim", config["dims"], run_one, verbose)


def plot_latent_dim_entry(sweep: ImageSweep, value, class_names, *, title: str):
    """The slider's figure: held-out images and their reconstructions at latent size ``value`` (one column per
    class), above the three curves against the latent size with ``value`` marked."""
    if value not in sweep.arrays:
        raise KitError(f"latent_dim = {value!r} was not precomputed.", f"pick one of {list(sweep.values)}.")
    entry, n = sweep.arrays[value], len(class_names)
    originals, recons = to_uint8(entry["originals"]), to_uint8(entry["reconstructions"])
    k = originals.shape[1]
    fig = plt.figure(figsize=(max(9.0, 1.1 * n), 1.05 * 2 * k + 3.2), layout="constrained")
    top, bottom = fig.add_gridspec(2, 1, height_ratios=[1.05 * 2 * k, 3.0])
    tiles_grid, curves_grid = top.subgridspec(2 * k, n), bottom.subgridspec(1, len(CURVES))
    for r in range(2 * k):
        tiles, what = (originals, "held out") if r % 2 == 0 else (recons, "reconstructed")
        for c in range(n):
            ax = fig.add_subplot(tiles_grid[r, c])
            tile = tiles[c, r // 2]
            ax.imshow(tile.squeeze(), cmap="gray" if tile.shape[-1] == 1 else None, vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(class_names[c], fontsize=8)
            if c == 0:
                ax.set_ylabel(what, fontsize=7)
    table = sweep.table()
    for i, column in enumerate(CURVES):
        ax = fig.add_subplot(curves_grid[0, i])
        ax.plot(table["latent_dim"], table[column], marker="o", color="#0072B2")
        ax.plot([value], [sweep.scores[value][column]], marker="o", markersize=10, color="#D55E00",
                label=f"latent dim {value}")
        ax.axvline(value, color="#D55E00", linestyle="--", lw=1)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("latent dimension")
        ax.set_ylabel(column)
        ax.set_title(f"{column}: {sweep.scores[value][column]:.3g}", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def latent_dim_slider(sweep: ImageSweep, class_names, *, value=None, title: str = "Supervised autoencoder"):
    """Display the slider over the sweep's latent sizes (starting at ``value``); returns (widget, summary)."""
    def draw(dim):
        return plot_latent_dim_entry(sweep, dim, class_names, title=f"{title}, latent dim {dim} (precomputed)")

    return slider(sweep, draw, value=value)
