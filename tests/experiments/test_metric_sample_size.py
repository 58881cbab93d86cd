"""FID and KID against the number of real images, checked against their mathematics: FID's closed-form bias in
one dimension, its shrinking towards 0 as n grows, KID's unbiasedness at every n."""

from __future__ import annotations

import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.metrics import Features
from bagan_lib.experiments.sample_size import c4, expected_fid_1d, sample_size_study, split_in_two


def test_c4_matches_its_definition_and_known_values():
    # c4(2) = sqrt(2 / pi); c4(n) -> 1 like 1 - 1 / (4 n)
    assert c4(2) == pytest.approx(np.sqrt(2 / np.pi), rel=1e-12)
    assert c4(10) == pytest.approx(0.9726592741, rel=1e-9)
    assert 1 - c4(1000) == pytest.approx(1 / 4000, rel=0.01)
    draws = np.random.default_rng(0).normal(size=(200000, 6)).std(axis=1, ddof=1)
    assert draws.mean() == pytest.approx(c4(6), abs=4 * draws.std() / np.sqrt(len(draws)))
    with pytest.raises(KitError, match="n >= 2"):
        c4(1)


def test_the_1d_study_matches_the_closed_form_bias_of_fid():
    rng = np.random.default_rng(1)
    variance = 2.0
    pool, reference = (rng.normal(0, np.sqrt(variance), (20000, 1)) for _ in range(2))
    study = sample_size_study(pool, reference, (5, 20), repeats=1500, n_reference=8, kid_subsets=1, seed=2)
    summary = study.summary().set_index("n_real")
    for n in (5, 20):
        row = summary.loc[n]
        standard_error = row["FID std"] / np.sqrt(row["draws"])
        assert row["FID mean"] == pytest.approx(expected_fid_1d(n, 8, variance), abs=4 * standard_error)
        assert abs(row["KID mean"]) < 4 * row["KID std"] / np.sqrt(row["draws"])  # unbiased
    assert expected_fid_1d(5, 8, variance) > expected_fid_1d(20, 8, variance) > expected_fid_1d(1e6, 1e6, variance)
    assert expected_fid_1d(1e6, 1e6, variance) == pytest.approx(0, abs=1e-5)


def test_fid_of_one_gaussian_shrinks_towards_zero_while_kid_stays_centred_on_it():
    rng = np.random.default_rng(3)
    pool, reference = Features(rng.normal(size=(3000, 8)), "toy"), Features(rng.normal(size=(2000, 8)), "toy")
    study = sample_size_study(pool, reference, (10, 30, 100, 1000), repeats=30, seed=4)
    summary = study.summary()
    means = summary["FID mean"].to_numpy()
    assert np.all(np.diff(means) < 0) and means[0] > 10 * means[-1] and means[-1] < 0.1
    assert np.all(summary["FID 5%"] > 0)  # every draw above the true 0: a bias, not noise
    spread = summary["FID std"].to_numpy()
    assert spread[0] > 5 * spread[-1]
    for row in summary.to_dict("records"):
        assert abs(row["KID mean"]) < 4 * row["KID std"] / np.sqrt(row["draws"]) + 1e-4
    assert list(summary["n_real < dim"]) == [False] * 4 and study.extractor == "toy" and study.n_reference == 2000
    assert len(study.draws) == 4 * 30 and set(study.draws.columns) >= {"n_real", "repeat", "FID", "KID"}


def test_the_study_is_seeded_leaves_out_sizes_beyond_the_pool_and_refuses_bad_input():
    rng = np.random.default_rng(5)
    pool, reference = rng.normal(size=(60, 3)), rng.normal(size=(40, 3))
    a = sample_size_study(pool, reference, (10, 50, 100), repeats=3, seed=7)
    b = sample_size_study(pool, reference, (10, 50, 100), repeats=3, seed=7)
    assert a.draws.equals(b.draws) and sorted(set(a.draws["n_real"])) == [10, 50]
    assert a.notes == ["n_real 100 left out: the pool has only 60 images"]
    with pytest.raises(KitError, match="fewer than every size"):
        sample_size_study(pool, reference, (100,), repeats=3)
    with pytest.raises(KitError, match="repeats >= 2"):
        sample_size_study(pool, reference, (10,), repeats=1)
    with pytest.raises(KitError, match="n_reference"):
        sample_size_study(pool, reference, (10,), repeats=2, n_reference=41)
    with pytest.raises(KitError, match="different feature extractors"):
        sample_size_study(Features(pool, "a"), Features(reference, "b"), (10,), repeats=2)


def test_split_in_two_gives_disjoint_halves_of_the_same_extractor():
    values = np.arange(22, dtype=float).reshape(11, 2)
    first, second = split_in_two(Features(values, "toy"), seed=0)
    assert (len(first), len(second)) == (6, 5) and first.extractor == second.extractor == "toy"
    rows = {tuple(r) for r in first.values} | {tuple(r) for r in second.values}
    assert len(rows) == 11
