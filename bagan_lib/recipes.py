"""What distinguishes the six models, as data (no TensorFlow import: the command line reads it first).

See :mod:`bagan_lib.models` for the table and the builders.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import KitError


@dataclass(frozen=True)
class Recipe:
    autoencoder: str | None      # None, "unsupervised", "supervised" or "cvae" (CAPGAN)
    fake_labels: str             # "real" or "balanced"
    wrong_labels: bool
    reconstruction: str = "l1"   # the autoencoder's loss (BAGAN's text: L2; the BAGAN-GP code: L1; CAPGAN: Eq. 7)
    pretrain: str | None = None  # CAPGAN's pre-training strategy (bagan_lib.pretraining); None: the data as is


RECIPES = {
    "bagan": Recipe("unsupervised", "balanced", False, reconstruction="l2"),
    "cdragan": Recipe(None, "real", False),
    "bagan_gp_v1": Recipe("unsupervised", "real", False),
    "bagan_gp_v2": Recipe("unsupervised", "balanced", True),
    "bagan_gp_v3": Recipe("supervised", "balanced", True),
    "capgan": Recipe("cvae", "balanced", True, reconstruction="capgan_elbo", pretrain="ros"),
}
MODEL_NAMES = tuple(RECIPES)
BAGAN_ADAM = {"learning_rate": 5e-5, "beta_1": 0.5}  # REFERENCE.md, "Original BAGAN"


def get_recipe(model: str) -> Recipe:
    if model not in RECIPES:
        raise KitError(f"Unknown model {model!r}.", f"choose one of {', '.join(RECIPES)}.")
    return RECIPES[model]
