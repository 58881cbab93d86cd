"""Scaling to [-1, 1] and back, resizing and channel conversion."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bagan_lib.data import IMAGE_SIZES, match_channels, prepare_images, resize_images, to_model_range, to_uint8
from bagan_lib.errors import KitError


def test_round_trip_is_exact_for_all_256_values():
    values = np.arange(256, dtype=np.uint8)
    scaled = to_model_range(values)
    assert scaled.dtype == np.float32
    assert scaled[0] == -1.0 and scaled[255] == 1.0
    assert np.all(np.diff(scaled) > 0)
    np.testing.assert_array_equal(to_uint8(scaled), values)


def test_round_trip_is_exact_on_random_images():
    x = np.random.default_rng(0).integers(0, 256, (16, 28, 28, 3), dtype=np.uint8)
    y = to_model_range(x)
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    np.testing.assert_array_equal(to_uint8(y), x)


def test_to_uint8_clips_and_rounds():
    out = to_uint8(np.array([-3.0, -1.0, 0.0, 1.0, 7.0]))
    np.testing.assert_array_equal(out, [0, 0, 128, 255, 255])  # 127.5 rounds half to even
    assert out.dtype == np.uint8


def test_scaling_rejects_wrong_inputs():
    with pytest.raises(KitError, match="uint8"):
        to_model_range(np.zeros((2, 2), np.float32))  # already scaled once
    with pytest.raises(KitError, match="NaN"):
        to_uint8(np.array([0.0, np.nan]))


def test_match_channels_values():
    grey = np.arange(12, dtype=np.uint8).reshape(1, 2, 2, 3)[..., :1]
    rgb = match_channels(grey, 3)
    assert rgb.shape == (1, 2, 2, 3)
    for c in range(3):
        np.testing.assert_array_equal(rgb[..., c], grey[..., 0])
    assert match_channels(grey, 1) is grey

    pixels = np.array([[[[255, 0, 0], [0, 255, 0], [0, 0, 255], [100, 100, 100]]]], np.uint8)
    luma = match_channels(pixels, 1)
    assert luma.shape == (1, 1, 4, 1) and luma.dtype == np.uint8
    np.testing.assert_array_equal(luma[0, 0, :, 0], [76, 150, 29, 100])  # 0.299/0.587/0.114

    floats = match_channels(to_model_range(pixels), 1)
    assert floats.dtype == np.float32
    np.testing.assert_allclose(floats[0, 0, 3, 0], to_model_range(np.uint8(100)), atol=1e-6)


def test_match_channels_rejects_bad_counts():
    with pytest.raises(KitError, match="1 or 3"):
        match_channels(np.zeros((1, 2, 2, 1), np.uint8), 4)
    with pytest.raises(KitError, match="1 or 3 channels"):
        match_channels(np.zeros((1, 2, 2, 4), np.uint8), 3)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", IMAGE_SIZES)
def test_resize_shapes_and_constant_images(size, channels):
    x = np.stack([np.full((28, 28, channels), v, np.uint8) for v in (0, 1, 77, 128, 254, 255)])
    out = resize_images(x, size)
    assert out.shape == (6, size, size, channels) and out.dtype == np.uint8
    for image, v in zip(out, (0, 1, 77, 128, 254, 255)):
        assert (image == v).all()


def test_resize_identity_and_downscale():
    x = np.random.default_rng(1).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    assert resize_images(x, 64) is x
    small = resize_images(x, 32)
    assert small.shape == (3, 32, 32, 3)
    # Antialiased shrinking averages: a 2x2 checkerboard of 0/255 becomes mid-grey.
    board = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)[None, ..., None]
    inner = resize_images(board, 32)[0, 1:-1, 1:-1, 0].astype(int)  # edges see one side only
    assert np.abs(inner - 128).max() <= 1


def test_resize_rejects_bad_inputs():
    x = np.zeros((2, 28, 28, 1), np.uint8)
    with pytest.raises(KitError, match="28, 32, 64, 128"):
        resize_images(x, 48)
    with pytest.raises(KitError, match="uint8"):
        resize_images(x.astype(np.float32), 32)
    with pytest.raises(KitError, match="uint8"):
        resize_images(x[..., 0], 32)  # no channel axis


def test_prepare_images_chain():
    x = np.random.default_rng(2).integers(0, 256, (5, 28, 28, 1), dtype=np.uint8)
    out = prepare_images(x, 64, channels=3)
    assert out.shape == (5, 64, 64, 3) and out.dtype == np.float32
    assert out.min() >= -1 and out.max() <= 1
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    same = prepare_images(x, 28)
    np.testing.assert_array_equal(to_uint8(same), x)


def test_resizing_60000_images_takes_seconds_not_minutes():
    x = np.random.default_rng(3).integers(0, 256, (60000, 28, 28, 1), dtype=np.uint8)
    start = time.perf_counter()
    out = resize_images(x, 64)
    elapsed = time.perf_counter() - start
    assert out.shape == (60000, 64, 64, 1)
    # About 3 s on a 2-core machine; the margin keeps a busy CI runner green.
    assert elapsed < 15, f"resizing took {elapsed:.1f}s"
