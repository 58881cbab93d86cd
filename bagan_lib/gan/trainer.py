"""The one adversarial trainer every GAN of the kit uses: a ``keras.Model`` driven by ``fit``.

The models differ only in what :class:`AdversarialTrainer` is given:

* ``objective``: the loss terms (:mod:`bagan_lib.gan.objectives`);
* ``fake_labels``: which labels the fakes are generated for: ``"real"`` (the
  batch's own labels: cDRAGAN, BAGAN-GP v1, Eq. 12-13) or ``"balanced"``
  (uniform over the classes: BAGAN, BAGAN-GP v2/v3, Eq. 14-15);
* ``wrong_labels``: whether the critic also sees real images with uniformly
  drawn labels (the wrong-label term of Eq. 14);
* ``latent_sampler``: how ``z`` is made from noise ``eps ~ N(0, I)`` and the labels
  (default ``z = eps``; BAGAN's class-conditional ``z = mu_y + L_y eps``);
* the gradient penalty (``gp_lambda``, ``interpolation``, ``alpha``), Eq. 7;
* ``critic_steps`` per generator step (5 in BAGAN-GP, 1 in BAGAN);
* the initial weights of the generator and critic (e.g. from an autoencoder);
* ``label_inputs``: whether the networks take the label as an input (cDRAGAN,
  BAGAN-GP) or not (BAGAN: the class enters only through the latent, and the
  critic names the class);
* ``fake_share``: ``"batch"`` (as many fakes as real images) or ``"class"``
  (ceil(B / n) fakes: "fake" is as frequent as an average class, BAGAN);
* ``real_share``: instead, a critic batch of B images with this share of real
  ones (the first of the data batch) and the rest fakes: AC-GAN's proportions
  (0.5, 0.25, 0.75, or ``"alternating"``: 0.75 with 0.5 every third epoch; see
  :func:`real_share_for_epoch`);
* ``critic_label_inputs``: whether the critic takes the label (default: as the
  generator does; AC-GAN's critic names the class itself);
* ``real_latents``: AC-GAN on ALI latents (:class:`bagan_lib.gan.ali.RealLatentMixture`):
  each generator batch mixes the pre-trained ALI encoder's latents of the
  batch's real images (with their labels) and noise, and masks the source term
  of the former (the augmentation paper's Eq. 5; the critic step is AC-GAN's);
* ``critic_parts``: optionally, the critic factored into image features and a
  label head (:class:`bagan_lib.gan.critic_parts.ConditionalCriticParts`), so the
  real images' features serve both the real and the wrong-label term and the
  label branch runs once per class: the same mathematics, less work;
* ``augment``: ``None``, ``"diffaugment"`` or ``"ada"``: every image the critic
  sees goes through the random transforms of :mod:`bagan_lib.gan.augment`
  (DiffAugment, Zhao et al. 2020; ADA, Karras et al. 2020), see below;
* ``gsr_lambda`` (with the training set's ``class_counts``): group spectral
  regularisation (Rangwani et al. 2022, :mod:`bagan_lib.gan.group_spectral`):
  the generator's loss plus ``gsr_lambda * R_gSR``, the class-weighted squared
  spectral norms of its class-conditional batch-norm gains and biases (the
  generator must have cBN layers, :mod:`bagan_lib.models.class_batchnorm`).
  Whenever the generator has cBN layers, the per-class norms are tracked as
  ``gsr_norm_0 .. gsr_norm_{n-1}`` (the paper's spectral-explosion diagnostic),
  and with gSR the regulariser as ``gsr``;
* ``transition``: transitional conditioning (Shahbazi et al. 2022,
  :class:`bagan_lib.gan.transition.Transition`): the networks, built with the
  same object, blend the label in with ``alpha_t`` (0: unconditional, 1: the
  conditional model), the wrong-label term is weighted by ``alpha_t``, and
  ``alpha_t`` moves on after every step (tracked as ``alpha``).

One training step (Keras calls :meth:`train_step` once per batch):

1. ``critic_steps`` times, on the same real batch: draw labels and noise,
   generate fakes, draw the penalty points, then update the critic: score real,
   fake and wrong-label images **in one batched critic call** (the critic has no
   batch normalisation, so this is the same as three calls; with
   ``critic_parts`` the real images go through the conv stack once), sum the
   objective's terms and ``gp_lambda * GP``, apply the gradients. With
   ``jit_compile=True`` this update (forward, penalty with its nested tape,
   backward, optimizer) is one XLA-compiled function; the random draws stay
   outside it, so XLA changes no random number;
2. once: generate fakes and update the generator with the objective's
   generator loss (plus ``gsr_lambda * R_gSR`` with gSR);
3. the long-tail terms of the step's end (:meth:`long_tail_terms`): the gSR
   regulariser and per-class norms after the update, and the transition's
   ``alpha_t`` for the next step.

Every loss term is tracked with a ``keras.metrics.Mean``, so ``fit`` prints and
logs them per epoch. All random draws come from one
``keras.random.SeedGenerator``: the same seed gives the same run on CPU.

Several devices (``tf.distribute.MirroredStrategy``): build the networks and the
trainer inside ``strategy.scope()`` and call ``fit`` with the *global* batch.
Each replica scales its losses by ``1 / replicas`` so the summed gradients are
the global batch's; it draws the global batch's random numbers and keeps its own
slice, so the replicas together draw exactly what one device would; the penalty
points are drawn on the gathered global batch (so DRAGAN's ``std`` is the global
one); the trackers report the global mean. The decoder then uses synchronized
batch normalisation (:func:`bagan_lib.models.networks.build_decoder`). The global
batch must split evenly over the replicas (a multiple of their number; the
kit's input pipeline drops incomplete batches). Two differences stay: BAGAN's
``ceil(B / n)`` fakes are counted per replica, and the dropout layers of CGAN's
critic draw their masks per replica (Keras' own draws, not the trainer's).
tests/gan/test_distributed.py checks a two-device run against a one-device run.

Mixed precision: the networks compute in the dtype of the Keras policy they
were built under (:mod:`bagan_lib.models.networks`) and return float32; the
loss terms and the penalty's norm are float32. With float16 networks
:meth:`compile` wraps both optimizers in Keras 3's ``LossScaleOptimizer``, and
every update scales its loss (:mod:`bagan_lib.gan.optimizer_step`): a step whose
gradients overflow is skipped for that network and halves its loss scale.
tests/gan/test_mixed_precision.py checks one step of every model under each
policy against float32.

Augmentation (``augment``, :class:`bagan_lib.gan.augment.Augmentation`). The
critic only ever sees transformed images, in both players' steps (DiffAugment's
Eq. 2-3):

* critic step: the real batch and the fakes each go through the **same policy**
  (one call of the same :class:`~bagan_lib.gan.augment.Augmentation` per half,
  every image with its own draw), ``T(x_r)`` and ``T(G(z))``; this happens with
  the other random draws, outside the (possibly XLA-compiled) update;
* the **wrong-label term** (Eq. 14) scores the *same* augmented real images
  ``T(x_r)`` as the real term, with the wrong labels: the two terms then differ
  in the label alone, as in Eq. 14, where they score the same ``x_r``. It is also
  what keeps ``critic_parts``' shortcut exact: ``T(x_r)`` is one tensor, its
  features are computed once and serve both terms;
* the **gradient penalty** is taken at interpolates of the augmented images,
  ``x_hat = alpha T(x_r) + (1 - alpha) T(G(z))`` (DRAGAN: around ``T(x_r)``), with
  the real labels: Eq. 7 still penalises the critic's gradient at points between
  the two distributions it actually scores (penalising it between the
  un-augmented ones would constrain the critic where it is never evaluated);
* generator step: ``L_G`` on ``D(T(G(z)))``, the gradient flowing through ``T``.

ADA's ``p`` moves every ``ada_interval`` steps from the mean sign of the critic's
real logits (the objective's ``real_logit``; none for the Wasserstein critic,
which ADA refuses); ``p`` and ``r_t`` are tracked as ``ada_p`` and ``ada_rt``. The
augmentation draws from its own seed generator (derived from ``seed``), so the
labels, noise and penalty points are those of the run without augmentation, and
ADA at ``p = 0`` equals that run exactly.

XLA (``jit_compile=True``, one device only) pays off on this kit's CPUs only
without oneDNN: with TensorFlow's oneDNN kernels on (the kit's default) the
uncompiled critic step was faster in our measurements.
"""

from __future__ import annotations

import math
from typing import Callable

import keras
import tensorflow as tf  # the trainer runs on the TensorFlow backend (GradientTape, tf.distribute)
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan.augment import ADA_IMAGES, ADA_INTERVAL, ADA_TARGET, Augmentation
from bagan_lib.gan.group_spectral import GSR_BETA, GSR_LAMBDA, GroupSpectralRegulariser, class_gain_norms
from bagan_lib.gan.objectives import get_objective
from bagan_lib.gan.optimizer_step import (
    CustomStepModel, apply_gradients, gather_replicas, loss_scaled, replica_draw, replica_position, scaled_loss,
    several_replicas)
from bagan_lib.gan.penalties import ALPHAS, INTERPOLATIONS, gradient_penalty_at, interpolates
from bagan_lib.gan.transition import Transition
from bagan_lib.models.class_batchnorm import class_batchnorm_layers


def normal_latents(noise, labels):
    """z = eps ~ N(0, I): the default latent sampler (``labels`` unused).

    A latent sampler maps standard normal noise (and the labels) to latents, so
    the same fixed noise can show every class (the Eq. 16 grid).
    """
    return noise


FAKE_SHARES = ("batch", "class")
REAL_SHARE_SCHEDULES = ("alternating",)
PAPER_ADAM = {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.9}   # BAGAN-GP, section 4


def real_share_for_epoch(real_share, epoch: int):
    """The real share of a critic batch in ``epoch`` (0-based): a constant, or ``"alternating"``.

    ``"alternating"`` (the augmentation paper's AC-GAN v3): 0.75 real, except every
    third epoch (epochs 3, 6, 9, ... counted from 1), which is 0.5.
    """
    if real_share == "alternating":
        return 0.5 if (epoch + 1) % 3 == 0 else 0.75
    return real_share


def augmentation_seed(seed: int | None) -> int | None:
    """The augmentation's own seed, derived from the trainer's (None stays None: a random one)."""
    return None if seed is None else (int(seed) * 0x9E3779B1 + 0x5DEECE66D) % (2**31 - 1)


def split_rows(batch, like):
    """``batch`` cut into consecutive row blocks as long as the tensors in ``like``."""
    ends = [0]
    for part in like:
        ends.append(ends[-1] + ops.shape(part)[0])
    return [batch[start:end] for start, end in zip(ends[:-1], ends[1:])]


class AdversarialTrainer(CustomStepModel):
    """Trains ``generator`` against ``critic``; see the module docstring for what varies."""

    def __init__(self, generator: keras.Model, critic: keras.Model, *, latent_dim: int,
                 objective="gan", n_classes: int | None = None, fake_labels: str = "balanced",
                 wrong_labels: bool = False, critic_steps: int = 1, gp_lambda: float = 0.0,
                 interpolation: str = "model", alpha: str = "uniform",
                 latent_sampler: Callable = normal_latents, label_inputs: bool = True, fake_share: str = "batch",
                 optimizer_defaults: dict | None = None, jit_compile: bool = False, seed: int | None = None,
                 critic_parts=None, real_share=None, critic_label_inputs: bool | None = None,
                 real_latents=None, augment: str | None = None, ada_target: float = ADA_TARGET,
                 ada_interval: int = ADA_INTERVAL, ada_images: float = ADA_IMAGES, gsr_lambda: float = 0.0,
                 class_counts=None, gsr_beta: float = GSR_BETA, transition: Transition | None = None, **kwargs):
        super().__init__(**kwargs)
        self.objective = get_objective(objective)
        if fake_share not in FAKE_SHARES:
            raise KitError(f"fake_share={fake_share!r} is not a share of fakes.",
                           "use 'batch' (as many fakes as real images) or 'class' (BAGAN's ceil(B / n)).")
        if fake_share == "class" and (n_classes is None or fake_labels != "balanced"):
            raise KitError("fake_share='class' needs the number of classes and balanced fake labels.",
                           "pass n_classes and fake_labels='balanced' (BAGAN's settings).")
        if fake_share == "class" and gp_lambda > 0 and interpolation == "model":
            raise KitError("The 'model' penalty pairs every real image with a fake, but fake_share='class' makes "
                           "fewer fakes than real images.", "use fake_share='batch', or gp_lambda=0 (BAGAN).")
        if real_share is not None:
            if not (real_share in REAL_SHARE_SCHEDULES or (isinstance(real_share, float) and 0 < real_share < 1)):
                raise KitError(f"real_share={real_share!r} is not a share of real images.",
                               "use a number strictly between 0 and 1 (e.g. 0.25) or 'alternating'.")
            if gp_lambda > 0 or fake_share != "batch" or fake_labels != "balanced":
                raise KitError("real_share makes the critic batch part real, part fake; the penalty pairs every "
                               "real image with a fake and fake_share sets the fakes another way.",
                               "use real_share with gp_lambda=0, fake_share='batch' and fake_labels='balanced' "
                               "(AC-GAN's settings).")
        if real_latents is not None and (n_classes is None or self.objective.name != "acgan"):
            raise KitError("real_latents (AC-GAN on ALI latents) masks AC-GAN's source term: it needs a "
                           "conditional model with the acgan objective.",
                           "use objective='acgan' with n_classes, or real_latents=None.")
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
        if jit_compile and several_replicas():
            raise KitError("jit_compile=True cannot run under a multi-device strategy: TensorFlow cannot run "
                           "the optimizer's gradient all-reduce (a merge_call) inside the compiled critic update.",
                           "use jit_compile=False with MirroredStrategy, or one device with jit_compile=True.")
        if critic_parts is not None and not (n_classes is not None and label_inputs):
            raise KitError("critic_parts factor a conditional critic (image and label inputs).",
                           "pass n_classes with label_inputs=True, or leave critic_parts=None.")
        if augment == "ada" and self.objective.real_logit is None:
            raise KitError(f"augment='ada' reads the sign of the critic's real logits, but the {self.objective.name} "
                           "critic's scores have no zero point (adding a constant changes no loss).",
                           "use augment='diffaugment' (no heuristic), or a critic with a logit (e.g. "
                           "objective='conditional_bce').")
        if not (math.isfinite(gsr_lambda) and gsr_lambda >= 0):
            raise KitError(f"gsr_lambda={gsr_lambda!r} must be a finite number >= 0.",
                           f"use e.g. the paper's {GSR_LAMBDA}, or 0 for no group spectral regularisation.")
        if transition is not None and not (n_classes is not None and label_inputs
                                           and critic_label_inputs in (None, True)):
            raise KitError("Transitional conditioning blends the label into both networks: it needs a generator "
                           "and a critic that take the label.", "use a conditional model with label inputs "
                           "(e.g. BAGAN-GP v3), or transition=None.")
        self.generator, self.critic = generator, critic
        self.critic_parts = critic_parts  # a plain object, not tracked: its layers are the critic's
        self.latent_dim, self.n_classes = int(latent_dim), n_classes
        self.fake_labels, self.wrong_labels = fake_labels, bool(wrong_labels)
        self.critic_steps, self.gp_lambda = critic_steps, float(gp_lambda)
        self.interpolation, self.alpha = interpolation, alpha
        self.latent_sampler = latent_sampler
        self.label_inputs, self.fake_share = bool(label_inputs), fake_share
        self.critic_label_inputs = self.label_inputs if critic_label_inputs is None else bool(critic_label_inputs)
        self.real_latents = real_latents  # a plain object; its encoder is tracked (saved with the trainer)
        self.latent_encoder = None if real_latents is None else real_latents.encoder
        self.real_share_schedule = real_share
        self.real_share = real_share_for_epoch(real_share, 0)  # a Python number: the critic batch keeps static shapes
        self.optimizer_defaults = dict(optimizer_defaults or PAPER_ADAM)
        self.jit_compile_critic = bool(jit_compile)
        # tf.function(jit_compile=True) of the critic update; made here so Keras does not track it as a layer
        self._compiled_update = tf.function(self.critic_update, jit_compile=True) if jit_compile else None
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.augmentation = None if augment is None else Augmentation(
            augment, seed=augmentation_seed(seed), ada_target=ada_target, ada_interval=ada_interval,
            ada_images=ada_images)  # a plain object: its variables are saved by the checkpoints' "augment" group
        names = ["d_loss", "g_loss", "real", "fake"] + (["wrong"] if self.wrong_labels else [])
        names += ["gp"] if self.gp_lambda > 0 else []
        names += list(self.objective.extra_terms)
        names += ["ada_p", "ada_rt"] if self.adaptive else []
        # group spectral regularisation and its diagnostic (bagan_lib.gan.group_spectral); transition's alpha
        self.gsr_lambda = float(gsr_lambda)
        self.gsr = GroupSpectralRegulariser(generator, class_counts, beta=gsr_beta) if self.gsr_lambda > 0 else None
        self.cbn_layers = class_batchnorm_layers(generator) if self.conditional else []
        self.transition = transition  # a plain object: its variables are saved by the checkpoints' "transition" group
        names += ["gsr"] if self.gsr is not None else []
        names += [f"gsr_norm_{c}" for c in range(n_classes)] if self.cbn_layers else []
        names += ["alpha"] if transition is not None else []
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True  # the networks come built; stops fit under a strategy from tracing call() on images

    @property
    def conditional(self) -> bool:
        """The model has classes (its batches carry labels)."""
        return self.n_classes is not None

    @property
    def adaptive(self) -> bool:
        """The augmentation is ADA's (``p`` adjusted from the critic's real logits)."""
        return self.augmentation is not None and self.augmentation.adaptive

    @property
    def labelled_networks(self) -> bool:
        """The generator takes the label as a second input."""
        return self.conditional and self.label_inputs

    @property
    def labelled_critic(self) -> bool:
        """The critic takes the label as a second input."""
        return self.conditional and self.critic_label_inputs

    def set_epoch(self, epoch: int) -> bool:
        """Set the real share of ``epoch`` (AC-GAN's schedule); True when it changed (retrace the step)."""
        share = real_share_for_epoch(self.real_share_schedule, epoch)
        changed = share != self.real_share
        self.real_share = share
        return changed

    def critic_batch(self, batch: int) -> tuple[int, int]:
        """(real, fake) images in one critic batch for a data batch of ``batch``."""
        if self.real_share is None:
            return batch, self.fakes_per_batch(batch)
        if not isinstance(batch, int):
            raise KitError("real_share needs batches of a known size.", "batch the data with drop_remainder=True.")
        n_real = min(batch - 1, max(1, int(round(self.real_share * batch))))
        return n_real, batch - n_real

    def fakes_per_batch(self, batch):
        """Fakes in one critic batch: ``batch``, or ceil(batch / n) for BAGAN's balanced share."""
        if self.fake_share == "batch":
            return batch
        return ops.maximum(1, (batch + self.n_classes - 1) // self.n_classes)

    @property
    def generator_variables(self) -> list:
        """What the generator's optimizer updates (ALI: its encoder too)."""
        return self.generator.trainable_variables

    @property
    def metrics(self):
        return list(self.trackers.values())  # reset by fit at every epoch

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Adam with ``optimizer_defaults`` for both by default: (2e-4, 0.5, 0.9) as in BAGAN-GP.

        A network that computes in float16 gets its optimizer wrapped in dynamic loss scaling.
        """
        super().compile(**kwargs)
        self.d_optimizer = loss_scaled(d_optimizer or keras.optimizers.Adam(**self.optimizer_defaults),
                                       self.critic.compute_dtype)
        self.g_optimizer = loss_scaled(g_optimizer or keras.optimizers.Adam(**self.optimizer_defaults),
                                       self.generator.compute_dtype)
        self.d_optimizer.build(self.critic.trainable_variables)
        self.g_optimizer.build(self.generator_variables)

    # -- random draws ----------------------------------------------------------------------
    def replica_draw(self, draw: Callable, n, *shape):
        """``draw((n,) + shape)`` for this replica: its slice of the draw for all replicas' samples.

        With one device this is just the draw. With R replicas every replica draws
        the ``(R * n,) + shape`` tensor from the same seed state and keeps rows
        ``[i * n, (i + 1) * n)``: together they hold exactly what one device would
        have drawn for the global batch, and the seed states stay equal.
        """
        return replica_draw(draw, n, *shape)

    def uniform_labels(self, n):
        """``n`` labels uniform over the classes (balanced ``y_f``, ``y_wrong``)."""
        return self.replica_draw(
            lambda s: keras.random.randint(s, 0, self.n_classes, seed=self.seed_generator, dtype="int32"), n)

    def sample_labels(self, batch_size, real_labels):
        """Labels the fakes are generated for: the batch's own, or uniform over the classes."""
        if not self.conditional:
            return None
        if self.fake_labels == "real":
            return real_labels
        return self.uniform_labels(batch_size)

    def draw_latents(self, n, labels):
        """Latents for ``n`` fakes of the given labels, from the trainer's seed generator."""
        noise = self.replica_draw(lambda s: keras.random.normal(s, seed=self.seed_generator), n, self.latent_dim)
        return self.latent_sampler(noise, labels)

    def penalty_points(self, x_real, x_fake):
        """Where the penalty is evaluated (Eq. 8 / 10), drawn on the global batch when there are replicas."""
        settings = dict(interpolation=self.interpolation, alpha=self.alpha, seed=self.seed_generator)
        replicas, index = replica_position()
        if replicas == 1:
            return interpolates(x_real, x_fake, **settings)
        n = ops.shape(x_real)[0]
        x_hat = interpolates(gather_replicas(x_real), gather_replicas(x_fake), **settings)
        return x_hat[index * n:(index + 1) * n]

    def augment_images(self, images):
        """``T(images)``: the augmentation's transforms, each image its own draw; the images as they are without."""
        return images if self.augmentation is None else self.augmentation(images)

    # -- networks --------------------------------------------------------------------------
    def generate(self, z, labels, training=False):
        return self.generator([z, labels] if self.labelled_networks else z, training=training)

    def images_from_noise(self, noise, labels, training=False):
        """``G(z)`` for given noise ``eps`` (through the latent sampler) and labels: Eq. 16 grids, evaluation."""
        labels = None if labels is None else ops.cast(labels, "int32")
        return self.generate(self.latent_sampler(ops.convert_to_tensor(noise, "float32"), labels), labels,
                             training=training)

    @property
    def scorer(self):
        """What scores images: the critic, or its factored parts (the same function)."""
        return self.critic if self.critic_parts is None else self.critic_parts

    def score(self, images, labels, training=True):
        return self.scorer([images, labels] if self.labelled_critic else images, training=training)

    def score_groups(self, groups, training=True):
        """Scores of several ``(images, labels)`` groups from **one batched critic call**, split per group.

        With ``critic_parts``, each distinct image tensor (by identity: the real batch
        appears with its labels and with wrong labels) goes through the conv stack once.
        """
        labels = ops.concatenate([y for _, y in groups], axis=0) if self.labelled_critic else None
        if self.critic_parts is None:
            scores = self.score(ops.concatenate([x for x, _ in groups], axis=0), labels, training=training)
        else:
            distinct = []
            for x, _ in groups:
                if not any(x is seen for seen in distinct):
                    distinct.append(x)
            features = split_rows(self.critic_parts.features(ops.concatenate(distinct, axis=0), training=training),
                                  distinct)
            rows = [features[next(i for i, seen in enumerate(distinct) if x is seen)] for x, _ in groups]
            scores = self.critic_parts.head(ops.concatenate(rows, axis=0), labels, training=training)
        return split_rows(scores, [x for x, _ in groups])

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

    def critic_loss(self, x_real, y_real, x_fake, y_fake, y_wrong=None, x_hat=None):
        """The critic's loss terms from **one batched critic call** on real, fake and wrong-label images.

        Equal to scoring the three groups separately because the critic has no batch
        normalisation (tests/gan/test_trainer.py checks losses and gradients). Returns
        ``(total, terms)``; with ``gp_lambda > 0`` the penalty at ``x_hat`` (drawn
        here when not given) is included. With augmentation the images given are the
        augmented ones (:meth:`critic_step` transforms them); the wrong-label term
        scores ``x_real`` too. With ADA, ``terms["ada_sign"]`` is the mean sign of the
        real logits (not part of the loss).
        """
        groups = [(x_real, y_real), (x_fake, y_fake)] + ([(x_real, y_wrong)] if y_wrong is not None else [])
        scores = self.score_groups(groups)
        terms = self.objective.critic_terms(*scores, y_real=y_real, y_fake=y_fake)
        if self.transition is None:
            total = sum(terms.values())
        else:  # the wrong-label term teaches the label: weighted by alpha_t (bagan_lib.gan.transition)
            alpha = ops.convert_to_tensor(self.transition.alpha)
            total = sum(alpha * term if name == "wrong" else term for name, term in terms.items())
        if self.gp_lambda > 0:
            x_hat = self.penalty_points(x_real, x_fake) if x_hat is None else x_hat
            terms["gp"] = gradient_penalty_at(self.scorer, x_hat, labels=y_real if self.labelled_critic else None)
            total = total + self.gp_lambda * terms["gp"]
        if self.adaptive:
            real_logits = ops.cast(self.objective.real_logit(scores[0]), "float32")
            terms["ada_sign"] = ops.mean(ops.sign(ops.stop_gradient(real_logits)))
        return total, terms

    def critic_step(self, x_real, y_real):
        """One critic update (Eq. 2, 6, 8, 10, 12, 14 or B1, by objective and penalty); returns its terms."""
        n_real, n_fakes = self.critic_batch(ops.shape(x_real)[0])
        if self.real_share is not None:  # AC-GAN: part of the critic batch is real, the rest fake
            x_real, y_real = x_real[:n_real], None if y_real is None else y_real[:n_real]
        batch = n_real
        y_fake = self.sample_labels(n_fakes, y_real)
        x_fake = self.generate(self.draw_latents(n_fakes, y_fake), y_fake, training=True)  # no gradient into G
        y_wrong = self.uniform_labels(batch) if self.wrong_labels else None
        if self.augmentation is not None:  # the same policy on both halves, each image its own draw
            x_real, x_fake = self.augment_images(x_real), self.augment_images(x_fake)
        x_hat = self.penalty_points(x_real, x_fake) if self.gp_lambda > 0 else None  # of the augmented images
        update = self._compiled_update if self.jit_compile_critic else self.critic_update
        return update(x_real, y_real, x_fake, y_fake, y_wrong, x_hat)

    def critic_update(self, x_real, y_real, x_fake, y_fake, y_wrong=None, x_hat=None):
        """Loss, penalty, gradients and the optimizer update of one critic step (no random draw)."""
        with tf.GradientTape() as tape:
            loss, terms = self.critic_loss(x_real, y_real, x_fake, y_fake, y_wrong, x_hat)
            scaled = scaled_loss(self.d_optimizer, loss)  # / replicas (their gradients are summed), x loss scale
        grads = tape.gradient(scaled, self.critic.trainable_variables)
        apply_gradients(self.d_optimizer, grads, self.critic.trainable_variables)
        terms["d_loss"] = loss
        return terms

    def generator_inputs(self, batch, y_real, x_real=None):
        """``(z, labels, extra)`` of a generator step: noise with the recipe's labels, or, with ``real_latents``,
        the mixture of the ALI encoder's latents of real images and noise (augmentation paper, Eq. 5), whose
        ``extra`` holds the generator loss's ``source_mask``."""
        if self.real_latents is None:
            y_fake = self.sample_labels(batch, y_real)
            return self.draw_latents(batch, y_fake), y_fake, {}
        if x_real is None:
            raise KitError("real_latents encode the real batch: the generator step needs it.",
                           "call generator_step(batch, y_real, x_real=images).")
        z, y_fake, mask = self.real_latents.generator_inputs(self, x_real, y_real)
        return z, y_fake, ({} if mask is None else {"source_mask": mask})

    def generator_step(self, batch, y_real, x_real=None):
        """One generator update (Eq. 3, 9, 13 or 15, by objective; the augmentation paper's Eq. 5 with
        ``real_latents``)."""
        z, y_fake, extra = self.generator_inputs(batch, y_real, x_real)
        with tf.GradientTape() as tape:
            x_fake = self.generate(z, y_fake, training=True)
            scores = self.score(self.augment_images(x_fake), y_fake)  # the gradient flows through T
            loss = self.objective.generator_loss(scores, y_fake=y_fake, **extra)
            total = loss if self.gsr is None else loss + self.gsr_lambda * self.gsr.penalty()  # + lambda R_gSR
            scaled = scaled_loss(self.g_optimizer, total)
        grads = tape.gradient(scaled, self.generator_variables)
        apply_gradients(self.g_optimizer, grads, self.generator_variables)
        return loss

    def train_step(self, data):
        x_real, y_real = self._unpack(data)
        signs = []
        for _ in range(self.critic_steps):  # unrolled when traced: critic_steps is a Python int
            terms = self.critic_step(x_real, y_real)
            if self.adaptive:
                self.augmentation.observe(terms["ada_sign"])
                signs.append(terms["ada_sign"])
        terms["g_loss"] = self.generator_step(ops.shape(x_real)[0], y_real, x_real)
        if self.adaptive:  # r_t of this step's critic steps; p after this step's adjustment (if due)
            self.augmentation.end_step(self.critic_batch(ops.shape(x_real)[0])[0])
            terms["ada_rt"] = ops.mean(ops.stack(signs))
            terms["ada_p"] = ops.convert_to_tensor(self.augmentation.p)
        terms.update(self.long_tail_terms())
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])  # per-replica means; the trackers sum over replicas
        return self.step_logs(self.trackers.values())

    def long_tail_terms(self) -> dict:
        """After a step: ``gsr`` (R_gSR, unweighted), ``gsr_norm_c`` (per class, the mean over the cBN layers of
        sigma_max of the grouped gains) and ``alpha`` (the step's alpha_t); then the transition moves on a step."""
        terms = {}
        if self.gsr is not None:
            terms["gsr"] = self.gsr.penalty()
        if self.cbn_layers:
            norms = class_gain_norms(self.cbn_layers)
            terms.update({f"gsr_norm_{c}": norms[c] for c in range(self.n_classes)})
        if self.transition is not None:
            terms["alpha"] = tf.identity(self.transition.alpha.value)  # read now, before end_step assigns
            self.transition.end_step()
        return terms

    def call(self, inputs, training=False):
        """``trainer([z, labels])`` or ``trainer(z)``: the generator's images."""
        if self.labelled_networks:
            z, labels = inputs
            return self.generate(z, labels, training=training)
        return self.generate(inputs, None, training=training)
