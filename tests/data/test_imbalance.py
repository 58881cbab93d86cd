"""Imbalance protocols against the papers' published tables and their own definitions."""

from __future__ import annotations

import collections
import gzip
import types

import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.data.batches import cap_per_class
from bagan_lib.data.imbalance import (
    PAPER_TABLES, apply_protocol, augmentation_paper_fractions, augmentation_paper_indices, bagan_gp_paper_indices,
    bagan_prune_indices, capgan_indices, floor_share, oversample_indices, profile_caps, stratified_split)


@pytest.fixture(scope="module")
def fashion_labels(shared_data_dir):
    raw = gzip.open(shared_data_dir / "fashion-mnist" / "train-labels-idx1-ubyte.gz").read()
    return np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)


def counts(y, idx, n=10):
    return tuple(int(v) for v in np.bincount(y[idx], minlength=n))


def test_table_b_from_official_fashion_mnist(fashion_labels):
    train, val = bagan_gp_paper_indices(fashion_labels)
    assert counts(fashion_labels, train) == PAPER_TABLES["B"]
    assert len(train) + len(val) == 6000 + 100 * sum(range(1, 10))
    assert len(set(train) & set(val)) == 0


def test_table_b_typo_is_only_column_7(fashion_labels):
    """The paper prints 387 Sneakers; the protocol gives 487, the only value making 70 % of 10500."""
    printed, kit = np.array(PAPER_TABLES["B_as_printed"]), np.array(PAPER_TABLES["B"])
    assert list(np.flatnonzero(printed != kit)) == [7]
    assert kit.sum() == 7350 == round(0.7 * 10500) and printed.sum() == 7250


def test_table_a_from_official_fashion_mnist(fashion_labels):
    train, val = bagan_gp_paper_indices(fashion_labels, balanced=True)
    assert counts(fashion_labels, train) == PAPER_TABLES["A"]
    assert len(val) == 18000


def test_table_d_from_cifar10_label_counts():
    """CIFAR-10 is not available here; with 5000 images per class Table D follows from the counts alone
    (the kept images are concatenated class after class). Table C needs the real label order: untested."""
    labels = np.repeat(np.arange(10), 5000)
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(labels)  # any order within the file gives the same counts
    for y in (labels, shuffled):
        train, _ = bagan_gp_paper_indices(y)
        assert counts(y, train) == PAPER_TABLES["D"]


def test_bagan_gp_protocol_keeps_first_images_of_each_class(fashion_labels):
    train, val = bagan_gp_paper_indices(fashion_labels)
    kept = np.concatenate([train, val])
    for c in range(1, 10):
        members = np.flatnonzero(fashion_labels == c)
        assert set(kept[fashion_labels[kept] == c]) == set(members[: 100 * c])


def test_bagan_gp_protocol_refuses_too_small_classes():
    with pytest.raises(KitError, match="first 100 images of class 1, but the data has only 50"):
        bagan_gp_paper_indices(np.repeat(np.arange(10), 50))


@pytest.mark.parametrize("rate", [5, 10, 20, 50, 100])
def test_capgan_rates(rate):
    y = np.repeat(np.arange(10), 6000)
    kept = capgan_indices(y, rate=rate, majority=3, seed=1)
    got = np.bincount(y[kept], minlength=10)
    expected = np.full(10, 6000 // rate)
    expected[3] = 6000
    assert np.array_equal(got, expected)
    assert len(np.unique(kept)) == len(kept)


def test_capgan_keeps_at_least_one_image():
    y = np.repeat(np.arange(3), [500, 30, 7])
    assert tuple(np.bincount(y[capgan_indices(y, rate=100)])) == (500, 1, 1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(rate=0.5), "at least 1"), (dict(rate=float("nan")), "at least 1"),
    (dict(rate=10, majority=10), "not a class"), (dict(rate=10, majority=-1), "not a class"),
])
def test_capgan_bad_arguments(kwargs, message):
    with pytest.raises(KitError, match=message):
        capgan_indices(np.repeat(np.arange(10), 10), **kwargs)


def test_bagan_prune_counts_and_errors():
    y = np.repeat(np.arange(4), [100, 80, 60, 40])
    kept = bagan_prune_indices(y, pruned_class=2, fraction=0.25)
    assert tuple(np.bincount(y[kept])) == (100, 80, 25, 40)
    with pytest.raises(KitError, match=r"fraction must be in \(0, 1\]"):
        bagan_prune_indices(y, pruned_class=2, fraction=0)
    with pytest.raises(KitError, match=r"fraction must be in \(0, 1\]"):
        bagan_prune_indices(y, pruned_class=2, fraction=1.5)
    with pytest.raises(KitError, match="not a class"):
        bagan_prune_indices(y, pruned_class=4, fraction=0.5)
    with pytest.raises(KitError, match="has only 40"):
        bagan_prune_indices(y, pruned_class=3, fraction=0.9)  # asks 90 of a class of 40


def test_random_oversampling_balances_with_copies_only():
    y = np.repeat(np.arange(4), [500, 30, 7, 120])
    idx = oversample_indices(y, seed=3)
    assert tuple(np.bincount(y[idx])) == (500, 500, 500, 500)
    assert set(idx) == set(range(len(y)))  # every original image at least once, nothing else
    assert np.array_equal(np.sort(idx[y[idx] == 0]), np.arange(500))  # the majority is not resampled


def test_stratified_split_keeps_proportions():
    y = np.repeat(np.arange(4), [1000, 200, 60, 140])
    train, val = stratified_split(y, val_fraction=0.2, seed=0)
    assert abs(np.bincount(y[val]) - 0.2 * np.bincount(y)).max() <= 1
    assert len(set(train) & set(val)) == 0
    with pytest.raises(KitError):
        stratified_split(y, val_fraction=1.0)


class _Data:
    name = "toy"
    class_names = ("a", "b", "c")
    y_train = np.repeat(np.arange(3), [90, 60, 30])
    x_train = np.arange(180, dtype=np.uint8).reshape(180, 1, 1, 1)
    x_test = np.zeros((3, 1, 1, 1), np.uint8)
    y_test = np.arange(3)


def test_apply_protocol_keeps_images_with_their_labels():
    split = apply_protocol(_Data, "capgan", rate=10, majority=0)
    assert tuple(split.counts()["train"]) == (90, 6, 3)
    # image i was built as value i: each kept image still sits beside its own label
    assert np.array_equal(_Data.y_train[split.x_train[:, 0, 0, 0]], split.y_train)
    assert split.summary_rows()[1] == {"class": 1, "name": "b", "train": 6, "val": 0, "test": 1}


def test_apply_protocol_rejects_unknown_and_unused_arguments():
    with pytest.raises(KitError, match="Unknown imbalance protocol"):
        apply_protocol(_Data, "smote")
    with pytest.raises(KitError, match="does not take rate"):
        apply_protocol(_Data, "bagan_prune", rate=3, pruned_class=1, fraction=0.5)
    with pytest.raises(KitError, match="needs a rate"):
        apply_protocol(_Data, "capgan")


# --------------------------------------------------------------------------
# "On Data Augmentation Using GANs", footnote 1
# --------------------------------------------------------------------------
def test_augmentation_paper_fashion_mnist_counts(fashion_labels):
    """Classes 1, 3, 7 keep 50, 65, 80 % of the official 6000: 3000, 3900, 4800; the others all 6000."""
    kept = augmentation_paper_indices(fashion_labels, seed=42)
    assert counts(fashion_labels, kept) == (6000, 3000, 6000, 3900, 6000, 6000, 6000, 4800, 6000, 6000)
    assert np.array_equal(kept, np.unique(kept))  # no image twice, dataset order
    for c in (0, 2, 9):  # an untouched class keeps exactly its own images
        assert np.array_equal(kept[fashion_labels[kept] == c], np.flatnonzero(fashion_labels == c))
    again, other = augmentation_paper_indices(fashion_labels, seed=42), augmentation_paper_indices(fashion_labels, seed=7)
    assert np.array_equal(kept, again) and not np.array_equal(kept, other)
    assert counts(fashion_labels, other) == counts(fashion_labels, kept)


def test_augmentation_paper_through_apply_protocol_names_its_classes(fashion_labels):
    data = types.SimpleNamespace(name="fashion_mnist", class_names=tuple("abcdefghij"), y_train=fashion_labels,
                                 x_train=np.arange(len(fashion_labels)).reshape(-1, 1, 1, 1),
                                 x_test=np.zeros((0, 1, 1, 1)), y_test=np.zeros(0, np.int64))
    split = apply_protocol(data, "augmentation_paper", seed=42)
    assert split.settings == {"fractions": {1: 0.5, 3: 0.65, 7: 0.8}, "seed": 42}
    assert tuple(split.counts()["train"]) == (6000, 3000, 6000, 3900, 6000, 6000, 6000, 4800, 6000, 6000)
    assert np.array_equal(fashion_labels[split.x_train[:, 0, 0, 0]], split.y_train)  # images beside their labels
    with pytest.raises(KitError, match="does not take rate"):
        apply_protocol(data, "augmentation_paper", rate=10)


def test_augmentation_paper_cifar100_draws_20_classes_five_per_fraction():
    """Footnote 1: 20 drawn classes at 65, 70, 75, 80 %; 20 classes over four fractions make five at each."""
    y = np.repeat(np.arange(100), 500)
    fractions = augmentation_paper_fractions(100, seed=42)
    assert len(fractions) == 20 and list(fractions) == sorted(fractions)
    assert sorted(collections.Counter(fractions.values()).items()) == [(0.65, 5), (0.7, 5), (0.75, 5), (0.8, 5)]
    kept = augmentation_paper_indices(y, seed=42)
    got = np.bincount(y[kept], minlength=100)
    expected = np.full(100, 500)
    for c, f in fractions.items():
        expected[c] = {0.65: 325, 0.7: 350, 0.75: 375, 0.8: 400}[f]
    assert np.array_equal(got, expected)
    assert sorted(collections.Counter(got.tolist()).items()) == [(325, 5), (350, 5), (375, 5), (400, 5), (500, 80)]
    # the first five drawn by default_rng(seed) keep 65 %, the next five 70 %, ...
    drawn = np.random.default_rng(42).choice(100, size=20, replace=False)
    assert [fractions[int(c)] for c in drawn] == [0.65] * 5 + [0.7] * 5 + [0.75] * 5 + [0.8] * 5
    assert augmentation_paper_fractions(100, seed=42) == fractions  # same seed, same classes
    assert set(augmentation_paper_fractions(100, seed=43)) != set(fractions)


def test_floor_share_is_exact_on_decimals():
    assert [floor_share(6000, f) for f in (0.5, 0.65, 0.8)] == [3000, 3900, 4800]
    assert [floor_share(500, f) for f in (0.65, 0.7, 0.75, 0.8)] == [325, 350, 375, 400]
    assert int(np.floor(100 * 0.57)) == 56 and floor_share(100, 0.57) == 57  # floating point loses one image
    assert floor_share(64, 0.65) == 41 and floor_share(7, np.float64(0.5)) == 3


def test_augmentation_paper_capped_profile_keeps_the_fractions():
    """A capped profile caps a sparsified class at floor(cap * fraction): smoke 64 -> 32, 41, 51; teach 800 ->
    400, 520, 640."""
    split = types.SimpleNamespace(protocol="augmentation_paper", class_names=tuple("abcdefghij"),
                                  settings={"fractions": {1: 0.5, 3: 0.65, 7: 0.8}, "seed": 42})
    assert profile_caps(split, 64).tolist() == [64, 32, 64, 41, 64, 64, 64, 51, 64, 64]
    assert profile_caps(split, 800).tolist() == [800, 400, 800, 520, 800, 800, 800, 640, 800, 800]
    assert profile_caps(split, None) is None
    y = np.repeat(np.arange(10), [6000, 3000, 6000, 3900, 6000, 6000, 6000, 4800, 6000, 6000])
    keep = cap_per_class(y, profile_caps(split, 800), seed=0)
    assert np.bincount(y[keep]).tolist() == [800, 400, 800, 520, 800, 800, 800, 640, 800, 800]


def test_augmentation_paper_refuses_other_class_counts():
    y = np.repeat(np.arange(7), 100)
    with pytest.raises(KitError) as info:
        augmentation_paper_indices(y)
    message = str(info.value)
    assert "10 classes (Fashion-MNIST" in message and "100 classes (CIFAR-100" in message
    assert "has 7 classes" in message and "Fix: use --protocol capgan" in message
