"""Two training runs compared: the same training on one device and on several (tests/training).

What may differ is the order of floating-point sums: the replicas' gradients are
all-reduced where one device sums the whole batch, and the synchronized
normalisation moments come from the replicas' partial sums. Adam then divides
every step by ``sqrt(v) + 1e-7``: a gradient that is nearly zero turns a
rounding difference into up to ``lr / 1e-7 = 2000`` times as much. The tolerance:

* every weight and optimizer variable within a tenth of one Adam step,
  ``ATOL = lr / 10`` (2e-5); a wrong batch, draw or normalisation moves weights by
  whole Adam steps (``lr = 2e-4``) per update. (Adam hides a wrong *scale* of the
  gradients, e.g. a missing ``1 / replicas``: tests/gan/test_distributed.py
  checks that with plain SGD.) The loss trackers' sums within ``rtol = 1e-5``;
  integer state (the seed generator, Adam's iteration counts) equal;
* except the decoder's transposed-convolution biases that feed a batch
  normalisation, and that normalisation's moving mean: their gradient is zero in
  exact arithmetic (the normalisation subtracts the batch mean), so what reaches
  Adam is rounding noise, which Adam's first steps turn into ``+-lr``: they may
  differ by ``2 lr`` per Adam update (pre-training and GAN), the moving mean by as
  much; in training mode they change no output;
* the loss terms of every epoch in metrics.json within ``LOSS_RTOL = 1e-4``;
* the Eq. 16 grids (inference mode: the moving statistics and those biases)
  within 1 of 255 grey levels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from bagan_lib.runtime.checkpoints import read_meta

STEP_SHARE, TRACKER_RTOL, LOSS_RTOL, GRID_LEVELS = 0.1, 1e-5, 1e-4, 1
INERT = re.compile(r"dec_deconv\d+/bias|dec_bn\d+/moving_mean")


def checkpoint(folder: Path) -> dict:
    """``{key: array}`` of a run's GAN checkpoint, keyed by group and variable name."""
    with np.load(folder / "checkpoints" / "gan.npz") as saved:
        header = json.loads(str(saved["__meta__"]))
        return {f"{group}:{key}": saved[f"{group}_{i}"] for group, variables in header["variables"].items()
                for i, (key, _) in enumerate(variables)}


def adam_updates(folder: Path, arrays: dict) -> int:
    """Adam updates the generator's variables have had: its pre-training steps and the GAN's generator steps."""
    gan = next(int(v) for k, v in arrays.items() if k.startswith("g_optimizer:") and k.endswith("/iteration"))
    meta = read_meta(folder / "checkpoints" / "autoencoder.npz")
    if "pretraining" in meta:  # CAPGAN's CVAE: its strategy's phases
        return gan + sum(phase["steps"] * phase["epochs"] for phase in meta["pretraining"]["phases"])
    return gan + meta["run"]["ae_epochs"] * meta["run"]["steps_per_epoch"]


def compare_runs(several: Path, one: Path) -> dict:
    """Assert the module docstring's tolerance between two runs' folders; returns what was measured."""
    a, b = checkpoint(several), checkpoint(one)
    assert set(a) == set(b)  # one checkpoint format, whatever the devices
    rate = json.loads((one / "metrics.json").read_text())["settings"]["learning_rate"]
    atol = STEP_SHARE * rate
    inert_bound = 2 * rate * adam_updates(one, b) + atol
    measured = {"variable": 0.0, "variable_name": "", "atol": atol, "inert": 0.0, "inert_bound": inert_bound}
    for key, value in a.items():
        if value.dtype.kind in "iu":
            np.testing.assert_array_equal(value, b[key], err_msg=key)
        elif key.startswith("trackers:"):
            np.testing.assert_allclose(value, b[key], rtol=TRACKER_RTOL, err_msg=key)
        elif value.size:
            difference = float(np.max(np.abs(value - b[key])))
            if INERT.search(key):
                measured["inert"] = max(measured["inert"], difference)
            elif difference > measured["variable"]:
                measured["variable"], measured["variable_name"] = difference, key
    assert measured["variable"] < atol, measured
    assert measured["inert"] < inert_bound, measured
    rows = [json.loads((folder / "metrics.json").read_text())["history"] for folder in (several, one)]
    assert [r["epoch"] for r in rows[0]] == [r["epoch"] for r in rows[1]]
    measured["loss"] = 0.0
    for mine, theirs in zip(*rows):
        assert set(mine) == set(theirs)
        for term in set(mine) - {"epoch", "seconds"}:
            np.testing.assert_allclose(mine[term], theirs[term], rtol=LOSS_RTOL, err_msg=term)
            measured["loss"] = max(measured["loss"], abs(mine[term] - theirs[term]) / abs(theirs[term]))
    grids = sorted(p.name for p in (several / "grids").glob("grid_epoch_*.png"))
    assert grids and grids == sorted(p.name for p in (one / "grids").glob("grid_epoch_*.png"))
    measured["grid_levels"] = max(
        int(np.max(np.abs(np.asarray(Image.open(several / "grids" / name), dtype=int)
                          - np.asarray(Image.open(one / "grids" / name), dtype=int)))) for name in grids)
    assert measured["grid_levels"] <= GRID_LEVELS, measured
    return measured
