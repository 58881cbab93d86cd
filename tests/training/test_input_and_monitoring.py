"""Input pipeline (profile caps, step-indexed batches) and the Eq. 16 sample grid callback."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from bagan_lib.data.preprocess import to_model_range
from bagan_lib.errors import KitError
from bagan_lib.data.batches import cap_per_class, epoch_order, step_batches
from bagan_lib.gan.sampling import one_per_class, sample_grid
from bagan_lib.training.sample_grid import SampleGrid


def test_cap_per_class():
    y = np.repeat(np.arange(3), [500, 40, 7])
    kept = cap_per_class(y, 50, seed=1)
    assert tuple(np.bincount(y[kept])) == (50, 40, 7) and np.all(np.diff(kept) > 0)
    assert len(cap_per_class(y, None)) == len(y)


def test_batch_of_a_step_depends_only_on_seed_and_step():
    x = np.arange(50, dtype="float32").reshape(50, 1, 1, 1)  # image i holds the value i
    y = np.arange(50) % 5
    settings = dict(batch_size=8, steps_per_epoch=6, seed=11)
    whole = [(b[0].numpy().ravel(), b[1].numpy()) for b in step_batches(x, y, start_step=0, end_step=20, **settings)]
    later = [(b[0].numpy().ravel(), b[1].numpy()) for b in step_batches(x, y, start_step=9, end_step=20, **settings)]
    assert len(whole) == 20 and len(later) == 11
    for (xa, ya), (xb, yb) in zip(whole[9:], later):  # a run resumed at step 9 sees the same batches
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    for epoch in range(3):  # epoch e: the first 6 x 8 images of the permutation drawn from (seed, e)
        images = np.concatenate([xa for xa, _ in whole[6 * epoch:6 * epoch + 6]]).astype(int)
        np.testing.assert_array_equal(images, epoch_order(50, epoch, 11)[:48])
        np.testing.assert_array_equal(np.concatenate([ya for _, ya in whole[6 * epoch:6 * epoch + 6]]), images % 5)
    assert not np.array_equal(epoch_order(50, 0, 11), epoch_order(50, 1, 11))  # reshuffled every epoch
    with pytest.raises(KitError, match="lower steps_per_epoch"):
        step_batches(x, y, batch_size=8, steps_per_epoch=7, seed=0, start_step=0, end_step=1)


class LabelBlindGenerator(keras.Model):
    """Output depends on z only: every column of a grid row must then be the same image."""

    def call(self, inputs, training=False):
        z, _ = inputs
        return keras.ops.tanh(keras.ops.reshape(keras.ops.tile(z, (1, 4)), (-1, 4, 4, 1)))


def test_sample_grid_layout_follows_eq_16():
    real_uint8 = np.stack([np.full((4, 4, 1), 40 * c, np.uint8) for c in range(3)])
    grid = sample_grid(LabelBlindGenerator(), to_model_range(real_uint8), n_classes=3, latent_dim=4, rows=2, seed=3)
    assert grid.shape == (3 * 4, 3 * 4)
    for c in range(3):  # row 0: the real image of class c in column c
        assert np.all(grid[:4, 4 * c:4 * c + 4] == 40 * c)
    for r in (1, 2):   # rows > 0: the same z_{r-1} for every class
        row = grid[4 * r:4 * r + 4]
        assert np.array_equal(row[:, :4], row[:, 4:8]) and np.array_equal(row[:, :4], row[:, 8:])
    assert not np.array_equal(grid[4:8], grid[8:12])  # different rows, different z


def test_sample_grid_callback_writes_pngs_and_gif(tmp_path):
    x = np.zeros((6, 4, 4, 1), np.uint8)
    real = to_model_range(one_per_class(x, np.array([0, 1, 2, 0, 1, 2]), 3))

    callback = SampleGrid(tmp_path, real, n_classes=3, latent_dim=4, rows=2)
    callback.set_model(LabelBlindGenerator())
    for epoch in range(2):
        callback.on_epoch_end(epoch)
    callback.on_train_end()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid_epoch_001.png", "grid_epoch_002.png", "training.gif"]
    assert Image.open(tmp_path / "grid_epoch_001.png").size == (2 * 12, 2 * 12)
