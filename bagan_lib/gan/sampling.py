"""Drawing images from a trained conditional generator: for given labels, per class, and the Eq. 16 grid.

    Im(row > 0, column c) = G(z_{row - 1}, c)                          (16)

A "generator" here is a trained trainer (:class:`bagan_lib.gan.trainer.AdversarialTrainer`:
its ``images_from_noise`` maps noise through its latent sampler, so BAGAN's
class-conditional latents are used), or a function ``labels -> images in [-1, 1]``.
"""

from __future__ import annotations

import keras
import numpy as np

from bagan_lib.data.preprocess import to_uint8
from bagan_lib.errors import KitError


def trainer_generate_fn(trainer, *, seed: int = 0):
    """``labels -> images`` of a trained GAN (``trainer.images_from_noise``), noise drawn from ``seed``."""
    noise_seed = keras.random.SeedGenerator(seed)

    def generate(labels):
        noise = keras.random.normal((len(labels), trainer.latent_dim), seed=noise_seed)
        return np.asarray(trainer.images_from_noise(noise, np.asarray(labels, "int32")))

    return generate


def generate_per_class(generator, n_classes: int, n_per_class: int, *, seed: int = 0,
                       batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` generated images of every class, class after class: ``(images, labels)``.

    ``generator``: a function ``labels -> images in [-1, 1]``, or a trained GAN
    trainer (then :func:`trainer_generate_fn` with ``seed`` makes the images),
    called in batches of ``batch_size`` labels.
    """
    labels = np.repeat(np.arange(n_classes), n_per_class).astype("int32")
    return generate_for_labels(generator, labels, seed=seed, batch_size=batch_size), labels


def generate_for_labels(generator, labels, *, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """One generated image per label, in order; ``generator`` as in :func:`generate_per_class`."""
    generate = trainer_generate_fn(generator, seed=seed) if hasattr(generator, "images_from_noise") else generator
    labels = np.asarray(labels, "int32")
    parts = []
    for i in range(0, len(labels), batch_size):
        part = np.asarray(generate(labels[i:i + batch_size]))
        if len(part) != len(labels[i:i + batch_size]):
            raise KitError(f"The generator returned {len(part)} images for {len(labels[i:i + batch_size])} labels.",
                           "return one image per label.")
        parts.append(part)
    return np.concatenate(parts)


def sample_grid(model, real_images, *, n_classes: int, latent_dim: int, rows: int = 4, seed: int = 0):
    """The Eq. 16 grid as one uint8 image: ``(rows + 1) x n_classes`` tiles; ``real_images[c]`` heads column c.

    ``model`` is a trainer (its ``images_from_noise`` maps the fixed noise through
    its latent sampler: BAGAN's class-conditional latents) or a conditional
    generator ``[z, label] -> image``.
    """
    z = keras.random.normal((rows, latent_dim), seed=seed)
    z = keras.ops.repeat(z, n_classes, axis=0)                        # row-major: z_i for every class
    labels = keras.ops.convert_to_tensor(np.tile(np.arange(n_classes), rows).astype("int32"))
    if hasattr(model, "images_from_noise"):
        fakes = np.asarray(model.images_from_noise(z, labels))
    else:
        fakes = np.asarray(model([z, labels], training=False))
    tiles = np.concatenate([np.asarray(real_images), fakes], axis=0)  # (rows + 1) * n_classes tiles
    tiles = to_uint8(tiles)
    h, w, c = tiles.shape[1:]
    grid = tiles.reshape(rows + 1, n_classes, h, w, c).transpose(0, 2, 1, 3, 4).reshape((rows + 1) * h, n_classes * w, c)
    return grid[..., 0] if c == 1 else grid


def one_per_class(x, y, n_classes: int) -> np.ndarray:
    """The first image of every class (row 0 of the grid)."""
    return np.stack([x[np.flatnonzero(np.asarray(y) == c)[0]] for c in range(n_classes)])
