"""Adversarial losses of the kit, written on logits / critic scores.

Every function takes the *raw* outputs of a discriminator (one unconstrained
real number per sample, as in the BAGAN-GP reference: the last layer is linear)
and returns a scalar mean over the batch. Equation numbers are those of the
BAGAN-GP paper (Huang & Jafari, "Enhanced balancing GAN", section 3.2.1).

Why logits and not probabilities
--------------------------------
The paper writes its losses with ``D(x)`` a probability. With a logit ``l`` and
``D(x) = sigmoid(l)`` the two cross-entropy terms become

* ``-log D(x)       = -log sigmoid(l)  = softplus(-l)``  (BCE against label 1),
* ``-log(1 - D(x))  = -log sigmoid(-l) = softplus(l)``   (BCE against label 0),

and ``softplus`` is evaluated stably for any ``l`` (no ``log(0)`` when the
discriminator is very confident). Every binary cross-entropy in this module goes
through the single helper :func:`bce_with_logits`.

All functions are written with ``keras.ops``, so they run eagerly, inside
``tf.function`` and under XLA (``jit_compile=True``). Half-precision logits
(mixed precision) are promoted to float32 before the loss; float32 and float64
inputs keep their dtype.

The gradient penalty (Eq. 7) lives in :mod:`bagan_lib.gan.penalties`; the caller adds
``lambda * penalty`` to the discriminator losses below (Eq. 8, 10, 12, 14).
"""

from __future__ import annotations

from typing import NamedTuple

import keras
from keras import ops

from bagan_lib.errors import KitError

__all__ = [
    "bce_with_logits",
    "gan_discriminator_loss",
    "gan_generator_loss_saturating",
    "gan_generator_loss_nonsaturating",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
    "ConditionalDiscriminatorTerms",
    "conditional_discriminator_loss",
    "conditional_generator_loss",
    "bagan_discriminator_loss",
    "bagan_generator_loss",
]

_HALF_PRECISION = ("float16", "bfloat16")


def _as_logits(x, name: str):
    """Tensor of floating logits; half precision is promoted to float32."""
    if x is None:
        raise KitError(
            f"`{name}` is None.",
            f"pass the discriminator's outputs (logits) for `{name}`.",
        )
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if "float" not in dtype:
        # Integer "logits" are almost always labels passed by mistake.
        raise KitError(
            f"`{name}` has dtype {dtype}, but losses take floating-point logits.",
            "pass the discriminator's raw (linear) outputs, not labels or probabilities "
            "cast to integers.",
        )
    if dtype in _HALF_PRECISION:
        x = ops.cast(x, "float32")
    return x


def bce_with_logits(logits, target: int):
    """Mean binary cross-entropy of ``sigmoid(logits)`` against a constant label.

    ``target=1``: ``mean(-log sigmoid(l)) = mean(softplus(-l))``;
    ``target=0``: ``mean(-log(1 - sigmoid(l))) = mean(softplus(l))``.

    ``softplus`` never takes the log of 0, so the result is finite for any finite
    logits (a very confident discriminator included). This is the only place the
    kit computes a binary cross-entropy.
    """
    if target not in (0, 1):
        raise KitError(
            f"`target` must be the integer 0 or 1, got {target!r}.",
            "use target=1 for 'real' and target=0 for 'fake' (or a wrong-label pair).",
        )
    logits = _as_logits(logits, "logits")
    signed = -logits if target == 1 else logits
    return ops.mean(ops.softplus(signed))


# --------------------------------------------------------------------------- #
# Minimax GAN (Goodfellow et al.; paper Eq. 1-3, 11)
# --------------------------------------------------------------------------- #
def gan_discriminator_loss(real_logits, fake_logits):
    """Discriminator loss of the original GAN, paper **Eq. 2** (on logits).

    ``L_D = -E_r[log D(x_r)] - E_g[log(1 - D(x_g))]
          = BCE(real_logits, 1) + BCE(fake_logits, 0)``.

    It is the negative of the value function ``V(D, G)`` of Eq. 1, which the
    discriminator maximises. At the optimal discriminator
    ``D* = p_r / (p_r + p_g)`` it equals ``log 4 - 2 JS(p_r || p_g)``.
    Adding ``lambda * gradient_penalty`` gives DRAGAN's Eq. 10.
    """
    return bce_with_logits(real_logits, 1) + bce_with_logits(fake_logits, 0)


def gan_generator_loss_saturating(fake_logits):
    """Generator loss in the original minimax form, paper **Eq. 1**.

    The generator minimises ``E_g[log(1 - D(G(z)))] = -BCE(fake_logits, 0)
    = -mean(softplus(fake_logits))``.

    Its gradient with respect to a logit ``l`` is ``-sigmoid(l) / B``: when the
    discriminator confidently rejects the fakes (``l`` very negative) the
    gradient vanishes and the generator stops learning ("saturation"). Kept for
    teaching; use :func:`gan_generator_loss_nonsaturating` to train.
    """
    return -bce_with_logits(fake_logits, 0)


def gan_generator_loss_nonsaturating(fake_logits):
    """Non-saturating generator loss, paper **Eq. 3** (= **Eq. 11**).

    ``L_G = -E_g[log D(G(z))] = BCE(fake_logits, 1) = mean(softplus(-l))``.

    Its gradient with respect to a logit is ``-sigmoid(-l) / B``, close to
    ``-1 / B`` exactly when the discriminator rejects the fakes confidently.
    """
    return bce_with_logits(fake_logits, 1)


# --------------------------------------------------------------------------- #
# Wasserstein GAN (paper Eq. 5-9)
# --------------------------------------------------------------------------- #
def wasserstein_critic_loss(real_scores, fake_scores):
    """WGAN critic loss to *minimise*: ``mean(fake) - mean(real)``.

    Sign convention: paper **Eq. 6** writes the quantity the critic *maximises*,
    ``W_D = E_r[D(x_r)] - E_g[D(x_g)]`` (the Kantorovich-Rubinstein estimate of
    the Wasserstein-1 distance, Eq. 5). Optimisers minimise, so this function
    returns its negative, ``E_g[D(x_g)] - E_r[D(x_r)]``. Add
    ``lambda * gradient_penalty`` to get the WGAN-GP critic loss of **Eq. 8**
    (the paper prints Eq. 8 with the sign of Eq. 6, the loss minimised in
    practice is this one plus the penalty). ``-wasserstein_critic_loss`` is the
    critic's current estimate of W1.

    The scores are unconstrained critic outputs (no sigmoid).
    """
    real_scores = _as_logits(real_scores, "real_scores")
    fake_scores = _as_logits(fake_scores, "fake_scores")
    return ops.mean(fake_scores) - ops.mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """WGAN generator loss, paper **Eq. 9**: ``-E_g[D(G(z))] = -mean(fake_scores)``."""
    fake_scores = _as_logits(fake_scores, "fake_scores")
    return -ops.mean(fake_scores)


# --------------------------------------------------------------------------- #
# Conditional BCE: cDRAGAN (Eq. 12-13) and BAGAN-GP (Eq. 14-15)
# --------------------------------------------------------------------------- #
class ConditionalDiscriminatorTerms(NamedTuple):
    """The terms of the conditional discriminator loss, each a scalar tensor.

    ``real``  = BCE(D(x_r, y_r), 1);
    ``fake``  = BCE(D(G(z, y_f), y_f), 0);
    ``wrong`` = BCE(D(x_r, y_wrong), 0), or 0 when no wrong-label logits were given;
    ``total`` = real + fake + wrong (the penalty is *not* included).

    A named tuple passes through ``tf.function`` unchanged; ``terms._asdict()``
    gives a dict for metric trackers.
    """

    real: object
    fake: object
    wrong: object
    total: object


def conditional_discriminator_loss(real_logits, fake_logits, wrong_logits=None):
    """Conditional discriminator loss: paper **Eq. 12** (cDRAGAN) or **Eq. 14** (BAGAN-GP).

    * ``real_logits``:  ``D(x_r, y_r)``, real images with their own labels -> target 1.
    * ``fake_logits``:  ``D(G(z, y), y)``, generated images with the labels they were
      generated for -> target 0. In Eq. 12 (BAGAN-GP "v1") ``y`` is the batch's real
      labels; in Eq. 14 it is ``y_f``, drawn uniformly over the classes.
    * ``wrong_logits``: ``D(x_r, y_wrong)``, real images paired with uniformly drawn
      labels -> target 0 (Eq. 14's extra term). ``None`` gives Eq. 12: the ``wrong``
      term is 0.

    Returns :class:`ConditionalDiscriminatorTerms` (``real``, ``fake``, ``wrong``,
    ``total``). The gradient-penalty term of Eq. 12/14 is added by the caller:
    ``terms.total + lambda * gradient_penalty(...)``.

    Note that the reference draws ``y_wrong`` uniformly, so it can coincide with the
    true label; this function only computes the loss and does not check that.
    """
    real = bce_with_logits(real_logits, 1)
    fake = bce_with_logits(fake_logits, 0)
    if wrong_logits is None:
        wrong = ops.zeros((), dtype=real.dtype)
    else:
        wrong = bce_with_logits(wrong_logits, 0)
        wrong = ops.cast(wrong, real.dtype)
    fake = ops.cast(fake, real.dtype)
    return ConditionalDiscriminatorTerms(real=real, fake=fake, wrong=wrong, total=real + fake + wrong)


def conditional_generator_loss(fake_logits):
    """Conditional generator loss, paper **Eq. 13** / **Eq. 15**.

    ``-E[log D(G(z, y), y)] = BCE(fake_logits, 1)``: the non-saturating loss on the
    discriminator's logits for generated images paired with the labels they were
    generated for (``y_r`` in Eq. 13, balanced ``y_f`` in Eq. 15).
    """
    return bce_with_logits(fake_logits, 1)


def _sparse_ce(logits, labels):
    logits = _as_logits(logits, "logits")
    return ops.mean(ops.sparse_categorical_crossentropy(ops.cast(labels, "int32"), logits, from_logits=True))


def bagan_discriminator_loss(real_logits, fake_logits, real_labels):
    """BAGAN's discriminator loss (BAGAN paper, section 3; tagged (B1) in notebook 04).

    The discriminator is an ``(n + 1)``-way classifier: class ``c < n`` is "a real
    image of class c", class ``n`` is "fake". With softmax cross-entropy ``CE``

        L_D = E_{(x_r, y_r)}[CE(D(x_r), y_r)] + E_{x_g}[CE(D(x_g), n)]            (B1)

    Returns ``(real, fake)``: the two means; their sum is L_D. ``n`` is read off the
    logits' last axis (``n + 1`` entries).
    """
    n_fake_class = ops.shape(fake_logits)[-1] - 1
    fake_labels = ops.full((ops.shape(fake_logits)[0],), n_fake_class, dtype="int32")
    return _sparse_ce(real_logits, real_labels), _sparse_ce(fake_logits, fake_labels)


def bagan_generator_loss(fake_logits, fake_labels):
    """BAGAN's generator loss (tagged (B2) in notebook 04): fakes conditioned on class ``c`` should be
    classified as a real image of class ``c``: ``L_G = E_{(z, c)}[CE(D(G(z_c)), c)]``."""
    return _sparse_ce(fake_logits, fake_labels)


def acgan_split(outputs):
    """AC-GAN's discriminator outputs ``(B, 1 + n)``: the source logit (column 0) and the n class logits."""
    outputs = _as_logits(outputs, "outputs")
    return outputs[:, :1], outputs[:, 1:]


def acgan_discriminator_loss(real_outputs, fake_outputs, real_labels, fake_labels):
    """AC-GAN's discriminator loss (Odena et al. 2017, Eq. 2-3; tagged (A1) in notebook 09).

    The discriminator maximises ``L_S + L_C``: the log-likelihood of the right
    source (real or fake) and of the right class, on real *and* generated images.
    As a loss to minimise, with ``s`` the source logit and ``c`` the class logits:

        L_D = BCE(s_real, 1) + BCE(s_fake, 0) + CE(c_real, y_r) + CE(c_fake, y_f)     (A1)

    Returns ``(real, fake, aux)``: the two source terms and the class term (both classes' CE).
    """
    s_real, c_real = acgan_split(real_outputs)
    s_fake, c_fake = acgan_split(fake_outputs)
    aux = _sparse_ce(c_real, real_labels) + _sparse_ce(c_fake, fake_labels)
    return bce_with_logits(s_real, 1), bce_with_logits(s_fake, 0), aux


def acgan_generator_loss(fake_outputs, fake_labels, source_mask=None):
    """AC-GAN's generator loss (A2): ``BCE(s_fake, 1) + CE(c_fake, y_f)``: look real, and look like class y_f.

    ``source_mask`` (one 0/1 per image) is the augmentation paper's Eq. 5,
    ``L_C - L_S * 1(S = fake)``, for a batch generated partly from the ALI
    encoder's latents of real images (mask 0) and partly from noise (mask 1):

        L_G = mean_i [ m_i * BCE(s_i, 1) ] + mean_i CE(c_i, y_i)                 (Eq. 5)

    the source term averaged over the whole batch (the indicator inside the
    expectation), so an image made from a real latent adds only its class term.
    ``None``: every image has the source term (the unmasked objective, A2).
    """
    s_fake, c_fake = acgan_split(fake_outputs)
    if source_mask is None:
        return bce_with_logits(s_fake, 1) + _sparse_ce(c_fake, fake_labels)
    mask = ops.reshape(ops.cast(source_mask, "float32"), (-1,))
    source = ops.mean(mask * ops.softplus(-ops.reshape(ops.cast(s_fake, "float32"), (-1,))))  # BCE(s, 1) per image
    return source + _sparse_ce(c_fake, fake_labels)
