"""BAGAN and the BAGAN-GP family as recipes on the one trainer (:class:`bagan_lib.gan.trainer.AdversarialTrainer`).

=============  =========================  ==============  ============  ============  ========
model          initialisation             labels of fakes  wrong labels  critic        equation
=============  =========================  ==============  ============  ============  ========
bagan          unsupervised AE (L2),      balanced,        no            (n+1)-class   B1-B2
               class-conditional latents  ceil(B/n) fakes                softmax, 1x
cdragan        none (fresh networks)      the batch's own  no            logit, GP     12-13
bagan_gp_v1    unsupervised autoencoder   the batch's own  no            logit, GP     12-13
bagan_gp_v2    unsupervised autoencoder   balanced         yes           logit, GP     14-15
bagan_gp_v3    supervised autoencoder     balanced         yes           logit, GP     14-15
capgan         CVAE, balanced by ROS      balanced         yes           logit, GP     14-15,
               (:mod:`.pretraining`)                                   on enc. mu    C7
cdcgan         none                       the batch's own  no            logit, BCE    2-3
cgan           none, fully connected      the batch's own  no            logit, BCE    2-3
wgan_gp        none                       the batch's own  no            score, GP     8-9
acgan(_v1-3)   none                       balanced         no            source +      A1-A2
                                                                       n classes
acgan_ali_v1   ALI (Eq. 4), its encoder   balanced; half   no            source +      A1, Eq. 5
               gives real latents         of each G batch               n classes
acgan_ali_v2   as v1, and the generator   from real        no            source +      A1, Eq. 5
               is ALI's, fine-tuned       latents                       n classes
bagan_gp_v3_   as bagan_gp_v3; generator  balanced         yes           logit, GP     14-15
cbn            with class-conditional
               batch norm (from the AE)
=============  =========================  ==============  ============  ============  ========

``bagan_gp_v3_cbn`` is BAGAN-GP v3 whose decoder's batch norm has a gain and a
bias per class (:mod:`bagan_lib.models.class_batchnorm`), initialised from the
pre-trained decoder's shared ones, so it starts as v3 does: the baseline of group
spectral regularisation (``gsr_lambda``; Rangwani et al. 2022), whose per-class
gain norms the trainer tracks with or without the regulariser.

The last four are the augmentation papers' baselines (notebook 09): the
conditional DCGAN of CAPGAN's comparison (BCE, 1 critic step, no penalty), the
same objective on CGAN's fully connected networks (Mirza and Osindero 2014), a
conditional WGAN-GP (the WGAN paper's top-up generator, here one network for
all classes), and AC-GAN with an auxiliary classifier head, whose critic
batches hold 50 % real images (``acgan``), 25 % (``acgan_v1``), 75 %
(``acgan_v2``), or 75 % with 50 % every third epoch (``acgan_v3``), as in
"On data augmentation using GANs". Its second model, AC-GAN on ALI latents,
pre-trains ALI (:func:`build_ali`; :mod:`bagan_lib.gan.ali`), then trains AC-GAN
(critic batches 50 % real) whose generator batches are half ALI latents of real
images with their labels and half noise, the source term masked for the former
(Eq. 5; the ``_unmasked`` variants keep it): from a fresh generator (``v1``) or
with ALI's generator as its decoder (``v2``). Both have AC-GAN's fresh label
embedding, so they differ only in where the decoder starts. (A first design
set v2's label vectors to 1, so that it started exactly as ALI's G_x; after 5
epochs at ``teach`` its samples ignored the label, every column of the grid
the same image, so it was dropped.)

The BAGAN-GP models use the conditional BCE objective with the gradient penalty
("model" interpolation by default, lambda 10) and 5 critic steps; BAGAN uses its
softmax objective, no penalty, one critic step, Adam(5e-5, 0.5) and copies the
encoder into its discriminator (REFERENCE.md, "Original BAGAN"). CAPGAN
(C-numbers: the CAPGAN paper's equations) pre-trains a conditional VAE
(:mod:`bagan_lib.models.cvae`, Eq. C3-C10) on balanced data, then trains exactly as
BAGAN-GP v3, with the discriminator built on the CVAE's conv stack and mean head.
"""

from __future__ import annotations

from bagan_lib.errors import KitError
from bagan_lib.gan.ali import ALITrainer, RealLatentMixture
from bagan_lib.gan.class_latents import class_conditional_latents
from bagan_lib.gan.critic_parts import ConditionalCriticParts
from bagan_lib.gan.trainer import AdversarialTrainer, PAPER_ADAM
from bagan_lib.gan.transition import Transition
from bagan_lib.models.autoencoder import Autoencoder
from bagan_lib.models.class_batchnorm import build_cbn_generator, cbn_decoder_from
from bagan_lib.models.cvae import ConditionalVAE
from bagan_lib.models.networks import (
    build_bagan_discriminator, build_decoder, build_discriminator, build_embedding, build_encoder, build_generator,
    build_joint_discriminator, build_mlp_discriminator, build_mlp_generator, build_vae_encoder)
from bagan_lib.models.recipes import BAGAN_ADAM, Recipe, get_recipe

ADAM_SETTINGS = {"paper": PAPER_ADAM, "bagan": BAGAN_ADAM}  # Recipe.adam -> the optimizers' settings


def autoencoder_kind(model: str) -> str | None:
    """None (cdragan), "unsupervised" (bagan, v1, v2), "supervised" (v3) or "cvae" (capgan): what ``model`` pre-trains."""
    return get_recipe(model).autoencoder


def default_reconstruction(model: str) -> str:
    """"l2" for BAGAN (its paper: MSE), "l1" for the BAGAN-GP family (the reference code)."""
    return get_recipe(model).reconstruction


def build_autoencoder(*, supervised: bool, image_size: int, channels: int, n_classes: int, latent_dim: int,
                      width: float = 1.0, reconstruction: str = "l1") -> Autoencoder:
    """The autoencoder a recipe pre-trains: with the label embedding when ``supervised`` (paper Fig. 3)."""
    return Autoencoder(build_encoder(image_size, channels, latent_dim, width),
                       build_decoder(image_size, channels, latent_dim, width),
                       build_embedding(n_classes, latent_dim) if supervised else None,
                       reconstruction=reconstruction)


def build_cvae(*, image_size: int, channels: int, n_classes: int, latent_dim: int, width: float = 1.0,
               reduction: str = "elbo", weights: dict | None = None, seed: int | None = None) -> ConditionalVAE:
    """CAPGAN's conditional VAE (paper Fig. 1b): its decoder has the generator's topology, so its weights transfer."""
    return ConditionalVAE(build_vae_encoder(image_size, channels, latent_dim, width),
                          build_decoder(image_size, channels, latent_dim, width),
                          build_embedding(n_classes, latent_dim), reduction=reduction, weights=weights, seed=seed)


def build_ali(*, image_size: int, channels: int, latent_dim: int, width: float = 1.0,
              seed: int | None = None) -> ALITrainer:
    """ALI (augmentation paper, Fig. 5): the CVAE encoder (mu, logvar), the decoder as G_x, the joint critic.

    The decoder is the AC-GAN generator's body, so ``acgan_ali_v2`` can start from it.
    """
    return ALITrainer(build_vae_encoder(image_size, channels, latent_dim, width),
                      build_decoder(image_size, channels, latent_dim, width),
                      build_joint_discriminator(image_size, channels, latent_dim, width),
                      latent_dim=latent_dim, seed=seed, optimizer_defaults=PAPER_ADAM, name="ali")


def build_pretraining_network(model: str, *, image_size: int, channels: int, n_classes: int, latent_dim: int,
                              width: float = 1.0, seed: int | None = None):
    """The network ``model`` pre-trains, compiled: its autoencoder, CAPGAN's CVAE or ALI; None for cdragan."""
    recipe = get_recipe(model)
    shape = dict(image_size=image_size, channels=channels, n_classes=n_classes, latent_dim=latent_dim, width=width)
    if recipe.autoencoder is None:
        return None
    if recipe.autoencoder == "ali":
        network = build_ali(image_size=image_size, channels=channels, latent_dim=latent_dim, width=width, seed=seed)
        network.compile()
        return network
    if recipe.autoencoder == "cvae":
        network = build_cvae(**shape, reduction=recipe.reconstruction.removeprefix("capgan_"), seed=seed)
    else:
        network = build_autoencoder(supervised=recipe.autoencoder == "supervised", reconstruction=recipe.reconstruction,
                                    **shape)
    network.compile()
    return network


def build_model(model: str, *, image_size: int, channels: int, n_classes: int, latent_dim: int,
                width: float = 1.0, autoencoder: Autoencoder | None = None, class_latents=None,
                critic_steps: int | None = None, gp_lambda: float | None = None, interpolation: str = "model",
                alpha: str = "uniform", discriminator_init: str | None = None, jit_compile: bool = False,
                seed: int | None = None, augment: str | None = None, gsr_lambda: float | None = None,
                class_counts=None, transition: tuple | None = None) -> AdversarialTrainer:
    """A trainer for ``model`` (see the table above); pre-train ``autoencoder`` first where the recipe needs one.

    The generator *is* the autoencoder's decoder (BAGAN) or embedding and decoder
    (BAGAN-GP): they keep training. ``discriminator_init="encoder"`` copies the
    encoder's conv stack into the discriminator (paper Fig. 5; always for BAGAN),
    ``"fresh"`` (the BAGAN-GP reference's choice) does not. BAGAN also needs
    ``class_latents``: the :class:`bagan_lib.gan.class_latents.ClassGaussians` of the
    encoder's latents (:func:`bagan_lib.gan.class_latents.encode_class_gaussians`).
    ``None`` settings take the model's defaults: BAGAN 1 critic step and no
    penalty, BAGAN-GP 5 critic steps and lambda 10. ``augment`` (``None``,
    ``"diffaugment"`` or ``"ada"``) augments every image the critic sees, for any
    model whose critic can use it (:meth:`~bagan_lib.models.recipes.Recipe.check_augment`;
    :mod:`bagan_lib.gan.augment`); it composes with the recipe, e.g. BAGAN-GP v3 with
    DiffAugment, and with ``critic_parts``.

    Long-tailed generation: ``gsr_lambda`` (> 0) adds group spectral
    regularisation (:mod:`bagan_lib.gan.group_spectral`) to a recipe whose
    generator has class-conditional batch norm (``generator="cbn"``: e.g.
    ``bagan_gp_v3_cbn``), weighted by the training set's ``class_counts``;
    ``transition=(start, end)`` (in steps) trains with transitional conditioning
    (:mod:`bagan_lib.gan.transition`), for recipes whose generator and critic take
    the label through the embedding products. Both compose with the rest (e.g.
    BAGAN-GP v3 with DiffAugment and a transition).
    """
    recipe = get_recipe(model)
    recipe.check_gp_lambda(model, gp_lambda)
    recipe.check_augment(model, augment)
    recipe.check_gsr(model, gsr_lambda)
    recipe.check_transition(model, transition)
    schedule = None if transition is None else Transition(*transition)
    discriminator_init = discriminator_init or recipe.discriminator_init
    if discriminator_init not in ("fresh", "encoder"):
        raise KitError(f"discriminator_init={discriminator_init!r} is not an option.", "use 'fresh' or 'encoder'.")
    encoder, decoder, embedding = _pretrained_parts(model, recipe, autoencoder)
    if discriminator_init == "encoder" and encoder is None:
        raise KitError(f"{model} has no encoder to initialise the discriminator from.",
                       "use discriminator_init='fresh' or a model with an autoencoder.")
    init_encoder = encoder if discriminator_init == "encoder" else None
    class_gaussians = recipe.latents == "class_gaussians"
    settings = dict(latent_dim=latent_dim, n_classes=n_classes, fake_labels=recipe.fake_labels,
                    wrong_labels=recipe.wrong_labels, interpolation=interpolation, alpha=alpha,
                    jit_compile=jit_compile, seed=seed, name=model, objective=recipe.objective, augment=augment,
                    gsr_lambda=gsr_lambda or 0.0, class_counts=class_counts, transition=schedule,
                    critic_steps=_default(critic_steps, recipe.critic_steps or 5),
                    gp_lambda=_default(gp_lambda, recipe.gp_lambda), optimizer_defaults=ADAM_SETTINGS[recipe.adam])
    if class_latents is not None and not class_gaussians:
        raise KitError(f"{model} draws z ~ N(0, I) and takes no class_latents.", "leave class_latents=None.")
    if recipe.networks == "mlp":  # CGAN: fully connected, label concatenated; no conv critic to factor
        return AdversarialTrainer(build_mlp_generator(image_size, channels, n_classes, latent_dim, width),
                                  build_mlp_discriminator(image_size, channels, n_classes, width), **settings)
    decoder = decoder or build_decoder(image_size, channels, latent_dim, width)
    if class_gaussians:  # BAGAN: the class enters through z only, and the critic names n classes or "fake"
        _check_class_latents(class_latents, n_classes, latent_dim)
        critic = build_bagan_discriminator(image_size, channels, n_classes, width, encoder=init_encoder)
        return AdversarialTrainer(decoder, critic, label_inputs=False, fake_share="class",
                                  latent_sampler=class_conditional_latents(class_latents), **settings)
    embedding = embedding or build_embedding(n_classes, latent_dim)
    if recipe.generator == "cbn":  # the decoder's batch norm made per class, starting from its shared affine
        generator = build_cbn_generator(embedding, cbn_decoder_from(decoder, n_classes))
    else:
        generator = build_generator(embedding, decoder, transition=schedule)
    if recipe.critic == "classes":  # AC-GAN: the critic sees the image only and names its source and class
        critic = build_bagan_discriminator(image_size, channels, n_classes, width, name="acgan_discriminator")
        mixture = None if recipe.real_latent_share is None else RealLatentMixture(
            encoder, share=recipe.real_latent_share, masked=recipe.mask_real_latents)
        return AdversarialTrainer(generator, critic, critic_label_inputs=False, real_share=recipe.real_share,
                                  real_latents=mixture, **settings)
    critic = build_discriminator(image_size, channels, n_classes, width, encoder=init_encoder,
                                 feature_dim=latent_dim if recipe.autoencoder == "cvae" else None,
                                 transition=schedule)
    return AdversarialTrainer(generator, critic, critic_parts=ConditionalCriticParts(critic), **settings)


def _check_class_latents(class_latents, n_classes: int, latent_dim: int) -> None:
    if class_latents is None:
        raise KitError("bagan draws its latents from the per-class Gaussians of the encoder.",
                       "pass class_latents=encode_class_gaussians(autoencoder.encoder, x_train, y_train, n).")
    if (class_latents.n_classes, class_latents.latent_dim) != (n_classes, latent_dim):
        raise KitError(f"class_latents hold {class_latents.n_classes} classes of {class_latents.latent_dim}-d "
                       f"latents; the model has {n_classes} classes and latent_dim={latent_dim}.",
                       "fit them with the same autoencoder and dataset as the model.")


def _default(value, default):
    """``default`` for None only: 0 stays 0 (and is then refused or used, never silently replaced)."""
    return default if value is None else value


def _pretrained_parts(model: str, recipe: Recipe, autoencoder):
    """(encoder, decoder, embedding) of the pre-trained autoencoder a recipe needs, checked; Nones for cdragan."""
    if recipe.autoencoder is None:
        if autoencoder is not None:
            raise KitError(f"{model} starts from fresh networks and takes no autoencoder.",
                           "leave autoencoder=None, or choose bagan_gp_v1/v2/v3.")
        return None, None, None
    if recipe.autoencoder == "ali":
        if not isinstance(autoencoder, ALITrainer):
            raise KitError(f"{model} starts from a pre-trained ALI, got "
                           f"{type(autoencoder).__name__ if autoencoder is not None else 'none'}.",
                           "train build_ali(...) first (python -m bagan_lib train_autoencoder --model "
                           f"{model}) and pass it as autoencoder=.")
        return autoencoder.encoder, (autoencoder.generator if recipe.generator_init == "ali" else None), None
    if recipe.autoencoder == "cvae":
        if not isinstance(autoencoder, ConditionalVAE):
            raise KitError(f"{model} starts from a pre-trained conditional VAE, got {type(autoencoder).__name__ if autoencoder is not None else 'none'}.",
                           "pre-train build_cvae(...) (bagan_lib.models.pretraining.pretrain_cvae) and pass it as autoencoder=.")
        return autoencoder.encoder, autoencoder.decoder, autoencoder.embedding
    if isinstance(autoencoder, ConditionalVAE):
        raise KitError(f"{model} starts from an autoencoder, got a conditional VAE.",
                       "pass the autoencoder build_autoencoder(...) makes, or choose model='capgan'.")
    supervised = recipe.autoencoder == "supervised"
    if autoencoder is None:
        raise KitError(f"{model} starts from a pre-trained {recipe.autoencoder} autoencoder.",
                       f"train build_autoencoder(supervised={supervised}, ...) first and pass it as autoencoder=.")
    if autoencoder.supervised != supervised:
        raise KitError(f"{model} needs a {recipe.autoencoder} autoencoder, got the other kind.",
                       f"build it with supervised={supervised}.")
    return autoencoder.encoder, autoencoder.decoder, autoencoder.embedding
