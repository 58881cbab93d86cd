"""CAPGAN's pre-training strategies for the CVAE (paper section 3.4, Fig. 1c), each an option.

==============  ==========================================================================
strategy        what the CVAE is trained on
==============  ==========================================================================
``none``        the imbalanced data as it is (what BAGAN-GP does with its autoencoder)
``ros``         random oversampling: every class drawn with replacement up to the largest
                class's count (the paper's choice); an epoch is one pass over this copy
``two_phase``   ``ros`` for the given epochs, then fine-tuned on the original data for
                ``finetune_epochs`` (default half as many, at least 1), same optimizer
``ensemble``    ``members`` CVAEs (default 3), each on all minority images and its own
                disjoint share of every majority class (a class above the median count);
                their weights averaged with coefficients ``(1 / L_k) / sum_j (1 / L_j)``,
                ``L_k`` member k's objective on the *whole* training set (so the losses
                are comparable: lower loss, larger weight)
==============  ==========================================================================

Averaging the weights of separately trained networks only makes sense when they
start from the same point (a network's hidden units can be permuted without
changing its function, so two independent solutions do not line up): every
ensemble member is built from the same seed and so starts from the same weights.
Batch-normalisation statistics are averaged with the same coefficients.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from bagan_lib.data.batches import step_batches
from bagan_lib.data.imbalance import oversample_indices
from bagan_lib.errors import KitError
from bagan_lib.models.recipes import STRATEGIES, check_strategy  # noqa: F401  (STRATEGIES: re-exported)

def random_oversample(y, n_classes: int, *, seed: int = 0) -> np.ndarray:
    """ROS to a balanced copy (:func:`bagan_lib.data.imbalance.oversample_indices`), refusing a class with no image.

    Every image once, plus copies drawn with replacement up to the largest class's count.
    """
    counts = np.bincount(np.asarray(y), minlength=n_classes)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise KitError(f"Classes {empty.tolist()} have no training image, so oversampling cannot balance them.",
                       "use a protocol that keeps at least one image of every class.")
    return oversample_indices(y, seed=seed)


def majority_classes(y, n_classes: int) -> np.ndarray:
    """The classes with more images than the median class (CAPGAN protocol: the one majority class)."""
    counts = np.bincount(np.asarray(y), minlength=n_classes)
    return np.flatnonzero(counts > np.median(counts))


def ensemble_subsets(y, n_classes: int, members: int, *, seed: int = 0) -> list:
    """Index sets of the ensemble's members: every minority image, and a disjoint 1/members of each majority class."""
    if not isinstance(members, int) or members < 2:
        raise KitError(f"members={members!r}: an ensemble needs at least 2 CVAEs.", "pass members=3.")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    majority = set(majority_classes(y, n_classes).tolist())
    minority = np.flatnonzero(~np.isin(y, list(majority)))
    shares = [[] for _ in range(members)]
    for c in sorted(majority):
        for k, part in enumerate(np.array_split(rng.permutation(np.flatnonzero(y == c)), members)):
            shares[k].append(part)
    return [np.sort(np.concatenate([minority, *share])) for share in shares]


def loss_coefficients(losses) -> np.ndarray:
    """``(1 / L_k) / sum_j (1 / L_j)``: the ensemble's averaging weights from the members' losses."""
    losses = np.asarray(losses, dtype=np.float64)
    if not (np.all(np.isfinite(losses)) and np.all(losses > 0)):
        raise KitError(f"The ensemble members' losses {losses.tolist()} must be finite and positive.",
                       "train the members longer or with a lower learning rate (a NaN loss diverged).")
    inverse = 1.0 / losses
    return inverse / inverse.sum()


def average_weights(weight_sets: list, coefficients) -> list:
    """``sum_k c_k * W_k`` array by array over the members' weight lists (same shapes)."""
    coefficients = np.asarray(coefficients, dtype=np.float64)
    if len(weight_sets) != len(coefficients):
        raise KitError(f"{len(weight_sets)} weight sets but {len(coefficients)} coefficients.",
                       "pass one coefficient per member.")
    return [sum(c * np.asarray(w[i], np.float64) for c, w in zip(coefficients, weight_sets)).astype(np.float32)
            for i in range(len(weight_sets[0]))]


def network_weights(cvae) -> list:
    """The CVAE's network variables (encoder, embedding, decoder), not its seed or optimizer state."""
    return list(cvae.encoder.weights) + list(cvae.embedding.weights) + list(cvae.decoder.weights)


@dataclass
class PretrainingReport:
    """What a strategy did: one entry per phase (its data's class counts and loss per epoch)."""

    strategy: str
    phases: list = field(default_factory=list)   # dicts: name, counts, epochs, loss (per epoch), steps
    coefficients: list | None = None               # the ensemble's averaging weights
    member_losses: list | None = None              # the ensemble members' losses on the whole training set
    seconds: float = 0.0
    member_weights: list | None = field(default=None, repr=False)  # the members' network weights (not saved)

    @property
    def losses(self) -> list:
        """The loss per epoch of every phase, in order (the ensemble: the members' in turn)."""
        return [loss for phase in self.phases for loss in phase["loss"]]

    def as_dict(self) -> dict:
        return {"strategy": self.strategy, "phases": self.phases, "coefficients": self.coefficients,
                "member_losses": self.member_losses, "seconds": round(self.seconds, 2)}


def _fit(cvae, x, y, *, name: str, epochs: int, batch_size: int, seed: int, steps_cap: int | None, n_classes: int,
         say=print):

    if len(y) < 2:
        raise KitError(f"The {name} data has {len(y)} image(s): too few to train on.",
                       "use a protocol or profile that keeps more images.")
    if len(y) < batch_size:  # tiny data (smoke runs, an ensemble member at an extreme rate): one smaller batch
        replicas = tf.distribute.get_strategy().num_replicas_in_sync  # a global batch splits evenly over them
        batch_size = max(replicas, len(y) - len(y) % replicas)
        say(f"  {name}: {len(y)} images, fewer than a batch; batches of {batch_size} instead", flush=True)
    steps = len(y) // batch_size
    steps = min(steps, steps_cap or steps)
    batches = step_batches(x, y, batch_size=batch_size, steps_per_epoch=steps, seed=seed, start_step=0,
                           end_step=steps * epochs)
    history = cvae.fit(batches, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False).history
    return {"name": name, "counts": np.bincount(y, minlength=n_classes).tolist(), "epochs": epochs, "steps": steps,
            "loss": [float(v) for v in history["loss"]]}


def whole_set_loss(cvae, x, y, *, batch_size: int) -> float:
    """The CVAE's objective on all of ``(x, y)``, the number the ensemble's coefficients are made from."""
    data = tf.data.Dataset.from_tensor_slices((np.asarray(x, np.float32), np.asarray(y, np.int32))).batch(batch_size)
    return float(cvae.evaluate(data, verbose=0, return_dict=True)["loss"])


def pretrain_cvae(build: Callable, x, y, *, n_classes: int, strategy: str = "ros", epochs: int, batch_size: int,
                  seed: int = 0, steps_cap: int | None = None, finetune_epochs: int | None = None,
                  members: int = 3, say=print):
    """Pre-train a CVAE with ``strategy`` (see the module docstring); returns ``(cvae, PretrainingReport)``.

    ``build()`` must return a fresh compiled :class:`~bagan_lib.models.cvae.ConditionalVAE`;
    the caller seeds Keras first, and every ensemble member is built after
    re-seeding with ``seed`` so all start alike. ``steps_cap`` bounds the steps
    per epoch (a profile's ``steps_per_epoch``).
    """

    check_strategy(strategy)
    y = np.asarray(y, np.int32)
    start = time.perf_counter()
    report = PretrainingReport(strategy)
    fit = dict(batch_size=batch_size, steps_cap=steps_cap, n_classes=n_classes, say=say)
    if strategy == "ensemble":
        subsets = ensemble_subsets(y, n_classes, members, seed=seed)
        trained = []
        for k, subset in enumerate(subsets):
            keras.utils.set_random_seed(seed)  # the same initial weights for every member
            member = build()
            report.phases.append(_fit(member, x[subset], y[subset], name=f"member {k + 1}", epochs=epochs,
                                      seed=seed + 1 + k, **fit))
            trained.append(member)
            say(f"  CVAE ensemble member {k + 1}/{members}: {len(subset)} images, loss "
                f"{report.phases[-1]['loss'][-1]:.2f}", flush=True)
        report.member_losses = [whole_set_loss(m, x, y, batch_size=max(batch_size, 256)) for m in trained]
        coefficients = loss_coefficients(report.member_losses)
        report.coefficients = coefficients.tolist()
        cvae = trained[0]
        report.member_weights = [[np.asarray(v) for v in network_weights(m)] for m in trained]
        averaged = average_weights(report.member_weights, coefficients)
        for variable, value in zip(network_weights(cvae), averaged):
            variable.assign(value)
    else:
        cvae = build()
        if strategy == "none":
            report.phases.append(_fit(cvae, x, y, name="imbalanced", epochs=epochs, seed=seed, **fit))
        else:
            balanced = random_oversample(y, n_classes, seed=seed)
            report.phases.append(_fit(cvae, x[balanced], y[balanced], name="oversampled", epochs=epochs, seed=seed,
                                      **fit))
            if strategy == "two_phase":
                report.phases.append(_fit(cvae, x, y, name="fine-tuned", seed=seed + 1,
                                          epochs=finetune_epochs or max(1, epochs // 2), **fit))
    report.seconds = time.perf_counter() - start
    return cvae, report
