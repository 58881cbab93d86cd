"""The reference design's BAGAN-GP training step, rebuilt inside the kit as the baseline to beat.

``bench --versus-reference`` (:mod:`bagan_lib.perf.bench`) times it against the
kit's own step. It has the same networks and the same mathematics as the kit's
BAGAN-GP v3 step (:class:`bagan_lib.gan.trainer.AdversarialTrainer` with the
``conditional_bce`` objective, balanced fake labels and wrong labels), but is
organised the way the BAGAN-GP reference organises its step:

* ``critic_steps`` (5) critic updates on the same real batch, then one generator update;
* **three separate discriminator calls** per critic update: real images with
  their labels, fakes with the labels they were made for, real images with
  uniformly drawn wrong labels (paper Eq. 14), each a binary cross-entropy;
* the gradient penalty (Eq. 7) at model interpolates ``alpha * x_r + (1 - alpha) * x_g``,
  ``alpha ~ U(0, 1)`` per sample (Eq. 8), with the real labels, times lambda = 10;
* the generator loss BCE(D(G(z, y_f), y_f), 1) (Eq. 15);
* one plain ``tf.function`` for the whole step: no XLA; ``bench`` runs it with
  TensorFlow's default settings (``TF_ENABLE_ONEDNN_OPTS=0`` on these CPUs).

It is the kit's own code, written from the equations: the cross-entropies use
``tf.nn.sigmoid_cross_entropy_with_logits`` and the penalty its own tape, not
the kit's :mod:`bagan_lib.gan.losses` / :mod:`bagan_lib.gan.penalties`, so the
equivalence test (tests/perf/test_reference_step.py) checks the kit's step against
an independent formulation. Two departures from the reference code, both
where the kit follows the paper (REFERENCE.md): ``alpha`` is uniform, not
``N(0, 1)``, and the norm has the kit's small epsilon inside the square root.
Embedding gradients are summed per class before Adam, as TensorFlow 2.2 did
(:mod:`bagan_lib.gan.optimizer_step`).

Random draws come from a ``keras.random.SeedGenerator`` in the kit trainer's
order (per critic update: fake labels, noise, wrong labels, alpha; then the
generator's labels and noise), so a baseline and a trainer made with the same
seed draw the same numbers.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from bagan_lib.models.networks import build_decoder, build_discriminator, build_embedding, build_generator
from bagan_lib.gan.optimizer_step import apply_gradients
from bagan_lib.gan.penalties import DEFAULT_EPS
from bagan_lib.gan.trainer import PAPER_ADAM


def build_reference_networks(*, image_size: int, channels: int, n_classes: int, latent_dim: int,
                             width: float = 1.0) -> tuple[keras.Model, keras.Model]:
    """(generator, discriminator) with BAGAN-GP v3's architecture (fresh weights)."""
    generator = build_generator(build_embedding(n_classes, latent_dim),
                                build_decoder(image_size, channels, latent_dim, width))
    return generator, build_discriminator(image_size, channels, n_classes, width)


def bce(logits, target: float):
    """Mean binary cross-entropy of sigmoid(logits) against a constant target (the reference's loss)."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), tf.constant(target, logits.dtype)), logits=logits))


def penalty(critic, x_hat, labels):
    """Eq. 7: mean((||grad_x D(x_hat, y_r)||_2 - 1)^2), differentiable in the critic's weights."""
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic([x_hat, labels], training=True)
    grads = tape.gradient(scores, x_hat)
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + DEFAULT_EPS)
    return tf.reduce_mean(tf.square(norms - 1.0))


class ReferenceStep:
    """BAGAN-GP v3's train step as the reference design writes it; call :attr:`train_step` with a batch."""

    def __init__(self, generator: keras.Model, critic: keras.Model, *, latent_dim: int, n_classes: int,
                 critic_steps: int = 5, gp_lambda: float = 10.0, seed: int | None = None,
                 optimizer_settings: dict | None = None):
        self.generator, self.critic = generator, critic
        self.latent_dim, self.n_classes = int(latent_dim), int(n_classes)
        self.critic_steps, self.gp_lambda = int(critic_steps), float(gp_lambda)
        self.seed_generator = keras.random.SeedGenerator(seed)
        settings = dict(optimizer_settings or PAPER_ADAM)
        self.d_optimizer = keras.optimizers.Adam(**settings)
        self.g_optimizer = keras.optimizers.Adam(**settings)
        self.d_optimizer.build(critic.trainable_variables)
        self.g_optimizer.build(generator.trainable_variables)
        self.train_step = tf.function(self.step)  # a plain tf.function: TensorFlow's defaults, no XLA

    def random_labels(self, n):
        return keras.random.randint((n,), 0, self.n_classes, seed=self.seed_generator, dtype="int32")

    def random_latents(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def critic_step(self, x_real, y_real):
        """One critic update (Eq. 14): three critic calls, the penalty, Adam; returns the loss terms."""
        batch = keras.ops.shape(x_real)[0]  # static when known, as in the kit's trainer
        y_fake = self.random_labels(batch)
        z = self.random_latents(batch)
        y_wrong = self.random_labels(batch)
        alpha = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator, dtype=x_real.dtype)
        with tf.GradientTape() as tape:
            x_fake = self.generator([z, y_fake], training=True)
            real = bce(self.critic([x_real, y_real], training=True), 1.0)
            fake = bce(self.critic([x_fake, y_fake], training=True), 0.0)
            wrong = bce(self.critic([x_real, y_wrong], training=True), 0.0)
            x_hat = tf.stop_gradient(alpha * x_real + (1.0 - alpha) * x_fake)
            gp = penalty(self.critic, x_hat, y_real)
            d_loss = real + fake + wrong + self.gp_lambda * gp
        grads = tape.gradient(d_loss, self.critic.trainable_variables)
        apply_gradients(self.d_optimizer, grads, self.critic.trainable_variables)
        return {"d_loss": d_loss, "real": real, "fake": fake, "wrong": wrong, "gp": gp}

    def generator_step(self, batch):
        """One generator update (Eq. 15) on fakes of balanced labels; returns the loss."""
        y_fake = self.random_labels(batch)
        z = self.random_latents(batch)
        with tf.GradientTape() as tape:
            g_loss = bce(self.critic([self.generator([z, y_fake], training=True), y_fake], training=True), 1.0)
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        apply_gradients(self.g_optimizer, grads, self.generator.trainable_variables)
        return g_loss

    def step(self, x_real, y_real):
        """``critic_steps`` critic updates on ``(x_real, y_real)``, then one generator update.

        Returns the last critic update's terms and ``g_loss``, as the kit's trainer reports them.
        The real labels are int32 class ids of shape ``(B,)``.
        """
        for _ in range(self.critic_steps):
            terms = self.critic_step(x_real, y_real)
        terms["g_loss"] = self.generator_step(keras.ops.shape(x_real)[0])
        return terms
