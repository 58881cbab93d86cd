"""The BAGAN-GP family as recipes on the one trainer (:class:`bagan_lib.trainer.AdversarialTrainer`).

=============  =========================  ================  ============  ========
model          initialisation             labels of fakes   wrong labels  equation
=============  =========================  ================  ============  ========
cdragan        none (fresh networks)      the batch's own   no            12-13
bagan_gp_v1    unsupervised autoencoder   the batch's own   no            12-13
bagan_gp_v2    unsupervised autoencoder   balanced          yes           14-15
bagan_gp_v3    supervised autoencoder     balanced          yes           14-15
=============  =========================  ================  ============  ========

All use the conditional BCE objective with the gradient penalty ("model"
interpolation by default, lambda 10), 5 critic steps in the paper profile,
and the reference networks (:mod:`bagan_lib.networks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .autoencoder import Autoencoder
from .errors import KitError
from .networks import build_decoder, build_discriminator, build_embedding, build_encoder, build_generator
from .trainer import AdversarialTrainer


@dataclass(frozen=True)
class Recipe:
    autoencoder: str | None      # None, "unsupervised" or "supervised"
    fake_labels: str             # "real" or "balanced"
    wrong_labels: bool


RECIPES = {
    "cdragan": Recipe(None, "real", False),
    "bagan_gp_v1": Recipe("unsupervised", "real", False),
    "bagan_gp_v2": Recipe("unsupervised", "balanced", True),
    "bagan_gp_v3": Recipe("supervised", "balanced", True),
}


def get_recipe(model: str) -> Recipe:
    if model not in RECIPES:
        raise KitError(f"Unknown model {model!r}.", f"choose one of {', '.join(RECIPES)}.")
    return RECIPES[model]


def build_autoencoder(*, supervised: bool, image_size: int, channels: int, n_classes: int, latent_dim: int,
                      width: float = 1.0, reconstruction: str = "l1") -> Autoencoder:
    """The autoencoder a recipe pre-trains: with the label embedding when ``supervised`` (paper Fig. 3)."""
    return Autoencoder(build_encoder(image_size, channels, latent_dim, width),
                       build_decoder(image_size, channels, latent_dim, width),
                       build_embedding(n_classes, latent_dim) if supervised else None,
                       reconstruction=reconstruction)


def build_bagan_gp(model: str, *, image_size: int, channels: int, n_classes: int, latent_dim: int,
                   width: float = 1.0, autoencoder: Autoencoder | None = None, critic_steps: int = 5,
                   gp_lambda: float = 10.0, interpolation: str = "model", alpha: str = "uniform",
                   discriminator_init: str = "fresh", seed: int | None = None) -> AdversarialTrainer:
    """A trainer for ``model`` (see the table above); pre-train ``autoencoder`` first where the recipe needs one.

    The generator *is* the autoencoder's embedding and decoder (they keep training);
    ``discriminator_init="encoder"`` copies the encoder's conv stack into the
    discriminator (paper Fig. 5), ``"fresh"`` (the reference's choice) does not.
    """
    recipe = get_recipe(model)
    if discriminator_init not in ("fresh", "encoder"):
        raise KitError(f"discriminator_init={discriminator_init!r} is not an option.", "use 'fresh' or 'encoder'.")
    if recipe.autoencoder is None:
        if autoencoder is not None:
            raise KitError(f"{model} starts from fresh networks and takes no autoencoder.",
                           "leave autoencoder=None, or choose bagan_gp_v1/v2/v3.")
        decoder, embedding, encoder = build_decoder(image_size, channels, latent_dim, width), None, None
    else:
        if autoencoder is None:
            raise KitError(f"{model} starts from a pre-trained {recipe.autoencoder} autoencoder.",
                           f"train build_autoencoder(supervised={recipe.autoencoder == 'supervised'}, ...) first "
                           "and pass it as autoencoder=.")
        if autoencoder.supervised != (recipe.autoencoder == "supervised"):
            raise KitError(f"{model} needs a {recipe.autoencoder} autoencoder, got the other kind.",
                           f"build it with supervised={recipe.autoencoder == 'supervised'}.")
        decoder, embedding, encoder = autoencoder.decoder, autoencoder.embedding, autoencoder.encoder
    if discriminator_init == "encoder" and encoder is None:
        raise KitError(f"{model} has no encoder to initialise the discriminator from.",
                       "use discriminator_init='fresh' or a model with an autoencoder.")
    generator = build_generator(embedding or build_embedding(n_classes, latent_dim), decoder)
    critic = build_discriminator(image_size, channels, n_classes, width,
                                 encoder=encoder if discriminator_init == "encoder" else None)
    return AdversarialTrainer(generator, critic, latent_dim=latent_dim, objective="conditional_bce",
                              n_classes=n_classes, fake_labels=recipe.fake_labels,
                              wrong_labels=recipe.wrong_labels, critic_steps=critic_steps, gp_lambda=gp_lambda,
                              interpolation=interpolation, alpha=alpha, seed=seed, name=model)
