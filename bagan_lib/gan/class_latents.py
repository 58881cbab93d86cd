"""BAGAN's class-conditional latent generator (BAGAN paper, section 3; BAGAN-GP paper, Fig. 1 step 2).

After the autoencoder is trained, the latent vectors of each class ``c`` are
assumed to be Gaussian, ``z | c ~ N(mu_c, Sigma_c)``; mean and covariance are
estimated from the encoder's outputs on the training images of that class and
then stay fixed for the whole adversarial training. A fake of class ``c`` is
``G(z)`` with ``z = mu_c + L_c eps``, ``eps ~ N(0, I)``, ``L_c L_c^T = Sigma_c``
(Cholesky), so ``z`` has exactly the class's mean and covariance.

Minority classes can have fewer images than latent dimensions (27 schizonts for a
128-d latent): their sample covariance is then singular. A small jitter,
``JITTER * mean(diag Sigma_c) * I``, is added so the Cholesky factor exists; it
changes the variances by 0.1 % of their average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from keras import ops

from bagan_lib.errors import KitError

JITTER = 1e-3


@dataclass(frozen=True)
class ClassGaussians:
    """Per-class latent Gaussians: ``means`` (n, d), ``covariances`` (n, d, d), ``counts`` (n,)."""

    means: np.ndarray
    covariances: np.ndarray
    counts: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.means.shape[0])

    @property
    def latent_dim(self) -> int:
        return int(self.means.shape[1])

    def cholesky(self) -> np.ndarray:
        """Lower Cholesky factors (n, d, d) of the jittered covariances."""
        d = self.latent_dim
        scale = np.trace(self.covariances, axis1=1, axis2=2) / d
        jitter = JITTER * np.maximum(scale, 1e-12)[:, None, None] * np.eye(d)
        return np.linalg.cholesky(self.covariances + jitter).astype("float32")

    def sample(self, labels, seed: int = 0) -> np.ndarray:
        """NumPy draws ``z = mu_c + L_c eps`` for the given labels (for figures and checks)."""
        labels = np.asarray(labels, dtype=int)
        eps = np.random.default_rng(seed).standard_normal((len(labels), self.latent_dim))
        return (self.means[labels] + np.einsum("bij,bj->bi", self.cholesky()[labels], eps)).astype("float32")


def fit_class_gaussians(latents, labels, n_classes: int) -> ClassGaussians:
    """Mean and (unbiased) covariance of the latents of every class."""
    latents, labels = np.asarray(latents, dtype=np.float64), np.asarray(labels).reshape(-1)
    if latents.ndim != 2 or len(latents) != len(labels):
        raise KitError(f"latents {latents.shape} and labels {labels.shape} do not match.",
                       "pass one latent vector (a row) per label.")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise KitError(f"Labels run from {labels.min()} to {labels.max()}, outside 0..{n_classes - 1}.",
                       "pass integer labels 0..n_classes - 1 and the dataset's number of classes.")
    counts = np.bincount(labels, minlength=n_classes)
    if counts.min() < 2:
        raise KitError(f"Class {int(np.argmin(counts))} has {counts.min()} image(s); a covariance needs 2 or more.",
                       "give every class at least 2 training images (check the imbalance protocol).")
    means = np.stack([latents[labels == c].mean(axis=0) for c in range(n_classes)])
    covariances = np.stack([np.atleast_2d(np.cov(latents[labels == c], rowvar=False)) for c in range(n_classes)])
    return ClassGaussians(means.astype("float32"), covariances.astype("float32"), counts)


def encode_class_gaussians(encoder, images, labels, n_classes: int, batch_size: int = 256) -> ClassGaussians:
    """Encode the training images and fit the per-class Gaussians (BAGAN's step 2).

    The encoder is called batch by batch rather than through ``predict``, which
    under a ``tf.distribute`` strategy would shard the images over the replicas
    (and workers): the same latents, without the machinery.
    """
    images = np.asarray(images)
    latents = [np.asarray(encoder(images[i:i + batch_size], training=False), dtype=np.float64)
               for i in range(0, len(images), batch_size)]
    return fit_class_gaussians(np.concatenate(latents), labels, n_classes)


class ClassConditionalLatents:
    """A latent sampler for :class:`bagan_lib.gan.trainer.AdversarialTrainer`: ``z = mu_y + L_y eps``."""

    def __init__(self, gaussians: ClassGaussians):
        self.gaussians = gaussians
        self.means = ops.convert_to_tensor(gaussians.means, dtype="float32")
        self.factors = ops.convert_to_tensor(gaussians.cholesky(), dtype="float32")

    def __call__(self, eps, labels):
        if labels is None:
            raise KitError("The class-conditional latent sampler needs the labels of the fakes.",
                           "use it with a model that has classes (n_classes=...).")
        labels = ops.cast(labels, "int32")
        factors = ops.take(self.factors, labels, axis=0)  # (B, d, d): one Cholesky factor per fake
        return ops.take(self.means, labels, axis=0) + ops.einsum("bij,bj->bi", factors, eps)


def class_conditional_latents(gaussians: ClassGaussians) -> ClassConditionalLatents:
    """The latent sampler ``(eps, labels) -> mu_y + L_y eps`` for ``AdversarialTrainer(latent_sampler=...)``.

    The trainer draws ``eps ~ N(0, I)`` from its own ``keras.random.SeedGenerator``
    (replica-aware under a multi-device strategy) and passes the fakes' labels.
    """
    return ClassConditionalLatents(gaussians)


def sampling_check(gaussians: ClassGaussians, class_names, *, n_per_class: int = 4000, seed: int = 0):
    """Per class: draw ``n_per_class`` latents and compare their mean and covariance with the fitted ones.

    Errors are relative: ``|mean_hat - mu| / sqrt(tr Sigma)`` and ``||Sigma_hat - Sigma||_F / ||Sigma||_F``;
    both shrink like ``1 / sqrt(n_per_class)``.
    """
    rows = []
    for c, name in enumerate(class_names):
        z = gaussians.sample(np.full(n_per_class, c), seed=seed + c)
        mu, cov = gaussians.means[c], gaussians.covariances[c]
        rows.append({"class": c, "name": name, "images": int(gaussians.counts[c]),
                     "mean error": round(float(np.linalg.norm(z.mean(0) - mu) / np.sqrt(np.trace(cov))), 4),
                     "covariance error": round(float(np.linalg.norm(np.cov(z, rowvar=False) - cov)
                                                     / np.linalg.norm(cov)), 4)})
    return pd.DataFrame(rows)
