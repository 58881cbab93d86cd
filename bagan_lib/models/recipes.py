"""What distinguishes the models, as data (no TensorFlow import: the command line reads it first).

See :mod:`bagan_lib.models.builders` for the table and the builders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bagan_lib.errors import KitError


@dataclass(frozen=True)
class Recipe:
    autoencoder: str | None      # None, "unsupervised", "supervised", "cvae" (CAPGAN) or "ali" (ALI, Eq. 4)
    fake_labels: str             # "real" or "balanced"
    wrong_labels: bool
    reconstruction: str = "l1"   # the autoencoder's loss (BAGAN's text: L2; the BAGAN-GP code: L1; CAPGAN: Eq. 7)
    pretrain: str | None = None  # CAPGAN's pre-training strategy (bagan_lib.models.pretraining); None: the data as is
    objective: str = "conditional_bce"   # bagan_lib.gan.objectives
    gp_lambda: float = 10.0      # the default penalty weight
    critic_steps: int | None = None      # None: the profile's (BAGAN-GP: 5 in the paper)
    critic: str = "conditional"  # "conditional": (image, label) -> logit; "classes": image -> n + 1 logits
    real_share: object = None    # AC-GAN: the real share of a critic batch (a number, or "alternating")
    networks: str = "conv"       # "conv": the BAGAN-GP networks; "mlp": CGAN's fully connected ones
    latents: str = "normal"      # "normal": z ~ N(0, I); "class_gaussians": BAGAN's per-class Gaussians (Eq. B3)
    discriminator_init: str = "fresh"    # "encoder": the discriminator starts from the pre-trained encoder (Fig. 5)
    adam: str = "paper"          # the Adam settings: "paper" (BAGAN-GP, 2e-4) or "bagan" (5e-5)
    generator_init: str = "fresh"        # AC-GAN on ALI: "fresh" (v1) or "ali" (v2: ALI's generator as decoder)
    real_latent_share: float | None = None   # AC-GAN on ALI: the share of ALI latents of real images per G batch
    mask_real_latents: bool = True       # AC-GAN on ALI: Eq. 5's masked source term (False: unmasked)
    generator: str = "embedding"         # conv nets: "embedding" (decoder(z * e_y), Fig. 4) or "cbn" (the same with
                                         # class-conditional batch norm: bagan_lib.models.class_batchnorm)

    def resolved_critic_steps(self, profile_critic_steps: int) -> int:
        """The recipe's fixed critic steps (BAGAN, AC-GAN, the BCE baselines: 1), else the profile's."""
        return self.critic_steps or profile_critic_steps

    def check_gp_lambda(self, model: str, gp_lambda) -> None:
        """A KitError for a penalty weight no run of this model can use."""
        if gp_lambda is None:
            return
        if not (math.isfinite(gp_lambda) and gp_lambda >= 0):
            raise KitError(f"gp_lambda={gp_lambda!r} must be a finite number >= 0.", "pass e.g. gp_lambda=10.")
        if self.gp_lambda == 0 and gp_lambda:
            raise KitError(f"gp_lambda={gp_lambda}: {model}'s critic has no gradient penalty (BAGAN's answers n + 1 "
                           "class probabilities; the penalty needs one score per image and real and fake images in "
                           "pairs).", f"leave gp_lambda=None (0) for {model}; the BAGAN-GP models have the penalty.")


    def check_augment(self, model: str, augment) -> None:
        """A KitError for an augmentation (:mod:`bagan_lib.gan.augment`) this model's critic cannot use.

        Every critic can take DiffAugment. ADA steers its probability by the sign of
        the critic's logit of "real"; a critic of :data:`SCORE_OBJECTIVES` has no such
        logit (its scores have no zero point), so ADA is refused for it.
        """
        if augment is None:
            return
        if augment not in AUGMENTATIONS:
            raise KitError(f"augment={augment!r} is not an augmentation.",
                           f"use one of {', '.join(AUGMENTATIONS)} (or none).")
        if augment == "ada" and self.objective in SCORE_OBJECTIVES:
            raise KitError(f"augment='ada': {model}'s critic ({self.objective}) gives scores without a zero point "
                           "(adding a constant changes no loss), so ADA's overfitting heuristic E[sign D(x_real)] "
                           "means nothing for it.", f"use augment='diffaugment' for {model}, or a model whose "
                           "critic gives a logit (e.g. bagan_gp_v3).")


    def check_gsr(self, model: str, gsr_lambda) -> None:
        """A KitError for a gSR weight (:mod:`bagan_lib.gan.group_spectral`) this model cannot use.

        gSR regularises the per-class gains and biases of class-conditional batch
        normalisation: only a recipe with ``generator="cbn"`` has them.
        """
        if gsr_lambda is None:
            return
        if isinstance(gsr_lambda, bool) or not isinstance(gsr_lambda, (int, float)) or not (
                math.isfinite(gsr_lambda) and gsr_lambda >= 0):
            raise KitError(f"gsr={gsr_lambda!r} must be a finite number >= 0.",
                           "pass e.g. gsr=0.5 (the paper's lambda), or 0 for none.")
        if gsr_lambda and self.generator != "cbn":
            with_cbn = [name for name, recipe in RECIPES.items() if recipe.generator == "cbn"]
            raise KitError(f"gsr={gsr_lambda}: {model}'s generator has no class-conditional batch normalisation, "
                           "whose per-class gains and biases gSR regularises.",
                           f"choose a model with the cBN generator: {', '.join(with_cbn)} (bagan_gp_v3_cbn is "
                           "BAGAN-GP v3 with it), or leave gSR off (gsr=0, --gsr 0).")

    def check_transition(self, model: str, transition) -> None:
        """A KitError for transitional conditioning (:mod:`bagan_lib.gan.transition`) on this model.

        It blends the label into the generator's labelled latent and the critic's
        joint features, so it needs the conv networks with the label embedding
        (``networks="conv"``, ``latents="normal"``, ``generator="embedding"``) and
        the label-conditioned critic (``critic="conditional"``).
        """
        if transition is None:
            return
        if not (self.networks == "conv" and self.latents == "normal" and self.critic == "conditional"
                and self.generator == "embedding"):
            usable = [name for name, recipe in RECIPES.items() if recipe.networks == "conv" and recipe.latents ==
                      "normal" and recipe.critic == "conditional" and recipe.generator == "embedding"]
            raise KitError(f"transition: {model}'s networks do not take the label through the products the "
                           "transition blends (a generator z * e_y and a critic phi(x) * c(y)"
                           + (", and its cBN layers would stay conditional" if self.generator == "cbn" else "")
                           + ").", f"use one of {', '.join(usable)}, or no transition.")


def _acgan(real_share) -> Recipe:
    """AC-GAN with the augmentation paper's real share of a critic batch (its AC-GAN, v1, v2, v3)."""
    return Recipe(None, "balanced", False, objective="acgan", gp_lambda=0.0, critic_steps=1, critic="classes",
                  real_share=real_share)


def _acgan_ali(generator_init: str, masked: bool = True) -> Recipe:
    """AC-GAN on ALI latents (augmentation paper, IV-B1): AC-GAN v0's critic (50 % real), half of every
    generator batch from the pre-trained ALI encoder's latents of real images, Eq. 5's mask (or none)."""
    return Recipe("ali", "balanced", False, reconstruction="ali", objective="acgan", gp_lambda=0.0, critic_steps=1,
                  critic="classes", real_share=0.5, generator_init=generator_init, real_latent_share=0.5,
                  mask_real_latents=masked)


RECIPES = {
    "bagan": Recipe("unsupervised", "balanced", False, reconstruction="l2", objective="bagan", gp_lambda=0.0,
                    critic_steps=1, critic="classes", latents="class_gaussians", discriminator_init="encoder",
                    adam="bagan"),
    "cdragan": Recipe(None, "real", False),
    "bagan_gp_v1": Recipe("unsupervised", "real", False),
    "bagan_gp_v2": Recipe("unsupervised", "balanced", True),
    "bagan_gp_v3": Recipe("supervised", "balanced", True),
    "capgan": Recipe("cvae", "balanced", True, reconstruction="capgan_elbo", pretrain="ros",
                     discriminator_init="encoder"),
    # the augmentation papers' baselines (notebook 09), fresh networks
    "cdcgan": Recipe(None, "real", False, objective="gan", gp_lambda=0.0, critic_steps=1),
    "cgan": Recipe(None, "real", False, objective="gan", gp_lambda=0.0, critic_steps=1, networks="mlp"),
    "wgan_gp": Recipe(None, "real", False, objective="wasserstein"),
    **{name: _acgan(share) for name, share in (("acgan", 0.5), ("acgan_v1", 0.25), ("acgan_v2", 0.75),
                                                ("acgan_v3", "alternating"))},
    "acgan_ali_v1": _acgan_ali("fresh"),
    "acgan_ali_v2": _acgan_ali("ali"),
    "acgan_ali_v1_unmasked": _acgan_ali("fresh", masked=False),
    "acgan_ali_v2_unmasked": _acgan_ali("ali", masked=False),
    # long-tailed generation: BAGAN-GP v3 with class-conditional batch norm in the generator (gSR's baseline)
    "bagan_gp_v3_cbn": Recipe("supervised", "balanced", True, generator="cbn"),
}
MODEL_NAMES = tuple(RECIPES)
STRATEGIES = ("none", "ros", "two_phase", "ensemble")  # CAPGAN's pre-training strategies (bagan_lib.models.pretraining)
BAGAN_ADAM = {"learning_rate": 5e-5, "beta_1": 0.5}  # REFERENCE.md, "Original BAGAN"
# the critic's augmentations (bagan_lib.gan.augment.POLICIES), offered with every model: `train --augment`
AUGMENTATIONS = ("diffaugment", "ada")
# objectives whose critic gives scores with no zero point (bagan_lib.gan.objectives: no real_logit): no ADA
SCORE_OBJECTIVES = ("wasserstein",)
# long-tailed generation (`train --gsr`, `--transition`): the paper's gSR weight, and the transition's default ramp
GSR_LAMBDA = 0.5             # bagan_lib.gan.group_spectral.GSR_LAMBDA (no TensorFlow here)
TRANSITION_RAMP = (0.25, 0.5)  # bagan_lib.gan.transition.DEFAULT_RAMP: shares of the run's epochs


def get_recipe(model: str) -> Recipe:
    if model not in RECIPES:
        raise KitError(f"Unknown model {model!r}.", f"choose one of {', '.join(RECIPES)}.")
    return RECIPES[model]


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise KitError(f"pretrain={strategy!r} is not a pre-training strategy.",
                       f"choose one of {', '.join(STRATEGIES)} (CAPGAN's paper uses 'ros').")
    return strategy
