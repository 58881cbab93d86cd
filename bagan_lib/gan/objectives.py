"""Adversarial objectives: the part of a GAN that differs from model to model.

An :class:`Objective` says how the critic's outputs on real, fake and
(optionally) wrong-label images become named loss terms, and how the critic's
output on fakes becomes the generator's loss. The trainer
(:class:`bagan_lib.gan.trainer.AdversarialTrainer`) sums the terms, adds the
gradient penalty, and tracks every term as a metric.

=====================  ===========================================  ==================
name                   critic terms (summed)                        generator loss
=====================  ===========================================  ==================
``gan``                BCE(real, 1) + BCE(fake, 0)      (Eq. 2)     BCE(fake, 1) (Eq. 3)
``gan_saturating``     as ``gan``                                   -BCE(fake, 0) (Eq. 1)
``wasserstein``        mean D(fake) - mean D(real)      (Eq. 6)     -mean D(fake) (Eq. 9)
``conditional_bce``    real, fake and wrong-label BCE   (Eq. 12/14) BCE(fake, 1) (Eq. 13/15)
``bagan``              CE(real, y_r) + CE(fake, "fake") (B1)        CE(fake, y_f) (B2)
``acgan``              source BCE real/fake + class CE ``aux`` (A1) BCE + CE(fake, y_f) (A2)
(ALI)                  ``gan``'s terms on (image, latent) pairs     ``gan``'s terms, roles
                       (augmentation paper, Eq. 4)                  swapped (:mod:`.ali`)
=====================  ===========================================  ==================

``acgan``'s generator loss also takes ``source_mask`` (the augmentation paper's
Eq. 5: AC-GAN trained on a mixture of ALI latents of real images and noise).
ALI (:class:`bagan_lib.gan.ali.ALITrainer`) uses ``gan``'s critic terms on (image, latent) pairs.

``bagan`` is the original BAGAN's (n + 1)-class softmax discriminator, ``acgan``
the auxiliary-classifier GAN's source logit plus n class logits; their terms
need the labels, so every objective receives ``y_real`` and ``y_fake`` as
keywords (the others ignore them).

Every term is float32 whatever the networks compute in (mixed precision):
the losses promote half-precision logits (:mod:`bagan_lib.gan.losses`).

``real_logit`` says which output of the critic is a logit of "real" (its sign: the
critic's verdict), which ADA's overfitting heuristic ``r_t = E[sign(D(x_real))]``
reads (:mod:`bagan_lib.gan.augment`): the logit itself, AC-GAN's source column,
and for BAGAN's softmax ``log(sum_c p_c / p_fake)``. The Wasserstein critic has
none: its scores have no zero point (adding a constant changes neither loss), so
the sign of a score says nothing and ADA is refused for it.

Equation numbers are the BAGAN-GP paper's. The gradient penalty (Eq. 7) is not
part of an objective: the trainer adds ``lambda * GP`` for any of them, which
gives WGAN-GP (Eq. 8), DRAGAN (Eq. 10), cDRAGAN (Eq. 12) and BAGAN-GP (Eq. 14).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from keras import ops

from bagan_lib.gan import losses
from bagan_lib.errors import KitError


@dataclass(frozen=True)
class Objective:
    name: str
    critic_terms: Callable      # (real_out, fake_out, wrong_out or None, *, y_real, y_fake) -> dict of terms
    generator_loss: Callable    # (fake_out, *, y_fake) -> scalar
    uses_wrong_labels: bool = False
    extra_terms: tuple = ()     # tracked terms beyond real, fake (and wrong, gp): AC-GAN's "aux"
    real_logit: Callable | None = None   # critic outputs -> (B, 1) logit of "real" (ADA's r_t); None: no zero point


def _unlabelled(loss):
    """A generator loss that needs no labels, in the labelled signature."""
    return lambda fake, y_fake=None: loss(fake)


def _bce_terms(real, fake, wrong=None, **labels):
    return {"real": losses.bce_with_logits(real, 1), "fake": losses.bce_with_logits(fake, 0)}


def _wasserstein_terms(real, fake, wrong=None, **labels):
    # critic minimises mean D(fake) - mean D(real), the negative of Eq. 6; the means in float32 (mixed precision)
    return {"real": -ops.mean(ops.cast(real, "float32")), "fake": ops.mean(ops.cast(fake, "float32"))}


def _conditional_terms(real, fake, wrong=None, **labels):
    terms = losses.conditional_discriminator_loss(real, fake, wrong)
    out = {"real": terms.real, "fake": terms.fake}
    if wrong is not None:
        out["wrong"] = terms.wrong
    return out


def _bagan_terms(real, fake, wrong=None, *, y_real=None, y_fake=None):
    real_term, fake_term = losses.bagan_discriminator_loss(real, fake, y_real)
    return {"real": real_term, "fake": fake_term}


def _bagan_generator_loss(fake, y_fake=None):
    return losses.bagan_generator_loss(fake, y_fake)


def _the_logit(outputs):
    """The critic's one output is the logit of "real"."""
    return outputs


def _bagan_real_logit(outputs):
    """BAGAN's (n + 1)-way softmax: ``log(sum_{c < n} p_c / p_fake) = logsumexp(l_0..l_{n-1}) - l_n``."""
    outputs = ops.cast(outputs, "float32")
    return ops.logsumexp(outputs[:, :-1], axis=-1, keepdims=True) - outputs[:, -1:]


def _acgan_source_logit(outputs):
    """AC-GAN's source logit (column 0)."""
    return losses.acgan_split(outputs)[0]


def _acgan_terms(real, fake, wrong=None, *, y_real=None, y_fake=None):
    real_term, fake_term, aux = losses.acgan_discriminator_loss(real, fake, y_real, y_fake)
    return {"real": real_term, "fake": fake_term, "aux": aux}


def _acgan_generator_loss(fake, y_fake=None, source_mask=None):
    return losses.acgan_generator_loss(fake, y_fake, source_mask)


OBJECTIVES = {
    "gan": Objective("gan", _bce_terms, _unlabelled(losses.gan_generator_loss_nonsaturating),
                     real_logit=_the_logit),
    "gan_saturating": Objective("gan_saturating", _bce_terms, _unlabelled(losses.gan_generator_loss_saturating),
                                real_logit=_the_logit),
    "wasserstein": Objective("wasserstein", _wasserstein_terms, _unlabelled(losses.wasserstein_generator_loss)),
    "conditional_bce": Objective("conditional_bce", _conditional_terms,
                                 _unlabelled(losses.conditional_generator_loss), uses_wrong_labels=True,
                                 real_logit=_the_logit),
    "bagan": Objective("bagan", _bagan_terms, _bagan_generator_loss, real_logit=_bagan_real_logit),
    "acgan": Objective("acgan", _acgan_terms, _acgan_generator_loss, extra_terms=("aux",),
                       real_logit=_acgan_source_logit),
}


def get_objective(name: str | Objective) -> Objective:
    if isinstance(name, Objective):
        return name
    if name not in OBJECTIVES:
        raise KitError(f"Unknown adversarial objective {name!r}.", f"choose one of {', '.join(OBJECTIVES)}.")
    return OBJECTIVES[name]
