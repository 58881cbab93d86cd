"""Notebook 09b's study: the Fig. 7 training sets, Table I over seeds, the row-order statement and the combine command."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bagan_lib.errors import KitError
from bagan_lib.experiments import augmentation_table1 as study


class MirrorALI:
    """A stand-in ALI whose reconstruction is a known function of the image."""

    def __init__(self, fn):
        self.fn = fn

    def reconstruct(self, x):
        return self.fn(np.asarray(x))


def imbalanced(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), [10, 4, 7]).astype(np.int32)
    x = rng.uniform(-1, 1, (len(y), 8, 8, 1)).astype(np.float32)
    return x, y


def test_duplicates_and_reconstructions_add_the_same_real_images_topped_up_to_the_majority():
    x, y = imbalanced()
    dup, rec = study.reconstruction_sets(MirrorALI(lambda v: -v), x, y, 3, seed=1)
    assert (dup.mode, rec.mode) == ("Duplicates", "ALI reconstructions")
    for s in (dup, rec):
        np.testing.assert_array_equal(np.bincount(s.y, minlength=3), [10, 10, 10])
        np.testing.assert_array_equal(s.x[:len(y)], x)  # the real images first, unchanged
    np.testing.assert_array_equal(dup.y, rec.y)
    np.testing.assert_allclose(rec.x[len(y):], -dup.x[len(y):])  # the same draws, once reconstructed
    assert set(dup.source[len(y):]) == {"duplicate"} and set(rec.source[len(y):]) == {"reconstruction"}
    # every added duplicate is a real image of its class
    for image, label in zip(dup.x[len(y):], dup.y[len(y):]):
        assert any(np.array_equal(image, real) for real in x[y == label])


def test_a_perfect_reconstruction_makes_the_two_sets_identical():
    x, y = imbalanced()
    dup, rec = study.reconstruction_sets(MirrorALI(lambda v: v), x, y, 3, seed=2)
    np.testing.assert_array_equal(dup.x, rec.x)


def rows_for(seeds, accuracies: dict, top2=0.98):
    return [{"row": row, "seed": s, "accuracy": acc[i], "top-2 accuracy": top2}
            for row, acc in accuracies.items() for i, s in enumerate(seeds)]


def test_reconstruction_check_is_a_paired_t_test_over_seeds():
    acc = {"Duplicates": [0.90, 0.91, 0.92], "ALI reconstructions": [0.905, 0.902, 0.93]}
    out = study.reconstruction_check(rows_for([1, 2, 3], acc))
    expected = stats.ttest_rel(acc["ALI reconstructions"], acc["Duplicates"]).pvalue
    assert out["paired t-test p"] == pytest.approx(expected)
    assert out["mean difference"] == pytest.approx(np.mean(np.subtract(acc["ALI reconstructions"], acc["Duplicates"])))
    assert out["equal within noise"] is bool(expected >= 0.05)
    far = study.reconstruction_check(rows_for([1, 2, 3], {"Duplicates": [0.90, 0.91, 0.92],
                                                          "ALI reconstructions": [0.80, 0.815, 0.818]}))
    assert far["equal within noise"] is False and far["paired t-test p"] < 0.05
    single = study.reconstruction_check(rows_for([1], {"Duplicates": [0.9], "ALI reconstructions": [0.8]}))
    assert single["equal within noise"] is None  # one seed: no noise estimate, no verdict
    with pytest.raises(KitError, match="no 'Duplicates'"):
        study.reconstruction_check(rows_for([1], {"No Aug": [0.9]}))


def test_table1_keeps_the_papers_row_order_and_its_values():
    acc = {"ACGAN_v3": [0.80, 0.82], "No Aug": [0.81, 0.81], "Duplicates": [0.8, 0.8], "Affine": [0.83, 0.85]}
    table = study.table1(rows_for([1, 2], acc), dataset="fashion_mnist")
    assert list(table["row"]) == ["No Aug", "Affine", "ACGAN_v3", "Duplicates"]
    assert table.loc[2, "accuracy"] == "0.8100 ± 0.0100"
    assert table.loc[0, "paper accuracy"] == 0.9157 and table.loc[2, "paper top-2 accuracy"] == 0.9812
    assert np.isnan(table.loc[3, "paper accuracy"]) and list(table["seeds"]) == [2, 2, 2, 2]


def test_row_order_statement_names_the_best_row_and_the_gains():
    acc = {"No Aug": [0.80], "Affine": [0.85], "CGAN": [0.805], "ACGAN_v3": [0.795], "Duplicates": [0.99]}
    out = study.row_order_statement(rows_for([1], acc), dataset="fashion_mnist")
    assert out["best"] == "Affine" and out["order"] == ["Affine", "CGAN", "No Aug", "ACGAN_v3"]  # checks excluded
    assert out["gains over No Aug"]["CGAN"] == pytest.approx(0.005)
    assert out["every GAN gain within 1 %"] is True and out["ACGAN_v3 rank"] == 4
    assert out["paper order"][0] == "ACGAN_v3"
    wide = study.row_order_statement(rows_for([1], {"No Aug": [0.80], "CGAN": [0.78]}))
    assert wide["every GAN gain within 1 %"] is False


def write_seed(folder, seed, accuracies):
    folder.mkdir(parents=True)
    pd.DataFrame(rows_for([seed], accuracies)).to_csv(folder / "table1_rows.csv", index=False)
    pd.DataFrame([{"training set": "acgan_v3, generated only", "seed": seed, "training images": 40,
                   "accuracy": 0.7, "epochs": 2}]).to_csv(folder / "generated_only.csv", index=False)


def test_the_combine_command_writes_table1_over_seeds_and_refuses_a_repeated_seed(tmp_path):
    acc = lambda a: {"No Aug": [a], "ACGAN_v3": [a + 0.01], "Duplicates": [a], "ALI reconstructions": [a + 0.002]}  # noqa: E731
    for seed, a in ((42, 0.80), (43, 0.82), (44, 0.81)):
        write_seed(tmp_path / f"s{seed}", seed, acc(a))
    out = tmp_path / "combined"
    run = subprocess.run([sys.executable, "-m", "bagan_lib", "augmentation", "table1", "--runs",
                          *(str(tmp_path / f"s{s}") for s in (42, 43, 44)), "--out", str(out),
                          "--dataset", "fashion_mnist"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out / "table1.csv")
    assert list(table["row"]) == ["No Aug", "ACGAN_v3", "Duplicates", "ALI reconstructions"]
    assert table.loc[1, "accuracy"] == "0.8200 ± 0.0082" and set(table["seeds"]) == {3}
    statement = json.loads((out / "table1_statement.json").read_text())
    assert statement["best"] == "ACGAN_v3" and statement["every GAN gain within 1 %"] is True
    check = pd.read_csv(out / "reconstruction_check.csv")
    assert check.loc[0, "seeds"] == 3 and check.loc[0, "mean difference"] == pytest.approx(0.002)
    assert (out / "generated_only_seeds.csv").exists()
    again = subprocess.run([sys.executable, "-m", "bagan_lib", "augmentation", "table1", "--runs",
                            str(tmp_path / "s42"), str(tmp_path / "s42"), "--out", str(out)],
                           capture_output=True, text=True)
    assert again.returncode == 2 and again.stderr.startswith("error: A seed appears in more than one")
    missing = subprocess.run([sys.executable, "-m", "bagan_lib", "augmentation", "table1", "--runs",
                              str(tmp_path), "--out", str(out)], capture_output=True, text=True)
    assert missing.returncode == 2 and "has no table1_rows.csv" in missing.stderr


@pytest.mark.parametrize("protocol, expected", [("augmentation_paper", 12), ("bagan_gp_paper", 12), ("capgan", None)])
def test_the_balanced_original_of_a_protocol(protocol, expected):
    """Notebook 09's upper reference: the augmentation paper's data before sparsifying, Table 1 A for Table 1 B;
    a protocol without a balanced original (CAPGAN's rate) has none."""
    from bagan_lib.experiments.augmentation_study import balanced_images
    from bagan_lib.training.config import TrainConfig

    options = {"rate": 10} if protocol == "capgan" else {}
    config = TrainConfig(dataset="fashion_mnist", profile="smoke", protocol=protocol, protocol_options=options)
    out = balanced_images(config, config.resolved_profile(), 12)
    if expected is None:
        assert out is None
    else:
        x, y = out
        np.testing.assert_array_equal(np.bincount(y, minlength=10), [expected] * 10)
        assert len(x) == len(y)
