"""Two-class data, as the augmentation paper's breast histopathology set (IDC negative / positive) is.

"On Data Augmentation Using GANs" classifies 50x50 patches as IDC negative
(class 0) or positive (class 1), 198,738 against 78,786: a ``folder:`` dataset
with two classes, naturally imbalanced. A tiny stand-in is generated here
(32x32 RGB PNGs: smooth pink tissue against dark nuclei, 60 against 20 training
images, 15 + 15 held out in ``test/``) and taken through the command line a user
runs (``data summary``, ``train`` of two conditional models, ``evaluate``) and
through the library (the loader, the protocol, the Table 4 figure). All at the
smoke profile: about 50 s, most of it TensorFlow starting in each subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bagan_lib.data import load_dataset
from bagan_lib.data.imbalance import apply_protocol
from bagan_lib.errors import KitError

matplotlib.use("Agg")

CLASSES = ("idc_negative", "idc_positive")  # sorted folder names: label 0 and label 1, as in the paper
TRAIN, TEST = (60, 20), (15, 15)


def tissue(label: int, rng) -> np.ndarray:
    """One 32x32 patch: class 0 smooth light pink, class 1 darker with six dark-purple nuclei."""
    if label == 0:
        return np.clip(np.array([235, 190, 215]) + rng.normal(0, 8, (32, 32, 3)), 0, 255).astype(np.uint8)
    patch = np.array([150, 90, 160]) + rng.normal(0, 8, (32, 32, 3))
    yy, xx = np.mgrid[:32, :32]
    for cy, cx in rng.integers(4, 28, (6, 2)):
        patch[(yy - cy) ** 2 + (xx - cx) ** 2 < 9] = (70, 30, 100)
    return np.clip(patch, 0, 255).astype(np.uint8)


def write_idc_folder(root: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for split, counts in (("train", TRAIN), ("test", TEST)):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(counts[label]):
                Image.fromarray(tissue(label, rng)).save(folder / f"{i:03d}.png")
    return root


def run_cli(*args, cwd):
    """``python -m bagan_lib`` offline, with an empty home (as tests/test_cli.py runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_")}
    home = Path(cwd) / ".home"
    env.update(HOME=str(home), KERAS_HOME=str(home / ".keras"), BAGAN_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def idc(tmp_path_factory) -> Path:
    return write_idc_folder(tmp_path_factory.mktemp("two_class") / "idc")


@pytest.fixture(scope="module")
def evaluated(idc):
    """acgan and bagan_gp_v3 trained at smoke from the command line, then ``evaluate``d together."""
    work = idc.parent
    for model in ("acgan", "bagan_gp_v3"):
        result = run_cli("train", "--model", model, "--dataset", f"folder:{idc}", "--profile", "smoke",
                         "--steps-per-epoch", "1", "--out", f"run_{model}", cwd=work)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"{model} on folder:{idc}: 80 images, 2 classes, 32px" in result.stdout
    result = run_cli("evaluate", "--runs", "run_acgan", "run_bagan_gp_v3", "--out", "eval", "--cache-dir", "cache",
                     "--n-per-class", "16", "--bootstrap", "10", "--kid-subsets", "10", cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    return work, result.stdout


def test_the_folder_loads_as_two_imbalanced_classes(idc):
    ds = load_dataset(f"folder:{idc}")
    assert ds.class_names == CLASSES and ds.n_classes == 2
    assert ds.class_counts().tolist() == [60, 20] and ds.class_counts("test").tolist() == [15, 15]
    assert ds.x_train.shape == (80, 32, 32, 3) and ds.x_train.dtype == np.uint8
    rng = np.random.default_rng(0)  # the first image written is the first negative one
    np.testing.assert_array_equal(ds.x_train[0], tissue(0, rng))
    assert ds.x_train[ds.y_train == 1].mean() < ds.x_train[ds.y_train == 0].mean() - 60  # positives are darker
    split = apply_protocol(ds, "none")
    assert [r["train"] for r in split.summary_rows()] == [60, 20]
    with pytest.raises(KitError, match="defined for 10 classes .* or 100 classes .* has 2 classes"):
        apply_protocol(ds, "augmentation_paper")


def test_data_summary_prints_both_classes(idc):
    result = run_cli("data", "summary", "--dataset", f"folder:{idc}", cwd=idc.parent)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert rows == [["0", "idc_negative", "60", "0", "15"], ["1", "idc_positive", "20", "0", "15"]]
    assert result.stdout.splitlines()[-1].split() == ["total", "80", "0", "30"]


def test_conditional_models_train_on_two_classes(evaluated):
    work, _ = evaluated
    for model in ("acgan", "bagan_gp_v3"):
        out = work / f"run_{model}"
        metrics = json.loads((out / "metrics.json").read_text())
        assert [row["epoch"] for row in metrics["history"]] == [1]
        assert all(np.isfinite(v) for row in metrics["history"] for k, v in row.items() if k != "epoch")
        for name in ("config.json", "checkpoints/gan.npz", "grids/grid_epoch_001.png"):
            assert (out / name).is_file(), (model, name)
    assert (work / "run_bagan_gp_v3" / "checkpoints" / "autoencoder.npz").is_file()


def test_evaluate_scores_both_classes(evaluated):
    work, stdout = evaluated
    headers = ["idc_negative (train 60, real 15)", "idc_positive (train 20, real 15)"]
    for header in headers:
        assert stdout.count(header) == 2  # in the FID and in the share table
    assert "16 images per class" in stdout and "(chance 0.50)" in stdout
    scores = pd.read_csv(work / "eval" / "table4_scores.csv")
    assert sorted(set(scores["row"])) == ["BAGAN-GP v3", "acgan", "autoencoder reconstructions",
                                          "real training images"]
    for row, part in scores.groupby("row"):
        assert part["class"].tolist() == [0, 1] and part["name"].tolist() == list(CLASSES), row
        assert part["n_train"].tolist() == [60, 20] and part["n_real"].tolist() == [15, 15]
        assert part["n_scored"].tolist() == [16, 16]
        assert part[["FID", "KID", "share"]].notna().all().all(), row
        assert part["share"].between(0, 1).all()
    real = scores[scores["row"] == "real training images"]
    assert real["share"].tolist() == [1.0, 1.0]  # the real-data classifier tells the two tissues apart
    for name in ("table4_fid.md", "table4_kid.md", "table4_share.md", "table4.json", "table4.png"):
        assert (work / "eval" / name).is_file(), name
    share = (work / "eval" / "table4_share.md").read_text()
    assert all(header in share for header in headers)


def test_table4_figure_draws_two_classes(evaluated):
    from bagan_lib.figures.table4 import plot_table4

    work, _ = evaluated
    scores = pd.read_csv(work / "eval" / "table4_scores.csv")
    rows = ["autoencoder reconstructions", "acgan", "BAGAN-GP v3", "real training images"]
    fig = plot_table4(scores, title="IDC: per-class FID, KID and classifier share", rows=rows)
    fid, kid, share = fig.axes[:3]
    assert [t.get_text() for t in share.get_xticklabels()] == [
        "idc_negative\n(train 60,\nreal 15)", "idc_positive\n(train 20,\nreal 15)"]
    assert len(fid.patches) == len(kid.patches) == len(share.patches) == 2 * len(rows)  # a bar per class and row
    assert [line.get_ydata()[0] for line in share.get_lines()] == [0.5]  # chance is 1/2
    assert any(t.get_text() == "chance (1/2)" for t in share.texts)
    assert [t.get_text() for t in fid.get_legend().get_texts()] == rows
    matplotlib.pyplot.close(fig)


def test_the_table1_study_runs_on_two_classes(tmp_path):
    """Notebook 09b's study on the medical set's shape: no protocol (it is imbalanced by itself), an ALI model,
    the Fig. 7 check's two sets, accuracy only (top-2 would be 1.0 for two classes, so there is no column)."""
    from bagan_lib.experiments import augmentation_table1 as study
    from bagan_lib.profiles import get_profile
    from bagan_lib.training.config import TrainConfig
    from bagan_lib.training.run_data import load_training_data

    root = write_idc_folder(tmp_path / "idc")
    base = TrainConfig(dataset=f"folder:{root}", profile="smoke", protocol="none", out_dir=str(tmp_path / "runs"),
                       epochs=1, steps_per_epoch=1)
    profile = base.resolved_profile()
    data = load_training_data(base, profile)
    runs = study.train_generators(base, data, ["acgan_ali_v1"], say=lambda *a, **k: None)
    rows = study.run_table1(data, get_profile("smoke"), runs, seed=0, say=lambda *a, **k: None)
    assert [r["row"] for r in rows] == ["No Aug", "Affine", "ACGAN_ALI_v1", "Duplicates", "ALI reconstructions"]
    assert not any(key.startswith("top-") for key in rows[0])
    table = study.table1(rows)
    assert list(table.columns) == ["row", "accuracy", "seeds"]
    assert study.row_order_statement(rows)["of"] == 3
