"""Transitional conditioning: a conditional GAN that starts unconditional (Shahbazi, Danelljan, Paudel and Van Gool,
"Collapse by Conditioning: Training Class-conditional GANs with Limited Data", ICLR 2022).

With few images per class, a class-conditional GAN collapses where an unconditional
one on the same images does not. The paper's remedy: train unconditionally first,
then inject the condition gradually, with a coefficient (the paper's ``lambda_t``,
here ``alpha_t``) that goes linearly from 0 to 1 between steps ``T_start`` and
``T_end`` (the paper's Eq. 4-5 schedule)::

    alpha_t = min(max((t - T_start) / (T_end - T_start), 0), 1)

where ``t`` is the number of training steps done (one step = the critic steps and
one generator step of :class:`bagan_lib.gan.trainer.AdversarialTrainer`).

**Where alpha enters (this kit's networks).** Both of the kit's conditional
networks meet the label in one element-wise product, so the condition is blended
there, between "no label" (a factor of ones) and the label's factor:

* generator (:func:`bagan_lib.models.networks.build_generator`): the labelled
  latent ``z * e_y`` (BAGAN-GP Fig. 3) becomes
  ``z * ((1 - alpha) 1 + alpha e_y) = (1 - alpha) z + alpha (z * e_y)``;
* critic (:func:`bagan_lib.models.networks.build_discriminator`, Fig. 5):
  ``D(x, y) = head(phi(x) * c(y))`` becomes
  ``head(phi(x) * ((1 - alpha) 1 + alpha c(y))) = head((1 - alpha) phi(x) + alpha (phi(x) * c(y)))``;
* objective: the wrong-label term of Eq. 14 (real images with wrong labels
  scored "fake") only teaches the label, and for a label-blind critic it would
  contradict the real term (the same score pushed to 1 and to 0), so the critic's
  loss weights it by ``alpha_t``: ``real + fake + alpha_t * wrong (+ lambda GP)``.
  Its tracked value ``wrong`` is the unweighted term.

At ``alpha = 0`` the label is multiplied by exactly 0 and the other factor is
exactly 1, so the generator's image and the critic's score are **the same for
every label** (unconditional networks: ``G(z)`` = decoder(z), ``D(x) = head(phi(x))``)
and the loss is the unconditional real + fake objective. At ``alpha = 1`` the
blend is ``0 * 1 + 1 * v = v`` exactly: the plain conditional model with the same
weights, bit for bit. In between, both networks' outputs are affine in ``alpha``
only through these products (tests/gan/test_transition.py checks all three).

**Departure from the paper.** The official implementation (StyleGAN2-ADA) feeds
``lambda_t``-scaled class embeddings into the generator's mapping network and
gives the discriminator a second, conditional logit whose loss is added with
weight ``lambda_t``. The kit's networks have a single logit; blending the label's
factor gives the same end points (exactly unconditional at the start, exactly the
conditional model at the end) without a second head. The paper's example ramps
over ``T_start`` = 2000 kimg to ``T_end`` = 4000 kimg (2M to 4M images shown);
the kit's default (:data:`DEFAULT_RAMP`) is the same shape relative to the run:
unconditional for the first quarter of the epochs, conditional from half way.

**State.** ``alpha`` and the step count ``t`` are non-trainable variables of the
trainer's :class:`Transition` (saved in checkpoints as the ``transition`` group,
so a resumed run continues the ramp); ``alpha`` always holds ``alpha_t`` for the
steps done so far: the value the next step trains with and sampling uses.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from bagan_lib.errors import KitError
from bagan_lib.models.recipes import TRANSITION_RAMP

# T_start and T_end as shares of the run's epochs (the command line's --transition; kept with the recipes)
DEFAULT_RAMP = TRANSITION_RAMP


def transition_alpha(step, start: float, end: float):
    """``alpha_t = clip((t - T_start) / (T_end - T_start), 0, 1)`` (float32; ``end > start``)."""
    t = ops.cast(step, "float32")
    return ops.clip((t - float(start)) / float(end - start), 0.0, 1.0)


def check_ramp(start, end) -> tuple[float, float]:
    """``(start, end)`` as numbers if ``0 <= start < end``, else a KitError."""
    try:
        start, end = float(start), float(end)
    except (TypeError, ValueError) as exc:
        raise KitError(f"transition=({start!r}, {end!r}) is not a ramp.", "give two numbers START < END.") from exc
    if not (0 <= start < end) or end == float("inf"):
        raise KitError(f"transition=({start}, {end}): the ramp must start at 0 or later and end after it starts.",
                       "give 0 <= START < END (e.g. the paper's shape: a quarter and half of the run).")
    return start, end


class Transition:
    """The schedule ``alpha_t`` from ``start`` to ``end`` steps, with its state (``alpha``, ``step``) as variables.

    The networks read ``alpha`` through :class:`ConditionBlend` layers built with
    this object; the trainer calls :meth:`end_step` after every training step.
    """

    def __init__(self, start: float, end: float):
        self.start, self.end = check_ramp(start, end)

        def variable(value, name):  # replicas assign equal values: keep the first's
            return keras.Variable(value, dtype="float32", trainable=False, aggregation="only_first_replica",
                                  name=name)

        self.step = variable(0.0, "transition_step")
        self.alpha = variable(float(transition_alpha(0, self.start, self.end)), "transition_alpha")

    @property
    def variables(self) -> list:
        """What a checkpoint holds (the ``transition`` group): ``alpha`` and the steps done."""
        return [self.alpha, self.step]

    def end_step(self) -> None:
        """One more step done: ``t <- t + 1`` and ``alpha <- alpha_t``."""
        self.step.assign_add(1.0)
        self.alpha.assign(transition_alpha(self.step, self.start, self.end))

    def set_step(self, step: int) -> None:
        """Jump to ``step`` steps done (tests, notebooks): ``alpha`` follows."""
        self.step.assign(float(step))
        self.alpha.assign(transition_alpha(self.step, self.start, self.end))


def blend_factor(factor, alpha):
    """``(1 - alpha) 1 + alpha factor``: the label's factor blended with "no label" (ones)."""
    alpha = ops.cast(alpha, factor.dtype)
    return (1 - alpha) + alpha * factor


class ConditionBlend(layers.Layer):
    """``[unconditional, conditional] -> (1 - alpha) unconditional + alpha conditional``, alpha from a
    :class:`Transition`.

    Placed where a network multiplies by the label's factor ``f``: with
    ``unconditional = h`` and ``conditional = h * f`` it gives ``h * ((1 - alpha) + alpha f)``.
    The schedule is a plain object (not tracked): its variables are the trainer's,
    saved once in the ``transition`` group, not with the network's weights.
    """

    def __init__(self, transition: Transition, **kwargs):
        super().__init__(**kwargs)
        self._schedule = [transition]  # in a list: Keras would not track it anyway, and this says so

    @property
    def transition(self) -> Transition:
        return self._schedule[0]

    def call(self, inputs):
        unconditional, conditional = inputs
        alpha = ops.cast(self.transition.alpha, conditional.dtype)
        return (1 - alpha) * unconditional + alpha * conditional

    def compute_output_shape(self, input_shape):
        return input_shape[1]
