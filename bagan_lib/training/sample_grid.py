"""Watching a conditional generator learn: the paper's sample grid (Eq. 16) as a Keras callback.

    Im(row > 0, column c) = G(z_{row - 1}, c)                          (16)

Row 0 shows one real image per class; every further row feeds one fixed noise
vector to every class, so a row compares classes and a column shows a class's
variety. The noise is drawn once, so grids from different epochs are
comparable; an animated GIF of them is written at the end.
"""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import keras
from PIL import Image

from bagan_lib.gan.sampling import sample_grid


class SampleGrid(keras.callbacks.Callback):
    """Saves ``grid_epoch_NNN.png`` after every epoch and ``training.gif`` at the end of training."""

    def __init__(self, out_dir, real_images, *, n_classes: int, latent_dim: int, rows: int = 4, seed: int = 0):
        super().__init__()
        self.out_dir, self.real_images = Path(out_dir), real_images
        self.n_classes, self.latent_dim, self.rows, self.seed = n_classes, latent_dim, rows, seed
        self.frames: list[Path] = []

    def on_epoch_end(self, epoch, logs=None):
        grid = sample_grid(self.model, self.real_images, n_classes=self.n_classes,
                           latent_dim=self.latent_dim, rows=self.rows, seed=self.seed)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"grid_epoch_{epoch + 1:03d}.png"
        Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)
        self.frames.append(path)

    def on_train_end(self, logs=None):
        frames = sorted(self.out_dir.glob("grid_epoch_*.png"))  # also the epochs before a resume
        if frames:
            imageio.mimsave(self.out_dir / "training.gif", [imageio.imread(p) for p in frames], duration=0.6)
