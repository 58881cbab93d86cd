"""The gradient penalty (paper Eq. 7) and the points where it is applied.

Equation numbers are those of the BAGAN-GP paper (section 3.2.1).

``GP = E_{x_hat}[(||grad_{x_hat} D(x_hat)||_2 - 1)^2]``            (Eq. 7)

is added, times ``lambda`` (10 in the papers), to the discriminator loss of
WGAN-GP (Eq. 8), DRAGAN (Eq. 10), cDRAGAN (Eq. 12) and BAGAN-GP (Eq. 14). The
kit's penalty differs between these models only in *where* ``x_hat`` is drawn:

* ``interpolation="model"`` (WGAN-GP, BAGAN-GP; Eq. 8):
  ``x_hat = alpha * x_r + (1 - alpha) * x_g`` with one ``alpha ~ U(0, 1)`` per
  sample, i.e. a uniformly random point on the segment from each fake image to
  the real image it is paired with.
* ``interpolation="noise"`` (DRAGAN; Eq. 10): a perturbed real image
  ``x_noise = x_r + 0.5 * std(x_r) * u`` with ``u ~ U(0, 1)`` elementwise and
  ``std`` taken over the whole real batch tensor (as in the DRAGAN paper and the
  BAGAN-GP reference), then ``x_hat = x_r + alpha * (x_noise - x_r)``.
  The perturbation is one-sided (``u >= 0``), exactly as in those sources.

``alpha="normal"`` reproduces the BAGAN-GP reference implementation, which draws
``alpha ~ N(0, 1)`` (a bug it copied from the 2020 keras-io WGAN-GP example,
fixed there later): most of its "interpolates" lie *outside* the segment between
real and fake. It is kept as a named option so a notebook can show the
difference; the default follows the paper.

Random numbers
--------------
All draws go through ``keras.random``. ``seed`` may be

* a ``keras.random.SeedGenerator`` (recommended inside a trainer's
  ``train_step``: it is a variable, so each call - eager, ``tf.function`` or
  XLA - draws new numbers, and two generators created with the same seed give the
  same sequence in the same execution mode, see below). Under a ``tf.distribute`` strategy create it inside
  ``strategy.scope()``; every replica then draws the *same* alphas (for its own,
  different, samples);
* an ``int``: a *stateless*, fixed draw - every call with the same seed and batch
  shape returns the same alphas (good for figures and tests, wrong for training);
* ``None``: Keras' global seed generator, so unseeded draws still vary from call
  to call inside ``tf.function``. Not allowed under a ``tf.distribute`` strategy
  (Keras keeps that generator per thread and MirroredStrategy runs each replica
  in a thread of its own): pass a ``SeedGenerator`` there.

Reproducibility holds within one execution mode: eagerly and in a plain
``tf.function`` a seed gives the same numbers, but under XLA (``jit_compile=True``)
TensorFlow's stateless random kernels are compiled differently and the same seed
gives *other* (equally uniform) numbers. To compare a compiled penalty with an
eager one, re-evaluate it at the compiled interpolates with
:func:`gradient_penalty_at`.

Gradients need the TensorFlow backend (``tf.GradientTape``); the functions run
eagerly, inside ``tf.function``, with ``jit_compile=True`` and inside
``strategy.run`` of a ``MirroredStrategy`` (eagerly or in ``tf.function``; on
*logical* CPU devices TensorFlow cannot combine MirroredStrategy with XLA for any
model, a limitation of TensorFlow and not of the penalty).
"""

from __future__ import annotations

import numbers

import keras
import tensorflow as tf

from bagan_lib.errors import KitError

__all__ = ["sample_alpha", "interpolates", "gradient_penalty", "gradient_penalty_at", "INTERPOLATIONS", "ALPHAS"]

INTERPOLATIONS = ("model", "noise")
ALPHAS = ("uniform", "normal")

# Default epsilon inside the square root of the gradient norm (see gradient_penalty).
DEFAULT_EPS = 1e-12


# --------------------------------------------------------------------------- #
# argument checks
# --------------------------------------------------------------------------- #
def _check_backend():
    if keras.backend.backend() != "tensorflow":
        raise KitError(
            f"The gradient penalty needs the TensorFlow backend, but Keras runs on "
            f"'{keras.backend.backend()}'.",
            "set KERAS_BACKEND=tensorflow before importing keras (bagan_lib.notebook_setup does this).",
        )


def _check_choice(value, allowed, name):
    if not isinstance(value, str) or value not in allowed:
        raise KitError(
            f"`{name}` must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}.",
            f"pass {name}={allowed[0]!r} to follow the paper"
            + (" or alpha='normal' for the reference implementation's N(0, 1) draw." if name == "alpha" else "."),
        )


def _check_seed(seed):
    """Return a seed keras.random accepts (None, python int or SeedGenerator)."""
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        if seed is None and tf.distribute.has_strategy():
            raise KitError(
                "An unseeded draw (seed=None) cannot run under a tf.distribute strategy: Keras keeps its "
                "global seed generator per thread, and MirroredStrategy runs each replica in its own thread.",
                "create `keras.random.SeedGenerator(seed)` inside `strategy.scope()` and pass it as `seed=`.",
            )
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return int(seed)
    raise KitError(
        f"`seed` must be None, an int or a keras.random.SeedGenerator, got {type(seed).__name__}.",
        "pass a keras.random.SeedGenerator (recommended in a train_step), an int for a fixed draw, "
        "or None.",
    )


def _derived_seed(seed):
    """A second stateless seed for the DRAGAN noise, decorrelated from ``seed``.

    With an int seed both draws would otherwise use the same Philox key, and the
    first noise values would repeat the alphas. SeedGenerators and ``None`` advance
    their state between draws and need no such care.
    """
    if isinstance(seed, int):
        return (seed * 0x9E3779B1 + 0x7F4A7C15) % (2**31 - 1)
    return seed


def _check_critic(critic, eps):
    """Check the backend, the critic and eps; return eps as a float."""
    _check_backend()
    if not callable(critic):
        raise KitError(
            f"`critic` must be a Keras model or a callable, got {type(critic).__name__}.",
            "pass the discriminator model itself.",
        )
    eps = float(eps)
    if eps < 0:
        raise KitError(f"`eps` must be >= 0, got {eps}.", "use the default 1e-12.")
    return eps


def _as_images(x, name):
    if x is None:
        raise KitError(f"`{name}` is None.", f"pass a batch of images (or vectors) as `{name}`.")
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise KitError(
            f"`{name}` has dtype {x.dtype.name}; the penalty needs floating-point inputs.",
            "scale the images to floats first, e.g. (x - 127.5) / 127.5.",
        )
    if x.shape.rank is None or x.shape.rank < 2:
        raise KitError(
            f"`{name}` must be a batch with a leading batch axis (rank >= 2), got shape {x.shape}.",
            "pass images as (batch, height, width, channels) or vectors as (batch, features).",
        )
    return x


# --------------------------------------------------------------------------- #
# public functions
# --------------------------------------------------------------------------- #
def sample_alpha(real, *, alpha="uniform", seed=None):
    """Draw one mixing coefficient per sample, shaped to broadcast against ``real``.

    Returns a tensor of shape ``(B, 1, ..., 1)`` (same rank and dtype as ``real``):
    ``(B, 1, 1, 1)`` for images, ``(B, 1)`` for vectors. A single alpha per sample
    means each interpolate lies on the segment between *its* real and fake, with the
    same weight for all of its pixels (Eq. 8).

    ``alpha="uniform"``: ``U(0, 1)``, values in ``[0, 1)`` (the paper, Eq. 8 / 10).
    ``alpha="normal"``: ``N(0, 1)``, the BAGAN-GP reference's draw, which is not
    confined to ``[0, 1)`` - a documented departure from the paper.
    """
    _check_choice(alpha, ALPHAS, "alpha")
    seed = _check_seed(seed)
    real = _as_images(real, "real")
    shape = (tf.shape(real)[0],) + (1,) * (real.shape.rank - 1)
    if alpha == "uniform":
        return keras.random.uniform(shape, minval=0.0, maxval=1.0, dtype=real.dtype, seed=seed)
    return keras.random.normal(shape, mean=0.0, stddev=1.0, dtype=real.dtype, seed=seed)


def interpolates(real, fake=None, *, interpolation="model", alpha="uniform", seed=None):
    """The points ``x_hat`` where the gradient penalty is evaluated.

    ``interpolation="model"`` (Eq. 8): ``x_hat = alpha * real + (1 - alpha) * fake``,
    one ``alpha`` per sample; ``real`` and ``fake`` must have the same shape.

    ``interpolation="noise"`` (DRAGAN, Eq. 10): ``x_noise = real + 0.5 * std(real) * u``
    with ``u ~ U(0, 1)`` elementwise and ``std`` over the whole ``real`` tensor, then
    ``x_hat = real + alpha * (x_noise - real)``. ``fake`` is ignored (may be None).
    With ``alpha`` in ``[0, 1)`` every element satisfies
    ``0 <= x_hat - real < 0.5 * std(real)``.

    The result is wrapped in ``tf.stop_gradient``: an interpolate is a sample point
    of the penalty, no gradient flows back through it into ``real`` or ``fake``
    (and so not into the generator). Draw order: alpha first, then the DRAGAN noise.
    See the module docstring for ``seed``.
    """
    _check_choice(interpolation, INTERPOLATIONS, "interpolation")
    _check_choice(alpha, ALPHAS, "alpha")
    seed = _check_seed(seed)
    real = _as_images(real, "real")

    if interpolation == "model":
        if fake is None:
            raise KitError(
                "interpolation='model' needs `fake` images to interpolate towards, got fake=None.",
                "pass the generator's images as `fake`, or use interpolation='noise' (DRAGAN).",
            )
        fake = _as_images(fake, "fake")
        if fake.dtype != real.dtype:
            fake = tf.cast(fake, real.dtype)
        if not real.shape.is_compatible_with(fake.shape):
            raise KitError(
                f"`real` has shape {real.shape} but `fake` has shape {fake.shape}.",
                "pair every real image with one fake image of the same size (same batch size too).",
            )
        a = sample_alpha(real, alpha=alpha, seed=seed)
        x_hat = a * real + (1.0 - a) * fake
    else:
        a = sample_alpha(real, alpha=alpha, seed=seed)
        u = keras.random.uniform(tf.shape(real), minval=0.0, maxval=1.0, dtype=real.dtype, seed=_derived_seed(seed))
        x_noise = real + 0.5 * tf.math.reduce_std(real) * u
        x_hat = real + a * (x_noise - real)
    return tf.stop_gradient(x_hat)


def gradient_penalty(
    critic,
    real,
    fake=None,
    *,
    labels=None,
    interpolation="model",
    alpha="uniform",
    seed=None,
    return_norms=False,
    eps=DEFAULT_EPS,
    training=True,
):
    """Gradient penalty ``mean((||grad_x D(x_hat)||_2 - 1)^2)``, paper **Eq. 7**.

    Used with ``lambda`` in Eq. 8 (WGAN-GP), 10 (DRAGAN), 12 (cDRAGAN) and 14
    (BAGAN-GP): ``loss_D = ... + lambda * gradient_penalty(...)``.

    Parameters
    ----------
    critic:
        A Keras model (or callable). Called as ``critic(x_hat)`` when ``labels`` is
        None and as ``critic([x_hat, labels])`` otherwise, with ``training=training``
        (pass ``training=None`` for a plain callable that takes no such argument).
        It must return one score per sample, ``(B,)`` or ``(B, 1)``, and treat
        samples independently (no BatchNorm in the critic - the per-sample gradients
        are taken from the gradient of the summed scores).
    real, fake:
        Batches of the same shape, ``(B, H, W, C)`` or ``(B, D)``. ``fake`` is unused
        (may be None) with ``interpolation="noise"``.
    labels:
        Integer class ids for a conditional critic. The gradient is taken with respect
        to the image input only: the labels go through an embedding, and there is no
        gradient with respect to an integer. Eq. 12 and 14 write
        ``grad_{(x_hat, y_r)}``; in practice (and in the reference) it is
        ``grad_{x_hat}`` with ``y_r`` held fixed. BAGAN-GP evaluates the penalty with
        the *real* labels.
    interpolation, alpha, seed:
        Where the penalty is applied, see :func:`interpolates` and the module docstring.
    return_norms:
        If True, return ``(penalty, norms)`` with ``norms`` the per-sample gradient
        norms, shape ``(B,)`` - handy to plot their distribution.
    eps:
        The norm is ``sqrt(sum(g ** 2) + eps)``. The derivative of ``sqrt`` at 0 is
        infinite, so without ``eps`` a critic whose input gradient is exactly zero
        (e.g. a constant critic, or one saturated at the start of training) gives
        ``0 / 0 = NaN`` in the gradient of the penalty with respect to the critic's
        weights, and one NaN destroys the weights. ``1e-12`` changes the norm by at
        most ``1e-6``. ``eps=0`` reproduces the reference's NaN (for teaching).
    training:
        Passed to the critic call (default True, as in the training step).

    Returns
    -------
    A scalar tensor (float32, or float64 for float64 inputs), or ``(penalty, norms)``.

    The penalty is differentiable with respect to the critic's weights (it is a
    gradient of a gradient): compute it inside the tape that computes the
    discriminator's update.
    """
    _check_critic(critic, eps)  # before any random draw, so a bad call fails early
    x_hat = interpolates(real, fake, interpolation=interpolation, alpha=alpha, seed=seed)
    return gradient_penalty_at(critic, x_hat, labels=labels, return_norms=return_norms, eps=eps, training=training)


def gradient_penalty_at(critic, x_hat, *, labels=None, return_norms=False, eps=DEFAULT_EPS, training=True):
    """Eq. 7 at given points: ``mean((||grad_x D(x_hat)||_2 - 1)^2)`` over the batch ``x_hat``.

    The core of :func:`gradient_penalty`, which calls it on :func:`interpolates`.
    Useful on its own to evaluate the penalty at chosen points (a notebook figure), or
    to re-evaluate it at the interpolates a compiled function drew. ``critic``,
    ``labels``, ``return_norms``, ``eps`` and ``training`` as in
    :func:`gradient_penalty`. ``x_hat`` is treated as a constant sample point.
    """
    eps = _check_critic(critic, eps)
    x_hat = tf.stop_gradient(_as_images(x_hat, "x_hat"))
    if labels is not None:
        labels = tf.convert_to_tensor(labels)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        inputs = x_hat if labels is None else [x_hat, labels]
        scores = critic(inputs) if training is None else critic(inputs, training=training)
    if isinstance(scores, (list, tuple, dict)):
        raise KitError(
            "The critic returned several outputs; the penalty needs one score per sample.",
            "pass a critic with a single (B, 1) output (wrap a multi-output model).",
        )
    if scores.shape.rank is not None and scores.shape.rank >= 2 and scores.shape[1:].num_elements() not in (None, 1):
        raise KitError(
            f"The critic returned shape {scores.shape}; the penalty needs one score per sample.",
            "end the critic with Dense(1) (one unconstrained logit per image).",
        )
    grads = tape.gradient(scores, x_hat)
    if grads is None:
        raise KitError(
            "The critic's output does not depend on its image input, so there is no gradient to penalise.",
            "check that the critic uses the image input (for a conditional critic, inputs [image, label]).",
        )

    if grads.dtype in (tf.float16, tf.bfloat16):
        grads = tf.cast(grads, tf.float32)
    axes = list(range(1, grads.shape.rank))
    norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + tf.cast(eps, grads.dtype))
    penalty = tf.reduce_mean(tf.square(norms - 1.0))
    if return_norms:
        return penalty, norms
    return penalty
