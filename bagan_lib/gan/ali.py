"""Adversarially Learned Inference (ALI) and AC-GAN on ALI latents: the augmentation paper's second model.

ALI (Dumoulin et al. 2016; "On Data Augmentation Using GANs", section IV-B)
has three players:

* the **encoder** ``G_z(x)``: an image to the mean and log-variance of a normal,
  and ``z`` drawn from it (``z = mu + sigma * eps``);
* the **generator** ``G_x(z)``: noise ``z ~ N(0, I)`` to an image;
* the **joint discriminator** ``D(x, z)``: which of two pairs is "real", the
  encoder's ``(x, G_z(x))`` or the generator's ``(G_x(z), z)``.

They play the paper's Eq. 4::

    min_{G_z, G_x} max_D  V = E_x[log D(x, G_z(x))] + E_z[log(1 - D(G_x(z), z))]      (Eq. 4)

The critic minimises ``BCE(D(x, G_z(x)), 1) + BCE(D(G_x(z), z), 0)`` (``gan``'s
terms); the encoder and generator minimise the same terms with the targets
swapped (the non-saturating form of Eq. 4, as in ALI's own code):
:func:`ali_generator_loss`. At the game's equilibrium the two joint
distributions agree, so ``G_x(G_z(x))`` reconstructs ``x``
(:meth:`ALITrainer.reconstruct`), without any reconstruction loss.

:class:`ALITrainer` is the kit's one adversarial trainer
(:class:`bagan_lib.gan.trainer.AdversarialTrainer`: ``fit``, the metric
trackers, the seed generator, loss scaling, replicas) with what differs: the
critic scores pairs, and the generator's optimizer updates the encoder too.

:class:`RealLatentMixture` is the paper's AC-GAN on ALI latents (Eq. 5): each
generator batch of the AC-GAN mixes latents of real images from the pre-trained
ALI encoder (with their own labels) and noise (with uniform labels); the
source (real/fake) term of the generator loss is masked for the former.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf  # GradientTape (the trainer runs on the TensorFlow backend)
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan import losses
from bagan_lib.gan.optimizer_step import apply_gradients, scaled_loss
from bagan_lib.gan.trainer import AdversarialTrainer, split_rows


def ali_critic_terms(real_scores, fake_scores) -> dict:
    """The critic's loss terms of Eq. 4: ``real = BCE(D(x, G_z(x)), 1)``, ``fake = BCE(D(G_x(z), z), 0)``."""
    return {"real": losses.bce_with_logits(real_scores, 1), "fake": losses.bce_with_logits(fake_scores, 0)}


def ali_generator_loss(real_scores, fake_scores):
    """The encoder's and generator's loss (Eq. 4, non-saturating): ``BCE(D(x, G_z(x)), 0) + BCE(D(G_x(z), z), 1)``.

    The critic's terms with the targets swapped: the encoder makes its pairs look
    generated, the generator makes its pairs look encoded.
    """
    return losses.bce_with_logits(real_scores, 0) + losses.bce_with_logits(fake_scores, 1)


def sample_latents(encoder, images, seed, training: bool = False):
    """``G_z(x)``: ``z = mu + exp(logvar / 2) * eps`` from the encoder's normal (eps from ``seed``)."""
    from bagan_lib.models.cvae import reparameterize

    mu, logvar = encoder(images, training=training)
    return reparameterize(mu, logvar, seed)


class ALITrainer(AdversarialTrainer):
    """ALI on the shared trainer: ``encoder`` (image -> mu, logvar), ``generator`` (z -> image), ``critic`` ((x, z) -> logit).

    One step: the critic update on the pairs ``(x, G_z(x))`` and ``(G_x(z), z)`` in
    one batched critic call, then one update of the encoder and generator
    together (:func:`ali_generator_loss`). The trackers are ``d_loss``, ``g_loss``,
    ``real`` and ``fake`` (the critic's two terms).
    """

    def __init__(self, encoder: keras.Model, generator: keras.Model, critic: keras.Model, *, latent_dim: int,
                 **kwargs):
        for setting in ("objective", "n_classes", "gp_lambda", "critic_steps", "real_latents"):
            if setting in kwargs:
                raise KitError(f"ALITrainer sets {setting} itself (Eq. 4: one critic step, no penalty, no classes).",
                               f"leave {setting} out.")
        if kwargs.get("augment") is not None:
            raise KitError("ALI's joint critic scores (image, latent) pairs, and the encoder's latent belongs to "
                           "the image it saw: transforming the image alone would break the pair (and "
                           "ALITrainer's steps apply no augmentation).", "leave augment=None for ALI.")
        super().__init__(generator, critic, latent_dim=latent_dim, objective="gan", n_classes=None,
                         label_inputs=False, critic_steps=1, gp_lambda=0.0, **kwargs)
        self.encoder = encoder

    @property
    def generator_variables(self) -> list:
        """The encoder and the generator: both minimise Eq. 4."""
        return self.encoder.trainable_variables + self.generator.trainable_variables

    def encode(self, images, training: bool = False):
        """``G_z(x)``, drawn with the trainer's seed generator."""
        return sample_latents(self.encoder, images, self.seed_generator, training=training)

    def reconstruct(self, images, training: bool = False):
        """``G_x(G_z(x))``: what ALI makes of real images (the paper's Fig. 7b)."""
        return self.generator(self.encode(images, training=training), training=training)

    def joint_scores(self, x_real, z_real, x_fake, z_fake, training: bool = True):
        """``(D(x, G_z(x)), D(G_x(z), z))`` from one batched critic call (the critic has no batch normalisation)."""
        scores = self.critic([ops.concatenate([x_real, x_fake], 0), ops.concatenate([z_real, z_fake], 0)],
                             training=training)
        return split_rows(scores, [x_real, x_fake])

    def critic_step(self, x_real, y_real=None):
        """One critic update (Eq. 4, the max over D); the encoder's and generator's draws carry no gradient."""
        batch = ops.shape(x_real)[0]
        z_fake = self.draw_latents(batch, None)
        x_fake = self.generator(z_fake, training=True)
        z_real = self.encode(x_real, training=True)
        with tf.GradientTape() as tape:
            terms = ali_critic_terms(*self.joint_scores(x_real, z_real, x_fake, z_fake))
            loss = terms["real"] + terms["fake"]
            scaled = scaled_loss(self.d_optimizer, loss)
        grads = tape.gradient(scaled, self.critic.trainable_variables)
        apply_gradients(self.d_optimizer, grads, self.critic.trainable_variables)
        terms["d_loss"] = loss
        return terms

    def generator_step(self, batch, y_real=None, x_real=None):
        """One update of the encoder and the generator together (Eq. 4, the min over G_z and G_x)."""
        if x_real is None:
            raise KitError("ALI's encoder step needs the real batch.", "call generator_step(batch, None, x_real).")
        z_fake = self.draw_latents(batch, None)
        with tf.GradientTape() as tape:
            x_fake = self.generator(z_fake, training=True)
            z_real = self.encode(x_real, training=True)
            loss = ali_generator_loss(*self.joint_scores(x_real, z_real, x_fake, z_fake))
            scaled = scaled_loss(self.g_optimizer, loss)
        grads = tape.gradient(scaled, self.generator_variables)
        apply_gradients(self.g_optimizer, grads, self.generator_variables)
        return loss


class RealLatentMixture:
    """The generator batch of AC-GAN on ALI latents (augmentation paper, section IV-B1 and Eq. 5).

    Of a generator batch of ``B``, the first ``n = floor(share * B + 1/2)`` (at least 1,
    at most ``B - 1``) latents are ``G_z(x)`` of the batch's first ``n`` real
    images, with those images' labels; the other ``B - n`` are noise ``z ~ N(0, I)``
    with uniform labels. With ``masked`` (Eq. 5) the generator loss's source term
    counts only the noise images (mask 1) and the real latents' images add their
    class term alone; unmasked, every image has both terms. The encoder is frozen
    (it is not among the generator's variables). The critic step is AC-GAN's own.
    """

    def __init__(self, encoder: keras.Model, *, share: float = 0.5, masked: bool = True):
        if not (isinstance(share, float) and 0 < share < 1):
            raise KitError(f"share={share!r}: the share of real latents must be a number strictly between 0 and 1.",
                           "use e.g. share=0.5 (half of each generator batch from encoded real images).")
        self.encoder, self.share, self.masked = encoder, share, bool(masked)

    def count(self, batch: int) -> int:
        """Real latents in a generator batch of ``batch``."""
        if not isinstance(batch, int):
            raise KitError("The mixture needs batches of a known size.", "batch the data with drop_remainder=True.")
        return min(batch - 1, max(1, math.floor(self.share * batch + 0.5)))  # half up (round() halves to even)

    def generator_inputs(self, trainer: AdversarialTrainer, x_real, y_real):
        """``(z, labels, source_mask)`` for one generator batch of ``trainer`` (mask None when unmasked)."""
        batch = int(x_real.shape[0])
        n = self.count(batch)
        z_real = sample_latents(self.encoder, x_real[:n], trainer.seed_generator)
        y_noise = trainer.uniform_labels(batch - n)
        z = ops.concatenate([z_real, trainer.draw_latents(batch - n, y_noise)], 0)
        labels = ops.concatenate([ops.cast(y_real[:n], "int32"), y_noise], 0)
        mask = ops.concatenate([ops.zeros((n,)), ops.ones((batch - n,))], 0) if self.masked else None
        return z, labels, mask
