"""CAPGAN's conditional variational autoencoder (paper section 3.2-3.3), a ``keras.Model`` driven by ``fit``.

image x -> encoder -> (mu, log sigma^2)                          (Eq. 4)
z = mu + exp(0.5 log sigma^2) * eps,  eps ~ N(0, I)              (Eq. 5)
O = z * e(y)   (the label embedding, as in BAGAN-GP's Fig. 3)    (Eq. 6)
x_hat = decoder(O)

**Eq. 5 has a typo.** The paper writes ``alpha ~ U(0, 1)``. The reparameterisation
trick needs ``eps ~ N(0, I)``: only then is ``mu + sigma * eps`` a draw from
``N(mu, sigma^2)``, the posterior whose KL term (Eq. 8) the objective computes in
closed form. A uniform draw has mean 1/2 (z would be shifted by ``sigma / 2``)
and variance 1/12 (z would be far less spread than the KL term assumes), and
the prior the generator later samples, ``N(0, I)``, would not be the one trained for.
The kit draws the normal noise through ``keras.random`` with a ``SeedGenerator``.

**Precision.** The encoder's ``mu`` and ``log sigma^2`` and the decoder's images
are float32 in every Keras policy (:mod:`bagan_lib.models.networks`), so the
noise, Eq. 5 and the objective are computed in float32.

**The objective (Eq. 7)** is KL + cross-entropy + MSE. The paper gives no
reductions; the kit's, per image and then averaged over the batch:

============  =================================================  ==========================
term          ``reduction="elbo"`` (default)                     ``reduction="reference"``
============  =================================================  ==========================
KL (Eq. 8)    summed over the latent dimensions                  mean over latent dimensions
CE (Eq. 9)    summed over pixels (Bernoulli -log-likelihood)     summed over pixels
MSE (Eq. 10)  summed over pixels                                 mean over pixels (Eq. 10's 1/m)
============  =================================================  ==========================

``elbo`` keeps every term in the units of the evidence lower bound (Eq. 3), one
image's log-likelihood against its latent's KL: with per-pixel means the KL
would dwarf the reconstruction and the posterior collapse, with a mean KL (the
reference code's choice, REFERENCE.md) the KL is ``latent_dim`` times weaker and
the model is nearly a plain autoencoder. Each term also has a weight (1 by default).

**Pixel range.** The kit's images live in [-1, 1] and its decoder ends in tanh,
so the decoder's weights move unchanged into the GAN's generator. The
cross-entropy treats ``(x + 1) / 2`` as Bernoulli targets and ``(x_hat + 1) / 2``
as their means; since ``(1 + tanh a) / 2 = sigmoid(2a)``, this is the paper's
sigmoid decoder with its logits doubled. The MSE is taken on the same [0, 1]
scale, so both reconstruction terms see the pixels the paper's CVAE sees.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan.optimizer_step import CustomStepModel, apply_gradients, loss_scaled, replica_draw, scaled_loss

REDUCTIONS = ("elbo", "reference")
TERMS = ("kl", "ce", "mse")


def kl_to_standard_normal(mu, logvar, reduction: str = "elbo"):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per sample (Eq. 8 in closed form).

    ``0.5 * sum_j (exp(logvar_j) + mu_j^2 - 1 - logvar_j)``; with
    ``reduction="reference"`` the mean over ``j`` instead of the sum.
    """
    per_dim = 0.5 * (ops.exp(logvar) + ops.square(mu) - 1.0 - logvar)
    return ops.sum(per_dim, axis=-1) if reduction == "elbo" else ops.mean(per_dim, axis=-1)


def reparameterize(mu, logvar, seed):
    """z = mu + exp(0.5 logvar) * eps with eps ~ N(0, I) from ``seed`` (Eq. 5, with the normal draw).

    Under several replicas each takes its rows of the global batch's draw, as one device would draw them.
    """
    eps = replica_draw(lambda shape: keras.random.normal(shape, seed=seed), ops.shape(mu)[0], mu.shape[-1])
    return mu + ops.exp(0.5 * logvar) * eps


def to_unit_interval(images):
    """[-1, 1] -> [0, 1]: the Bernoulli means of the cross-entropy (see the module docstring)."""
    return (images + 1.0) * 0.5


def reconstruction_terms(images, reconstructed, reduction: str = "elbo"):
    """(CE, MSE) per sample (Eq. 9 and 10) on the [0, 1] scale; images and reconstructions in [-1, 1]."""
    target, mean = to_unit_interval(images), to_unit_interval(reconstructed)
    ce = ops.binary_crossentropy(target, mean, from_logits=False)  # clipped to (eps, 1 - eps) by Keras
    squared = ops.square(target - mean)
    axes = tuple(range(1, len(images.shape)))
    ce = ops.sum(ce, axis=axes)
    mse = ops.sum(squared, axis=axes) if reduction == "elbo" else ops.mean(squared, axis=axes)
    return ce, mse


def capgan_objective(images, reconstructed, mu, logvar, *, reduction: str = "elbo", weights=None) -> dict:
    """Eq. 7's terms, each averaged over the batch, and their weighted sum ``total``."""
    weights = {**dict.fromkeys(TERMS, 1.0), **(weights or {})}
    ce, mse = reconstruction_terms(images, reconstructed, reduction)
    terms = {"kl": ops.mean(kl_to_standard_normal(mu, logvar, reduction)), "ce": ops.mean(ce), "mse": ops.mean(mse)}
    terms["total"] = sum(weights[name] * terms[name] for name in TERMS)
    return terms


class ConditionalVAE(CustomStepModel):
    """Encoder (mu, logvar), label embedding, decoder; trains on ``(images, labels)`` batches (Eq. 3-10).

    ``cvae([images, labels])`` decodes the posterior *mean* (no noise): the
    reconstruction used for figures and Table 4's lower baseline. Training
    samples ``z`` with the model's ``SeedGenerator``.
    """

    supervised = True  # it always takes the labels, like BAGAN-GP v3's autoencoder

    def __init__(self, encoder: keras.Model, decoder: keras.Model, embedding: keras.Model, *,
                 reduction: str = "elbo", weights: dict | None = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if reduction not in REDUCTIONS:
            raise KitError(f"reduction={reduction!r} is not a CVAE objective reduction.",
                           "use 'elbo' (per-image sums, the default) or 'reference' (the CAPGAN code's).")
        unknown = sorted(set(weights or {}) - set(TERMS))
        if unknown:
            raise KitError(f"Unknown CVAE loss term(s) {unknown}.", f"weight only {', '.join(TERMS)}.")
        self.encoder, self.decoder, self.embedding = encoder, decoder, embedding
        self.reduction, self.term_weights = reduction, {**dict.fromkeys(TERMS, 1.0), **(weights or {})}
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss",) + TERMS}

    @property
    def reconstruction(self) -> str:
        """The objective's name in checkpoints (the autoencoders say "l1" or "l2" here)."""
        return f"capgan_{self.reduction}"

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, optimizer=None, **kwargs):
        """Adam(2e-4, beta_1=0.5, beta_2=0.9) by default, as BAGAN-GP's autoencoder; loss-scaled for float16."""
        optimizer = optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9)
        super().compile(optimizer=loss_scaled(optimizer, self.decoder.compute_dtype), **kwargs)
        self.optimizer.build(self.trainable_variables)  # here, in the strategy's scope (see CustomStepModel)

    def encode(self, images, training=False):
        """(mu, logvar) of q(z | x) (Eq. 4)."""
        return self.encoder(images, training=training)

    def decode(self, z, labels, training=False):
        """x_hat from a latent and its labels: the embedding product (Eq. 6), then the decoder."""
        return self.decoder(self.embedding([z, labels], training=training), training=training)

    def latent(self, images, labels=None, training=False):
        """The labelled posterior means ``mu * e(y)`` the decoder receives at evaluation (as Autoencoder.latent)."""
        if labels is None:
            raise KitError("The CVAE needs the labels.", "pass (images, labels).")
        return self.embedding([self.encode(images, training)[0], labels], training=training)

    def call(self, inputs, training=False):
        images, labels = inputs
        return self.decoder(self.latent(images, labels, training=training), training=training)

    def loss_terms(self, images, labels, training=False) -> dict:
        mu, logvar = self.encode(images, training=training)
        z = reparameterize(mu, logvar, self.seed_generator)
        return capgan_objective(images, self.decode(z, labels, training=training), mu, logvar,
                                reduction=self.reduction, weights=self.term_weights)

    def _unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise KitError("The CVAE trains on (images, labels) batches.", "pass a dataset of (x, y) pairs.")
        return data[0], ops.cast(ops.reshape(data[1], (-1,)), "int32")

    def _record(self, terms) -> dict:
        self.trackers["loss"].update_state(terms["total"])
        for name in TERMS:
            self.trackers[name].update_state(terms[name])
        return self.step_logs(self.trackers.values())

    def train_step(self, data):
        images, labels = self._unpack(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(images, labels, training=True)
            scaled = scaled_loss(self.optimizer, terms["total"])  # / replicas, x loss scale (float16)
        grads = tape.gradient(scaled, self.trainable_variables)
        apply_gradients(self.optimizer, grads, self.trainable_variables)
        return self._record(terms)

    def test_step(self, data):
        images, labels = self._unpack(data)
        return self._record(self.loss_terms(images, labels, training=False))

    def sample(self, labels, seed=None):
        """Images decoded from the prior z ~ N(0, I) for ``labels``: what the CVAE alone would generate."""
        labels = ops.cast(ops.convert_to_tensor(labels), "int32")
        z = keras.random.normal((ops.shape(labels)[0], self.embedding.inputs[0].shape[-1]), seed=seed)
        return self.decode(z, labels)

    def generate_fn(self, seed: int = 0):
        """``labels -> images`` (numpy) from the prior, with fresh noise per call: for the classifier check."""
        noise_seed = keras.random.SeedGenerator(seed)
        return lambda labels: np.asarray(self.sample(np.asarray(labels, "int32"), seed=noise_seed))


def noise_draw_comparison(mu: float = 1.0, sigma: float = 0.5, n: int = 20000, seed: int = 0) -> dict:
    """z = mu + sigma * eps with eps ~ N(0, 1) (the reparameterisation) and with eps ~ U(0, 1) (Eq. 5 as printed).

    Returns ``{"normal": z, "uniform": z}`` (numpy): only the normal draw has the
    mean ``mu`` and variance ``sigma^2`` that the KL term (Eq. 8) assumes.
    """
    generator = keras.random.SeedGenerator(seed)
    draws = {"normal": keras.random.normal((n,), seed=generator), "uniform": keras.random.uniform((n,), seed=generator)}
    return {name: mu + sigma * np.asarray(eps) for name, eps in draws.items()}
