"""Augmenting what the critic sees: DiffAugment and adaptive discriminator augmentation (ADA).

A critic trained on 8 to 73 images of a tail class memorises them: its scores on
those reals run away from its scores on everything else, and the generator is
left with no useful gradient. Both methods below show the critic *transformed*
images, real and generated alike, so memorising the few reals no longer pays:

* **DiffAugment** (Zhao, Liu, Lin, Zhu and Han, "Differentiable Augmentation for
  Data-Efficient GAN Training", NeurIPS 2020): every image the critic scores,
  in the critic's step and in the generator's, goes through the same random
  transforms ``T``; ``T`` is differentiable, so the generator learns through it
  (the paper's Eq. 2-3: ``L_D = f(D(T(x))) + h(D(T(G(z))))``,
  ``L_G = g(D(T(G(z))))``). Applying ``T`` to reals only would teach the
  generator to produce augmented images; applying it to both means the critic
  compares the two distributions through the same lens.
* **ADA** (Karras, Aittala, Hellsten, Laine, Lehtinen and Aila, "Training
  Generative Adversarial Networks with Limited Data", NeurIPS 2020): each
  transform is applied to each image with probability ``p`` only, and ``p`` is
  steered by an overfitting heuristic (the paper's section 3, Eq. for ``r_t``)::

      r_t = E[sign(D_train)]   (D's logits on the real images it trains on)
      every N steps:  p <- clip(p + sign(r_t - target) * (B * N) / S, 0, 1)

  ``r_t = 1`` means the critic calls every real "real" with confidence: it is
  overfitting, and ``p`` rises; ``r_t`` below the target (0.6 in the paper) lowers
  ``p``. With ``p < 1`` some images are shown unchanged, so the critic still sees
  the true distribution and the augmentation does not "leak" into the generator.

The transforms are DiffAugment's three, on batches of images in [-1, 1]
(``(B, H, W, C)``), each image with its own parameters:

=============  =========================================================================
"color"        brightness ``x + b``, ``b ~ U(-0.5, 0.5)``; saturation
               ``m_c + s (x - m_c)``, ``s ~ U(0, 2)``, ``m_c`` the pixel's mean over the
               channels (the identity for grey images); contrast ``m + c (x - m)``,
               ``c ~ U(0.5, 1.5)``, ``m`` the image's mean. In this order.
"translation"  shift by ``(dy, dx)``, each a whole number of pixels uniform in
               ``[-r, r]``, ``r = round(size / 8)``; pixels shifted in are 0 (zero
               padding): ``out[i, j] = x[i - dy, j - dx]``, 0 outside the image.
"cutout"       a square of side ``s = round(size / 2)`` set to 0; its top row
               ``t ~ U{-floor(s/2), ..., H - ceil(s/2)}`` (and its left column
               likewise), so at least half of each side lies inside the image,
               as in DiffAugment's code; the square is cut at the border.
=============  =========================================================================

ADA applies these same five elementary transforms (brightness, saturation,
contrast, translation, cutout), each independently with probability ``p`` per
image; at ``p = 0`` the output *is* the input (``where(applied, T(x), x)``, so the
values and the gradients are exactly those without augmentation).

**The speed constant.** ``S`` is how many real images it takes ``p`` to go from
0 to 1 at the fastest. ADA's 500k images is about 2 % of its 25M-image runs.
The kit's runs are far shorter: a ``teach`` run on synthetic_cells shows the
critic 20 epochs x 31 steps x 64 = 40k real images, so with 500k ``p`` could
never exceed 0.08. The default here, :data:`ADA_IMAGES` = 10k, lets ``p`` cross
[0, 1] in a quarter of a teach run (5 epochs), while one adjustment (``B = 64``,
``N = 4``) still moves ``p`` by only 0.026. (A ``paper`` run sees 680k images;
pass ``ada_images=500_000`` to the trainer for ADA's own speed there.)

Random numbers: the augmentation owns a ``keras.random.SeedGenerator`` (seeded
from the trainer's seed and saved in its checkpoints), separate from the trainer's
stream of labels, noise and penalty points. So turning augmentation on does not
change any other draw (a run with and without augmentation sees the same noise),
and ADA at ``p = 0`` reproduces the un-augmented run bit for bit. Under several
replicas each replica draws the global batch's parameters and keeps its rows
(:func:`bagan_lib.gan.optimizer_step.replica_draw`), and ``r_t`` is the global mean.

How the trainer uses it (:class:`bagan_lib.gan.trainer.AdversarialTrainer`,
``augment=``): see its module docstring (which images, the penalty's
interpolates, the wrong-label term).
"""

from __future__ import annotations

import keras
import tensorflow as tf  # the replicas' all-reduce of r_t
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan.optimizer_step import replica_draw, replica_position

POLICIES = ("diffaugment", "ada")
TRANSFORMS = ("brightness", "saturation", "contrast", "translation", "cutout")  # in the order they are applied
TRANSLATION_RATIO = 1 / 8   # the largest shift, as a share of the image side (DiffAugment)
CUTOUT_RATIO = 1 / 2        # the cut-out square's side, as a share of the image side (DiffAugment)
ADA_TARGET = 0.6            # ADA's target for r_t (the paper's section 3)
ADA_INTERVAL = 4            # ADA adjusts p every 4 steps
ADA_IMAGES = 10_000         # S: real images for p to go 0 -> 1 (ADA: 500k; see the module docstring)


def _per_image(values, images):
    """``values`` (B,) shaped (B, 1, 1, 1) in the images' dtype, to broadcast over an image."""
    return ops.reshape(ops.cast(values, images.dtype), (-1, 1, 1, 1))


def brightness(images, shift):
    """``x + b``: each image plus its own constant ``shift[i]``."""
    return images + _per_image(shift, images)


def saturation(images, factor):
    """``m_c + s (x - m_c)``, ``m_c`` each pixel's mean over the channels: ``s = 0`` greys, ``s = 1`` keeps."""
    mean = ops.mean(images, axis=-1, keepdims=True)
    return mean + _per_image(factor, images) * (images - mean)


def contrast(images, factor):
    """``m + c (x - m)``, ``m`` the image's mean over pixels and channels."""
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return mean + _per_image(factor, images) * (images - mean)


def translate(images, dy, dx):
    """``out[b, i, j] = x[b, i - dy[b], j - dx[b]]``, 0 where that falls outside the image (zero padding).

    A gather: linear in the images, its Jacobian a 0/1 matrix, and its gradient the
    upstream gradient shifted back.
    """
    height, width = images.shape[1], images.shape[2]
    rows = ops.arange(height, dtype="int32")[None, :] - ops.cast(dy, "int32")[:, None]   # (B, H): source rows
    cols = ops.arange(width, dtype="int32")[None, :] - ops.cast(dx, "int32")[:, None]    # (B, W): source columns
    inside_rows = ops.logical_and(rows >= 0, rows < height)
    inside_cols = ops.logical_and(cols >= 0, cols < width)
    out = ops.take_along_axis(images, ops.clip(rows, 0, height - 1)[:, :, None, None], axis=1)
    out = ops.take_along_axis(out, ops.clip(cols, 0, width - 1)[:, None, :, None], axis=2)
    inside = ops.logical_and(inside_rows[:, :, None, None], inside_cols[:, None, :, None])
    return ops.where(inside, out, ops.zeros_like(out))


def cutout_mask(images, top, left, size: int):
    """1 everywhere except the square of side ``size`` from ``(top[b], left[b])`` (cut at the border): 0."""
    height, width = images.shape[1], images.shape[2]
    rows = ops.arange(height, dtype="int32")[None, :]
    cols = ops.arange(width, dtype="int32")[None, :]
    top, left = ops.cast(top, "int32")[:, None], ops.cast(left, "int32")[:, None]
    in_rows = ops.logical_and(rows >= top, rows < top + size)                   # (B, H)
    in_cols = ops.logical_and(cols >= left, cols < left + size)                 # (B, W)
    cut = ops.logical_and(in_rows[:, :, None, None], in_cols[:, None, :, None])  # (B, H, W, 1)
    return ops.cast(ops.logical_not(cut), images.dtype)


def cutout(images, top, left, size: int):
    """``x`` with the square of side ``size`` from ``(top[b], left[b])`` set to 0."""
    return images * cutout_mask(images, top, left, size)


def translation_range(side: int) -> int:
    """The largest shift ``r = round(side / 8)`` (half up, as DiffAugment's ``int(side * 0.125 + 0.5)``)."""
    return int(side * TRANSLATION_RATIO + 0.5)


def cutout_size(side: int) -> int:
    """The cut-out square's side ``round(side / 2)`` (half up)."""
    return int(side * CUTOUT_RATIO + 0.5)


def apply_transforms(images, parameters: dict):
    """The policy's transforms with drawn ``parameters`` (:meth:`Augmentation.draw`): color, translation, cutout.

    With ``parameters["applied"]`` (ADA), transform ``t`` changes image ``b`` only where
    ``applied[t][b]``; elsewhere the image passes through unchanged (exactly).
    """
    applied = parameters.get("applied")

    def step(x, name, transform):
        y = transform(x)
        return y if applied is None else ops.where(ops.reshape(applied[name], (-1, 1, 1, 1)), y, x)

    x = step(images, "brightness", lambda x: brightness(x, parameters["brightness"]))
    x = step(x, "saturation", lambda x: saturation(x, parameters["saturation"]))
    x = step(x, "contrast", lambda x: contrast(x, parameters["contrast"]))
    x = step(x, "translation", lambda x: translate(x, *parameters["translation"]))
    return step(x, "cutout", lambda x: cutout(x, *parameters["cutout"], parameters["cutout_size"]))


class Augmentation:
    """The critic's augmentation: ``policy`` ``"diffaugment"`` (always) or ``"ada"`` (each transform with
    probability ``p``, adjusted from ``r_t``); see the module docstring.

    ``augmentation(images)`` draws each image's parameters and transforms it
    (differentiable in the images). For ADA, the trainer reports each critic
    step's mean sign of the real logits (:meth:`observe`) and the end of each
    training step (:meth:`end_step`); ``p`` and the sums since the last adjustment
    are non-trainable variables, saved with the trainer (:attr:`variables`), so a
    resumed run keeps them.
    """

    def __init__(self, policy: str, *, seed: int | None = None, ada_target: float = ADA_TARGET,
                 ada_interval: int = ADA_INTERVAL, ada_images: float = ADA_IMAGES):
        if policy not in POLICIES:
            raise KitError(f"augment={policy!r} is not an augmentation.",
                           f"use one of {', '.join(repr(p) for p in POLICIES)}, or augment=None (none).")
        if not (0 <= ada_target <= 1) or not isinstance(ada_interval, int) or ada_interval < 1 or not ada_images > 0:
            raise KitError(f"ada_target={ada_target!r}, ada_interval={ada_interval!r}, ada_images={ada_images!r}: "
                           "need a target in [0, 1], a whole number of steps >= 1 and a positive number of images.",
                           f"use ADA's target {ADA_TARGET}, interval {ADA_INTERVAL} and e.g. {ADA_IMAGES} images.")
        self.policy, self.adaptive = policy, policy == "ada"
        self.target, self.interval, self.speed_images = float(ada_target), ada_interval, float(ada_images)
        self.seed_generator = keras.random.SeedGenerator(seed, name="augment_seed_generator")
        self.state = []
        if self.adaptive:
            def variable(name):  # replicas assign equal (all-reduced) values: keep the first's
                return keras.Variable(0.0, dtype="float32", trainable=False, aggregation="only_first_replica",
                                      name=name)

            self.p = variable("ada_p")
            self.sign_sum = variable("ada_sign_sum")    # sum of the critic steps' mean sign of the real logits
            self.sign_steps = variable("ada_sign_steps")  # critic steps in that sum
            self.images = variable("ada_images")        # real images shown since the last adjustment
            self.steps = variable("ada_steps")          # training steps since the last adjustment
            self.state = [self.p, self.sign_sum, self.sign_steps, self.images, self.steps]

    @property
    def variables(self) -> list:
        """What a checkpoint holds: the seed state, and ADA's ``p`` and sums."""
        return [self.seed_generator.state] + self.state

    def uniform(self, n, low, high):
        """``n`` numbers uniform in ``[low, high)`` (this replica's rows of the global batch's draw)."""
        return replica_draw(lambda s: keras.random.uniform(s, low, high, seed=self.seed_generator), n)

    def integers(self, n, low, high):
        """``n`` whole numbers uniform in ``[low, high]`` (both included)."""
        return replica_draw(
            lambda s: keras.random.randint(s, low, high + 1, seed=self.seed_generator, dtype="int32"), n)

    def draw(self, images) -> dict:
        """Each image's parameters (see the module docstring), drawn in a fixed order; ADA also draws, per
        transform and image, whether it is applied (``u < p``, ``u ~ U(0, 1)``: never at p = 0)."""
        n, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
        if height is None or width is None:
            raise KitError("The augmentation needs images of a known size.", "pass (B, H, W, C) image batches.")
        ry, rx = translation_range(height), translation_range(width)
        size = cutout_size(height)
        if cutout_size(width) != size:
            raise KitError(f"Cutout cuts a square, but the images are {height} x {width}.", "use square images.")
        low = -(size // 2)  # the corner's first value; its last leaves half the side (rounded up) inside
        parameters = {"brightness": self.uniform(n, -0.5, 0.5), "saturation": self.uniform(n, 0.0, 2.0),
                      "contrast": self.uniform(n, 0.5, 1.5),
                      "translation": (self.integers(n, -ry, ry), self.integers(n, -rx, rx)),
                      "cutout": (self.integers(n, low, height - (size - size // 2)),
                                 self.integers(n, low, width - (size - size // 2))),
                      "cutout_size": size}
        if self.adaptive:
            p = ops.convert_to_tensor(self.p)
            parameters["applied"] = {name: self.uniform(n, 0.0, 1.0) < p for name in TRANSFORMS}
        return parameters

    def __call__(self, images):
        """``T(images)``: each image transformed with its own draw."""
        images = ops.convert_to_tensor(images)
        return apply_transforms(images, self.draw(images))

    # -- ADA's controller ---------------------------------------------------------------------
    def observe(self, mean_sign) -> None:
        """Add one critic step's ``mean(sign(D(x_real)))`` (this replica's; the global mean is taken here)."""
        replicas, _ = replica_position()
        if replicas > 1:
            mean_sign = tf.distribute.get_replica_context().all_reduce("sum", mean_sign) / replicas
        self.sign_sum.assign_add(ops.cast(mean_sign, "float32"))
        self.sign_steps.assign_add(1.0)

    def end_step(self, real_images) -> None:
        """After a training step that showed ``real_images`` real images (this replica's): every ``interval``
        steps, ``p <- clip(p + sign(r_t - target) * images / S, 0, 1)`` and the sums start again."""
        replicas, _ = replica_position()
        self.images.assign_add(ops.cast(real_images, "float32") * replicas)
        self.steps.assign_add(1.0)
        due = self.steps >= self.interval
        moved = ops.clip(self.p + ops.sign(self.r_t() - self.target) * self.images / self.speed_images, 0.0, 1.0)
        self.p.assign(ops.where(due, moved, self.p))
        for total in (self.sign_sum, self.sign_steps, self.images, self.steps):
            total.assign(ops.where(due, 0.0, total))

    def r_t(self):
        """The mean sign of the real logits since the last adjustment (0 before any critic step)."""
        return self.sign_sum / ops.maximum(self.sign_steps, 1.0)
