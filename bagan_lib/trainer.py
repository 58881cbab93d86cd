"""The one adversarial trainer every GAN of the kit uses: a ``keras.Model`` driven by ``fit``.

The models differ only in what :class:`AdversarialTrainer` is given:

* ``objective``: the loss terms (:mod:`bagan_lib.objectives`);
* ``fake_labels``: which labels the fakes are generated for: ``"real"`` (the
  batch's own labels: cDRAGAN, BAGAN-GP v1, Eq. 12-13) or ``"balanced"``
  (uniform over the classes: BAGAN-GP v2/v3, Eq. 14-15);
* ``wrong_labels``: whether the critic also sees real images with uniformly
  drawn labels (the wrong-label term of Eq. 14);
* ``latent_sampler``: how ``z`` is drawn (default N(0, I); BAGAN draws
  class-conditional latents);
* the gradient penalty (``gp_lambda``, ``interpolation``, ``alpha``), Eq. 7;
* ``critic_steps`` per generator step (5 in BAGAN-GP, 1 in BAGAN);
* the initial weights of the generator and critic (e.g. from an autoencoder).

One training step (Keras calls :meth:`train_step` once per batch):

1. ``critic_steps`` times, on the same real batch: generate fakes, score
   real, fake and wrong-label images **in one batched critic call** (the critic
   has no batch normalisation, so this is the same as three calls), sum the
   objective's terms and ``gp_lambda * GP``, update the critic;
2. once: generate fakes and update the generator with the objective's
   generator loss.

Every loss term is tracked with a ``keras.metrics.Mean``, so ``fit`` prints and
logs them per epoch. All random draws come from one
``keras.random.SeedGenerator``: the same seed gives the same run on CPU.
"""

from __future__ import annotations

from typing import Callable

import keras
from keras import ops

from .errors import KitError
from .objectives import get_objective
from .penalties import ALPHAS, INTERPOLATIONS, gradient_penalty


def normal_latents(batch_size, labels, latent_dim, seed):
    """z ~ N(0, I): the default latent sampler (``labels`` unused)."""
    return keras.random.normal((batch_size, latent_dim), seed=seed)


class AdversarialTrainer(keras.Model):
    """Trains ``generator`` against ``critic``; see the module docstring for what varies."""

    def __init__(self, generator: keras.Model, critic: keras.Model, *, latent_dim: int,
                 objective="gan", n_classes: int | None = None, fake_labels: str = "balanced",
                 wrong_labels: bool = False, critic_steps: int = 1, gp_lambda: float = 0.0,
                 interpolation: str = "model", alpha: str = "uniform",
                 latent_sampler: Callable = normal_latents, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.objective = get_objective(objective)
        if fake_labels not in ("real", "balanced"):
            raise KitError(f"fake_labels={fake_labels!r} is not a label sampling.",
                           "use 'real' (cDRAGAN, BAGAN-GP v1) or 'balanced' (BAGAN-GP v2, v3).")
        if wrong_labels and (n_classes is None or not self.objective.uses_wrong_labels):
            raise KitError("wrong_labels=True needs a conditional model and the conditional_bce objective.",
                           "pass n_classes and objective='conditional_bce', or wrong_labels=False.")
        if interpolation not in INTERPOLATIONS or alpha not in ALPHAS:
            raise KitError(f"interpolation={interpolation!r}, alpha={alpha!r} is not a penalty setting.",
                           f"use interpolation in {INTERPOLATIONS} and alpha in {ALPHAS}.")
        if not isinstance(critic_steps, int) or critic_steps < 1 or gp_lambda < 0:
            raise KitError(f"critic_steps={critic_steps!r}, gp_lambda={gp_lambda!r}: need critic_steps >= 1 "
                           "and gp_lambda >= 0.", "use e.g. critic_steps=5, gp_lambda=10 (the paper's values).")
        self.generator, self.critic = generator, critic
        self.latent_dim, self.n_classes = int(latent_dim), n_classes
        self.fake_labels, self.wrong_labels = fake_labels, bool(wrong_labels)
        self.critic_steps, self.gp_lambda = critic_steps, float(gp_lambda)
        self.interpolation, self.alpha = interpolation, alpha
        self.latent_sampler = latent_sampler
        self.seed_generator = keras.random.SeedGenerator(seed)
        names = ["d_loss", "g_loss", "real", "fake"] + (["wrong"] if self.wrong_labels else [])
        names += ["gp"] if self.gp_lambda > 0 else []
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    @property
    def conditional(self) -> bool:
        return self.n_classes is not None

    @property
    def metrics(self):
        return list(self.trackers.values())  # reset by fit at every epoch

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Adam(2e-4, beta_1=0.5, beta_2=0.9) for both by default, as in BAGAN-GP."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9)
        self.d_optimizer.build(self.critic.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    # -- pieces a subclass may override ------------------------------------------------------
    def sample_labels(self, batch_size, real_labels):
        """Labels the fakes are generated for: the batch's own, or uniform over the classes."""
        if not self.conditional:
            return None
        if self.fake_labels == "real":
            return real_labels
        return keras.random.randint((batch_size,), 0, self.n_classes, seed=self.seed_generator, dtype="int32")

    def generate(self, z, labels, training=False):
        return self.generator(z if labels is None else [z, labels], training=training)

    def score(self, images, labels, training=True):
        return self.critic(images if labels is None else [images, labels], training=training)

    # -- the step ----------------------------------------------------------------------------
    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            x, y = data[0], (data[1] if len(data) > 1 else None)
        else:
            x, y = data, None
        if self.conditional and y is None:
            raise KitError("A conditional trainer needs (images, labels) batches.",
                           "pass a dataset of (x, y) pairs to fit().")
        return x, (None if y is None else ops.cast(ops.reshape(y, (-1,)), "int32"))

    def critic_loss(self, x_real, y_real, x_fake, y_fake, y_wrong=None):
        """The critic's loss terms from **one batched critic call** on real, fake and wrong-label images.

        Equal to scoring the three groups separately because the critic has no batch
        normalisation (tests/test_trainer.py checks losses and gradients). Returns
        ``(total, terms)``; the penalty is included when ``gp_lambda > 0``.
        """
        batch = ops.shape(x_real)[0]
        images, labels = [x_real, x_fake], [y_real, y_fake]
        if y_wrong is not None:
            images.append(x_real)
            labels.append(y_wrong)
        scores = self.score(ops.concatenate(images, axis=0),
                            ops.concatenate(labels, axis=0) if self.conditional else None)
        terms = self.objective.critic_terms(*(scores[i * batch:(i + 1) * batch] for i in range(len(images))))
        total = sum(terms.values())
        if self.gp_lambda > 0:
            terms["gp"] = gradient_penalty(self.critic, x_real, x_fake, labels=y_real,
                                           interpolation=self.interpolation, alpha=self.alpha,
                                           seed=self.seed_generator)
            total = total + self.gp_lambda * terms["gp"]
        return total, terms

    def critic_step(self, x_real, y_real):
        """One critic update (Eq. 2, 6, 8, 10, 12 or 14, by objective and penalty); returns its terms."""
        batch = ops.shape(x_real)[0]
        y_fake = self.sample_labels(batch, y_real)
        z = self.latent_sampler(batch, y_fake, self.latent_dim, self.seed_generator)
        x_fake = self.generate(z, y_fake, training=True)  # outside the tape: no gradient into G here
        y_wrong = (keras.random.randint((batch,), 0, self.n_classes, seed=self.seed_generator, dtype="int32")
                   if self.wrong_labels else None)
        with _tape() as tape:
            loss, terms = self.critic_loss(x_real, y_real, x_fake, y_fake, y_wrong)
        grads = tape.gradient(loss, self.critic.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))
        terms["d_loss"] = loss
        return terms

    def generator_step(self, batch, y_real):
        """One generator update (Eq. 3, 9, 13 or 15, by objective)."""
        y_fake = self.sample_labels(batch, y_real)
        z = self.latent_sampler(batch, y_fake, self.latent_dim, self.seed_generator)
        with _tape() as tape:
            x_fake = self.generate(z, y_fake, training=True)
            loss = self.objective.generator_loss(self.score(x_fake, y_fake))
        grads = tape.gradient(loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        return loss

    def train_step(self, data):
        x_real, y_real = self._unpack(data)
        for _ in range(self.critic_steps):  # unrolled when traced: critic_steps is a Python int
            terms = self.critic_step(x_real, y_real)
        terms["g_loss"] = self.generator_step(ops.shape(x_real)[0], y_real)
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def call(self, inputs, training=False):
        """``trainer([z, labels])`` or ``trainer(z)``: the generator's images."""
        if self.conditional:
            z, labels = inputs
            return self.generate(z, labels, training=training)
        return self.generate(inputs, None, training=training)


def _tape():
    import tensorflow as tf  # the trainer runs on the TensorFlow backend (GradientTape)

    return tf.GradientTape()
