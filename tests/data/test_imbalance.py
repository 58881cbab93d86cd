"""Imbalance protocols against the papers' published tables and their own definitions."""

from __future__ import annotations

import collections
import gzip
import math
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.data.batches import cap_per_class
from bagan_lib.data.imbalance import (
    PAPER_TABLES, apply_protocol, augmentation_paper_fractions, augmentation_paper_indices, bagan_gp_paper_indices,
    bagan_prune_indices, capgan_indices, floor_share, long_tail_counts, long_tail_indices, oversample_indices,
    profile_caps, stratified_split)


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


# --------------------------------------------------------------------------
# Long tail: CIFAR-10-LT (Cui et al. 2019, Cao et al. 2019) and Cao et al.'s step imbalance
# --------------------------------------------------------------------------
CIFAR10_LT_100 = (5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50)  # Cao et al.'s CIFAR-10-LT, rho 100


def exponential_tail(n_max, rho, n_classes):
    """The counts computed another way: n_max * (1 / rho) ** (c / (C - 1)) in exact decimals (Cao et al.'s code
    form), floored; the fractional power with 50 significant digits, far beyond any float round-off."""
    import decimal

    decimal.getcontext().prec = 50
    inverse = 1 / decimal.Decimal(rho)
    return tuple(int((decimal.Decimal(n_max) * inverse ** (decimal.Decimal(c) / (n_classes - 1)))
                     .to_integral_value(rounding=decimal.ROUND_FLOOR)) for c in range(n_classes))


def test_long_tail_on_cifar10_counts_rho_100():
    """CIFAR-10's 5000 images per class in any file order: exactly CIFAR-10-LT's published counts."""
    labels = np.repeat(np.arange(10), 5000)
    for y in (labels, np.random.default_rng(0).permutation(labels)):
        kept = long_tail_indices(y, rho=100, seed=1)
        assert counts(y, kept) == CIFAR10_LT_100
        assert np.array_equal(kept, np.unique(kept))  # no image twice, dataset order
    assert exponential_tail(5000, 100, 10) == CIFAR10_LT_100
    assert tuple(long_tail_counts(5000, 100, 10)) == CIFAR10_LT_100


def test_long_tail_on_official_fashion_mnist_rho_100(fashion_labels):
    kept = long_tail_indices(fashion_labels, rho=100, seed=42)
    got = counts(fashion_labels, kept)
    assert got == exponential_tail(6000, 100, 10)
    assert got == tuple(math.floor(6000 * 100 ** (-c / 9)) for c in range(10))
    assert got[0] == 6000 and got[-1] == 60 and sorted(got, reverse=True) == list(got)
    assert got == (6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60)
    assert np.array_equal(kept[fashion_labels[kept] == 0], np.flatnonzero(fashion_labels == 0))  # head: all
    for c in range(1, 10):  # every kept image of class c is one of its own
        assert set(kept[fashion_labels[kept] == c]) <= set(np.flatnonzero(fashion_labels == c))
    again = long_tail_indices(fashion_labels, rho=100, seed=42)
    other = long_tail_indices(fashion_labels, rho=100, seed=7)
    assert np.array_equal(kept, again) and not np.array_equal(kept, other)
    assert counts(fashion_labels, other) == got


@pytest.mark.parametrize("n_max, rho, n_classes", [(5000, 10, 10), (5000, 50, 10), (5000, 200, 10), (500, 100, 100),
                                                   (6000, 12.5, 10), (600, 100, 7)])
def test_long_tail_counts_match_the_exact_formula(n_max, rho, n_classes):
    assert tuple(long_tail_counts(n_max, rho, n_classes)) == exponential_tail(n_max, rho, n_classes)


def test_long_tail_floors_the_exact_value_not_its_floating_point_round_off():
    """32 * 32^(-c/5) halves exactly: 32, 16, 8, 4, 2, 1; in floating point c = 2 gives 7.999999999999999."""
    assert math.floor(32 * 32 ** (-2 / 5)) == 7
    assert long_tail_counts(32, 32, 6).tolist() == [32, 16, 8, 4, 2, 1] == list(exponential_tail(32, 32, 6))
    assert long_tail_counts(10, 1000, 3).tolist() == [10, 1, 1]  # floor(10 / 1000) = 0: every class keeps one


def test_long_tail_step():
    y = np.repeat(np.arange(10), 5000)
    kept = long_tail_indices(y, rho=100, step=True, seed=3)
    assert counts(y, kept) == (5000,) * 5 + (50,) * 5
    assert long_tail_counts(6000, 10, 10, step=True).tolist() == [6000] * 5 + [600] * 5
    # odd C: the first C // 2 classes keep n_max, the middle class is in the tail
    assert long_tail_counts(100, 10, 5, step=True).tolist() == [100, 100, 10, 10, 10]
    assert long_tail_counts(5000, 12.5, 4, step=True).tolist() == [5000, 5000, 400, 400]  # rho read as written


def test_long_tail_order_puts_the_head_and_tail_where_it_says():
    y = np.repeat(np.arange(10), 5000)
    order = [3, 9, 0, 5, 1, 8, 2, 7, 4, 6]
    got = counts(y, long_tail_indices(y, rho=100, order=order))
    assert [got[c] for c in order] == list(CIFAR10_LT_100)
    reversed_tail = counts(y, long_tail_indices(y, rho=100, order=list(range(9, -1, -1))))
    assert reversed_tail == CIFAR10_LT_100[::-1]
    step = counts(y, long_tail_indices(y, rho=10, order=order, step=True))
    assert [step[c] for c in order] == [5000] * 5 + [500] * 5
    for bad in ([0, 1, 2], [0] * 10, list(range(1, 11)), "0123456789", [0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3):
        with pytest.raises(KitError, match="not a permutation of the classes 0..9"):
            long_tail_indices(y, rho=100, order=bad)


@pytest.mark.parametrize("rho", [0.5, 0, -100, float("nan"), float("inf"), "100", True, None])
def test_long_tail_refuses_a_bad_rho(rho):
    with pytest.raises(KitError, match="imbalance factor rho .* must be a finite number >= 1") as info:
        long_tail_indices(np.repeat(np.arange(10), 100), rho=rho)
    assert "Fix: use rho=100" in str(info.value)


def test_long_tail_refuses_classes_smaller_than_the_tail_asks_and_names_the_order_that_fits():
    """MNIST's classes differ (5421..6742): class 0 cannot keep the largest class's 6742."""
    mnist_train = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
    y = np.repeat(np.arange(10), mnist_train)
    with pytest.raises(KitError, match="asks for 6742 images of class 0, but the data has only 5923") as info:
        long_tail_indices(y, rho=100)
    assert "order=[1, 7, 3, 2, 9, 0, 6, 8, 4, 5]" in str(info.value) and "larger rho" not in str(info.value)
    kept = long_tail_indices(y, rho=100, order=[1, 7, 3, 2, 9, 0, 6, 8, 4, 5])
    got = counts(y, kept)
    assert [got[c] for c in (1, 7, 3, 2, 9, 0, 6, 8, 4, 5)] == list(exponential_tail(6742, 100, 10))
    with pytest.raises(KitError, match="use a larger rho as well"):  # the second class is far below the first
        long_tail_indices(np.repeat(np.arange(3), [100, 20, 100]), rho=4, order=[0, 1, 2])


def test_long_tail_through_apply_protocol_stores_rho_order_and_counts(fashion_labels):
    data = types.SimpleNamespace(name="fashion_mnist", class_names=tuple("abcdefghij"), y_train=fashion_labels,
                                 x_train=np.arange(len(fashion_labels)).reshape(-1, 1, 1, 1),
                                 x_test=np.zeros((0, 1, 1, 1)), y_test=np.zeros(0, np.int64))
    split = apply_protocol(data, "long_tail", rho=100)
    kept = [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
    assert split.settings == {"rho": 100.0, "order": list(range(10)), "kept": kept, "seed": 42}
    assert split.counts()["train"].tolist() == kept and len(split.y_val) == 0
    assert np.array_equal(fashion_labels[split.x_train[:, 0, 0, 0]], split.y_train)  # images beside their labels
    step = apply_protocol(data, "long_tail_step", rho=10, order=list(range(9, -1, -1)), seed=5)
    assert step.settings == {"rho": 10.0, "order": list(range(9, -1, -1)), "kept": [600] * 5 + [6000] * 5, "seed": 5}
    with pytest.raises(KitError, match="needs an imbalance factor rho"):
        apply_protocol(data, "long_tail")
    with pytest.raises(KitError, match="does not take rate"):
        apply_protocol(data, "long_tail", rho=100, rate=10)
    with pytest.raises(KitError, match="does not take order, rho"):
        apply_protocol(data, "capgan", rate=10, rho=100, order=list(range(10)))


def test_long_tail_capped_profile_keeps_the_tail_shape():
    """smoke caps at 64: 64 * 100^(-c/9) floored, at least 1; teach at 800; the order moves the caps with it."""
    split = types.SimpleNamespace(protocol="long_tail", class_names=tuple("abcdefghij"),
                                  settings={"rho": 100.0, "order": list(range(10)), "kept": list(CIFAR10_LT_100)})
    assert profile_caps(split, 64).tolist() == [64, 38, 23, 13, 8, 4, 2, 1, 1, 1]
    assert profile_caps(split, 64).tolist() == [max(1, v) for v in exponential_tail(64, 100, 10)]
    assert profile_caps(split, 800).tolist() == list(exponential_tail(800, 100, 10))
    assert profile_caps(split, 5000).tolist() == list(CIFAR10_LT_100)  # the full-size cap changes nothing
    assert profile_caps(split, None) is None
    y = np.repeat(np.arange(10), CIFAR10_LT_100)
    keep = cap_per_class(y, profile_caps(split, 800), seed=0)
    assert np.bincount(y[keep]).tolist() == list(exponential_tail(800, 100, 10))
    reversed_order = {**split.settings, "order": list(range(9, -1, -1))}
    reordered = types.SimpleNamespace(**{**vars(split), "settings": reversed_order})
    assert profile_caps(reordered, 64).tolist() == [1, 1, 1, 2, 4, 8, 13, 23, 38, 64]
    step = types.SimpleNamespace(**{**vars(split), "protocol": "long_tail_step"})
    assert profile_caps(step, 64).tolist() == [64] * 5 + [1] * 5  # floor(64 / 100) = 0 -> 1
    assert profile_caps(types.SimpleNamespace(**{**vars(step), "settings": {**step.settings, "rho": 8}}),
                        64).tolist() == [64] * 5 + [8] * 5


def test_long_tail_rho_flows_from_train_config_to_the_capped_training_data(shared_data_dir):
    """TrainConfig.protocol_options={"rho": 100} (what `train --protocol long_tail --rho 100` builds) reaches
    apply_protocol and profile_caps: smoke's training data has the capped tail."""
    from bagan_lib.cli import _protocol_options, build_parser
    from bagan_lib.training.config import TrainConfig
    from bagan_lib.training.run_data import load_training_data

    args = build_parser().parse_args(["train", "--model", "acgan", "--dataset", "fashion_mnist", "--out", "x",
                                      "--protocol", "long_tail", "--rho", "100"])
    assert _protocol_options(args) == {"rho": 100.0}
    args = build_parser().parse_args(["train", "--model", "acgan", "--out", "x", "--protocol", "long_tail_step",
                                      "--rho", "10", "--order", *"9876543210"])
    assert _protocol_options(args) == {"rho": 10.0, "order": list(range(9, -1, -1))}
    config = TrainConfig(model="acgan", dataset="fashion_mnist", profile="smoke", protocol="long_tail",
                         protocol_options={"rho": 100}, data_dir=str(shared_data_dir))
    data = load_training_data(config, config.resolved_profile())
    assert np.bincount(data.y).tolist() == [64, 38, 23, 13, 8, 4, 2, 1, 1, 1]
    assert data.split.settings["kept"] == [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]


def run_cli(*args, cwd, env_extra=None):
    """``python -m bagan_lib`` offline, with an empty home (as tests/test_cli.py runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_")}
    home = Path(cwd) / ".home"
    env.update(HOME=str(home), KERAS_HOME=str(home / ".keras"), BAGAN_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2",
               **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_data_summary_prints_the_long_tail(tmp_path, shared_data_dir):
    result = run_cli("data", "summary", "--dataset", "fashion_mnist", "--protocol", "long_tail", "--rho", "100",
                     cwd=tmp_path, env_extra={"BAGAN_DATA_DIR": str(shared_data_dir)})
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(10))
    assert tuple(int(r[-3]) for r in rows) == exponential_tail(6000, 100, 10)
    assert [int(r[-1]) for r in rows] == [1000] * 10  # the official test split, untouched
    assert "'rho': 100.0" in result.stdout.splitlines()[0]
    step = run_cli("data", "summary", "--dataset", "fashion_mnist", "--protocol", "long_tail_step", "--rho", "100",
                   "--order", *"0246813579", cwd=tmp_path, env_extra={"BAGAN_DATA_DIR": str(shared_data_dir)})
    assert step.returncode == 0, step.stderr
    rows = [line.split() for line in step.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[-3]) for r in rows] == [6000, 60] * 5


@pytest.mark.parametrize("args, needle", [
    (["--rho", "0.5"], "'0.5' is not an imbalance factor"), (["--rho", "many"], "'many' is not a finite number"),
    (["--rho", "100", "--order", "0", "1"], "not a permutation of the classes 0..9"),
    (["--rho", "100", "--rate", "5"], "does not take rate"),
])
def test_data_summary_refuses_a_bad_long_tail(tmp_path, shared_data_dir, args, needle):
    result = run_cli("data", "summary", "--dataset", "fashion_mnist", "--protocol", "long_tail", *args,
                     cwd=tmp_path, env_extra={"BAGAN_DATA_DIR": str(shared_data_dir)})
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and needle in result.stderr and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr and "Fix:" in result.stderr
