"""What one benchmarked step is made of, and the options of ``python -m bagan_lib bench``, checked.

No TensorFlow here: the command line checks every option against these before
it configures TensorFlow and imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bagan_lib.errors import KitError
from bagan_lib.models.recipes import MODEL_NAMES, get_recipe
from bagan_lib.profiles import PROFILES, get_profile
from bagan_lib.training.config import PRECISIONS

DEFAULT_MODELS = ("bagan", "cdragan", "bagan_gp_v3")  # v1 costs what cdragan does, v2 what v3 does
DEFAULT_PROFILES = ("teach", "paper")
XLA_MODES = {"off": (False,), "on": (True,), "both": (False, True)}
N_CLASSES = 10  # Fashion-MNIST, CIFAR-10
NETWORK_SIZES = (32, 64, 128)  # bagan_lib.models.networks.encoder_filters


@dataclass(frozen=True)
class BenchSize:
    """Everything that sets the cost of one step."""

    image_size: int
    channels: int
    batch_size: int
    width: float
    latent_dim: int
    critic_steps: int
    n_classes: int = N_CLASSES


def bench_size(model: str, profile: str, *, image_size: int | None = None, batch_size: int | None = None,
               width: float | None = None, channels: int = 1,
               dataset: str | None = None) -> BenchSize:
    """The step size of ``model`` at ``profile``: its image size, width, latent, batch and critic steps.

    Critic steps as in training: the recipe's where it fixes them (BAGAN, AC-GAN,
    the BCE baselines: 1), else the profile's; with ``dataset``, the profile's
    values for that dataset (``teach`` takes 5 critic steps on synthetic_cells).
    """
    recipe = get_recipe(model)
    chosen = get_profile(profile, dataset=dataset, image_size=image_size, batch_size=batch_size, width=width)
    if channels not in (1, 3):
        raise KitError(f"channels={channels!r} is not an image format the kit trains on.", "use 1 or 3.")
    if chosen.image_size not in NETWORK_SIZES:
        raise KitError(f"image_size={chosen.image_size} is not a size the networks are built for.",
                       f"pass --image-size with one of {NETWORK_SIZES}.")
    return BenchSize(image_size=chosen.image_size, channels=channels,
                     batch_size=chosen.batch_size, width=chosen.width, latent_dim=chosen.latent_dim,
                     critic_steps=recipe.critic_steps or chosen.critic_steps)


def check_options(models, profiles, xla: str, repeats: int, precisions=("float32",)) -> None:
    """Fail fast (before TensorFlow is imported) on unknown models, profiles or settings."""
    for precision in precisions:
        if precision not in PRECISIONS:
            raise KitError(f"Unknown precision {precision!r}.", f"choose from {', '.join(PRECISIONS)}.")
    for model in models:
        if model not in MODEL_NAMES:
            raise KitError(f"Unknown model {model!r}.", f"choose from {', '.join(MODEL_NAMES)}.")
    for profile in profiles:
        if profile not in PROFILES:
            raise KitError(f"Unknown profile {profile!r}.", f"choose from {', '.join(PROFILES)}.")
    if xla not in XLA_MODES:
        raise KitError(f"xla={xla!r} is not a setting.", f"use one of {', '.join(XLA_MODES)}.")
    if not isinstance(repeats, int) or repeats < 1:
        raise KitError(f"repeats={repeats!r} must be a whole number >= 1.", "pass e.g. --repeats 3.")


def bench_cases(models, profiles, *, xla: str = "both", repeats: int = 3, precisions=("float32",), **dims) -> list:
    """``(model, profile, BenchSize)`` per case, every option checked (fails before TensorFlow is imported)."""
    check_options(models, profiles, xla, repeats, precisions)
    return [(model, profile, bench_size(model, profile, **dims)) for profile in profiles for model in models]


SIZES = ((32, 64), (64, 128))   # (image side, batch): one channel, the paper's widths
PAPER_WIDTH, PAPER_LATENT, CRITIC_STEPS = 1.0, 128, 5


def paper_size(image_size: int, batch_size: int, *, channels: int = 1, width: float = PAPER_WIDTH,
               latent_dim: int = PAPER_LATENT, critic_steps: int = CRITIC_STEPS):
    """A :class:`bagan_lib.perf.bench.BenchSize` with the paper's width, latent size and critic steps by default."""

    return BenchSize(image_size=image_size, channels=channels, batch_size=batch_size, width=width,
                     latent_dim=latent_dim, critic_steps=critic_steps)


def versus_sizes(*, image_size: int | None = None, batch_size: int | None = None, width: float | None = None,
                 channels: int = 1, profiles=None) -> list:
    """The sizes to compare: :data:`SIZES` at the paper's width, or the one ``image_size`` asked for.

    ``batch_size`` defaults to the paper's pairing (64 at 32x32, else 128); ``width`` to 1.0.
    With ``profiles`` (e.g. ``["teach"]``), BAGAN-GP v3's step at each profile's sizes
    instead (its image size, width, latent size, batch and critic steps; the other
    options override them).
    """

    if profiles:
        return [bench_size("bagan_gp_v3", profile, image_size=image_size, batch_size=batch_size, width=width,
                           channels=channels) for profile in profiles]

    if image_size is None and batch_size is not None:
        raise KitError("--batch-size needs --image-size with --versus-reference.",
                       "pass both, or neither for the standard sizes (32x32 batch 64, 64x64 batch 128).")
    if image_size is not None and image_size not in NETWORK_SIZES:
        raise KitError(f"image_size={image_size} is not a size the networks are built for.",
                       f"use one of {NETWORK_SIZES}.")
    if (batch_size is not None and batch_size < 1) or (width is not None and not width > 0):
        raise KitError(f"batch_size={batch_size}, width={width}: both must be positive.", "pass e.g. 64 and 1.0.")
    pairs = SIZES if image_size is None else [(image_size, batch_size or (64 if image_size == 32 else 128))]
    return [paper_size(size, batch, channels=channels, width=width or PAPER_WIDTH) for size, batch in pairs]
