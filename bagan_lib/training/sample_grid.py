"""Watching a conditional generator learn: the paper's sample grid (Eq. 16) as a Keras callback.

    Im(row > 0, column c) = G(z_{row - 1}, c)                          (16)

Row 0 shows one real image per class; every further row feeds one fixed noise
vector to every class, so a row compares classes and a column shows a class's
variety. The noise is drawn once, so grids from different epochs are
comparable; an animated GIF of them is written at the end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bagan_lib.data.preprocess import to_uint8


def sample_grid(model, real_images, *, n_classes: int, latent_dim: int, rows: int = 4, seed: int = 0):
    """The Eq. 16 grid as one uint8 image: ``(rows + 1) x n_classes`` tiles; ``real_images[c]`` heads column c.

    ``model`` is a trainer (its ``images_from_noise`` maps the fixed noise through
    its latent sampler: BAGAN's class-conditional latents) or a conditional
    generator ``[z, label] -> image``.
    """
    import keras

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


def _callback_base():
    import keras

    return keras.callbacks.Callback


class SampleGrid(_callback_base()):
    """Saves ``grid_epoch_NNN.png`` after every epoch and ``training.gif`` at the end of training."""

    def __init__(self, out_dir, real_images, *, n_classes: int, latent_dim: int, rows: int = 4, seed: int = 0):
        super().__init__()
        self.out_dir, self.real_images = Path(out_dir), real_images
        self.n_classes, self.latent_dim, self.rows, self.seed = n_classes, latent_dim, rows, seed
        self.frames: list[Path] = []

    def on_epoch_end(self, epoch, logs=None):
        from PIL import Image

        grid = sample_grid(self.model, self.real_images, n_classes=self.n_classes,
                           latent_dim=self.latent_dim, rows=self.rows, seed=self.seed)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"grid_epoch_{epoch + 1:03d}.png"
        Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)
        self.frames.append(path)

    def on_train_end(self, logs=None):
        import imageio.v2 as imageio

        frames = sorted(self.out_dir.glob("grid_epoch_*.png"))  # also the epochs before a resume
        if frames:
            imageio.mimsave(self.out_dir / "training.gif", [imageio.imread(p) for p in frames], duration=0.6)
