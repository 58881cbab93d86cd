"""The one rule that decides the value range of your own image arrays (issue 18, defect 3)."""

from __future__ import annotations

import numpy as np
import pytest

from bagan_lib.data import load_dataset
from bagan_lib.data.pixel_range import decide_range, to_pixels
from bagan_lib.errors import KitError

LABELS = np.repeat([0, 1], 3)


def load(tmp_path, **arrays):
    np.savez(tmp_path / "d.npz", y=LABELS, **arrays)
    return load_dataset(f"npz:{tmp_path / 'd.npz'}")


def test_a_binary_float_image_is_black_and_white_not_two_shades_of_black(tmp_path):
    """Issue 18, defect 3: float32 images holding only 0.0 and 1.0 were read as 8-bit pixels 0 and 1."""
    binary = (np.random.default_rng(0).random((6, 5, 5)) > 0.5).astype(np.float32)
    ds = load(tmp_path, x=binary)
    assert set(np.unique(ds.x_train)) == {0, 255}
    np.testing.assert_array_equal(ds.x_train[..., 0], binary.astype(np.uint8) * 255)


@pytest.mark.parametrize("values, expected", [
    (np.array([0.0, 0.5, 1.0]), (0.0, 1.0)),              # [0, 1]
    (np.array([0.0, 1.0]), (0.0, 1.0)),                   # binary: [0, 1], never 8-bit
    (np.array([-1.0, 0.0, 1.0]), (-1.0, 1.0)),            # the kit's scale
    (np.array([-0.2, 0.3]), (-1.0, 1.0)),                 # a negative value inside [-1, 1]
    (np.array([0.0, 17.0, 255.0]), (0.0, 255.0)),         # whole numbers above 1
    (np.array([0, 1], np.uint8), (0.0, 255.0)),           # integers are 8-bit pixels
    (np.array([3, 200], np.int64), (0.0, 255.0)),
    (np.array([True, False]), (0.0, 1.0)),                # booleans: black and white
], ids=["unit", "binary", "kit", "negative", "whole", "uint8", "int64", "bool"])
def test_the_rule_decides_the_range(values, expected):
    assert decide_range([values], where="test") == expected


@pytest.mark.parametrize("values, match", [
    (np.array([0.5, 254.5]), "x_range"),                  # fractions above 1
    (np.array([-2.0, 0.5]), "x_range"),                   # below -1
    (np.array([0.0, 300.0]), "x_range"),                  # above 255
    (np.array([0, 4095], np.int16), "x_range"),           # 12-bit integers
    (np.array([0.0, np.nan]), "NaN"),
    (np.array([0.0, np.inf]), "NaN or infinite"),
    (np.array(["0", "1"]), "not numbers"),
], ids=["fractions", "below-minus-1", "above-255", "twelve-bit", "nan", "inf", "text"])
def test_anything_else_is_refused_with_a_request_for_the_range(values, match):
    with pytest.raises(KitError, match=match) as info:
        decide_range([values], where="test")
    assert info.value.fix


def test_x_and_x_test_are_decided_together(tmp_path):
    """A test split of all-dark floats must not be read in another range than its training split."""
    x = np.random.default_rng(1).uniform(0, 255, (6, 4, 4)).round().astype(np.float32)
    dark = np.zeros((2, 4, 4), np.float32) + np.array([0.0, 1.0])[:, None, None]   # 0 and 1: [0, 1] alone
    ds = load(tmp_path, x=x, x_test=dark, y_test=np.array([0, 1]))
    assert ds.x_test.max() == 1  # 8-bit, as x: the 1.0 stays 1, not 255


def test_a_stated_range_wins_and_must_hold_the_values(tmp_path):
    ones = np.zeros((6, 4, 4), np.float32) + 1.0
    assert load(tmp_path, x=ones, x_range=np.array([0, 255])).x_train.max() == 1   # 0..255 data of 0s and 1s
    twelve_bit = np.full((6, 4, 4), 4095, np.int16)
    assert load(tmp_path, x=twelve_bit, x_range=np.array([0, 4095])).x_train.max() == 255
    with pytest.raises(KitError, match="outside their x_range"):
        load(tmp_path, x=twelve_bit, x_range=np.array([0, 1]))
    with pytest.raises(KitError, match="low < high"):
        load(tmp_path, x=ones, x_range=np.array([1, 1]))


def test_conversion_maps_low_to_0_and_high_to_255_rounded():
    np.testing.assert_array_equal(to_pixels(np.array([-1.0, 0.0, 1.0]), (-1.0, 1.0)), [0, 128, 255])
    np.testing.assert_array_equal(to_pixels(np.array([0.0, 0.5, 1.0]), (0.0, 1.0)), [0, 128, 255])
    pixels = np.arange(256, dtype=np.uint8)
    assert to_pixels(pixels, (0.0, 255.0)) is pixels   # uint8 as it is, no copy
