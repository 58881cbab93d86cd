"""The command line as a user meets it: a subprocess, its exit status, stdout and stderr."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bagan_lib.data.imbalance import PAPER_TABLES


def run_cli(*args, cwd, env_extra=None):
    """Run ``python -m bagan_lib`` offline with an empty home, so nothing outside ``cwd`` is found or written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_")}
    home = Path(cwd) / ".home"
    env.update(HOME=str(home), KERAS_HOME=str(home / ".keras"), BAGAN_OFFLINE="1",
               TF_CPP_MIN_LOG_LEVEL="2", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_summary_prints_table_b(tmp_path, shared_data_dir):
    result = run_cli("data", "summary", "--dataset", "fashion_mnist", "--protocol", "bagan_gp_paper",
                     cwd=tmp_path, env_extra={"BAGAN_DATA_DIR": str(shared_data_dir)})
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(10))
    train_counts = tuple(int(r[-3]) for r in rows)
    assert train_counts == PAPER_TABLES["B"]
    assert [int(r[-1]) for r in rows] == [1000] * 10  # the official test split, untouched
    assert "Trouser" in result.stdout


def test_summary_capgan_with_data_dir(tmp_path, shared_data_dir):
    result = run_cli("data", "summary", "--dataset", "mnist", "--protocol", "capgan", "--rate", "100",
                     "--majority", "1", "--data-dir", shared_data_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    mnist_train = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
    assert tuple(int(r[2]) for r in rows) == tuple(n if c == 1 else n // 100 for c, n in enumerate(mnist_train))


def test_summary_augmentation_paper_names_its_classes(tmp_path, shared_data_dir):
    result = run_cli("data", "summary", "--dataset", "fashion_mnist", "--protocol", "augmentation_paper",
                     "--data-dir", shared_data_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "{'fractions': {1: 0.5, 3: 0.65, 7: 0.8}, 'seed': 42}" in result.stdout.splitlines()[0]
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[-3]) for r in rows] == [6000, 3000, 6000, 3900, 6000, 6000, 6000, 4800, 6000, 6000]


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return f"npz:{path}"


def _bad_inputs(tmp: Path, shared_data_dir: Path):
    """(name, dataset argument, extra env, text the error must contain)."""
    empty = tmp / "empty"
    empty.mkdir()
    corrupt = tmp / "corrupt" / "fashion-mnist"
    corrupt.mkdir(parents=True)
    for f in (shared_data_dir / "fashion-mnist").glob("*.gz"):
        shutil.copy(f, corrupt / f.name)
    labels = corrupt / "train-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(labels.read_bytes()))
    data[100] = (data[100] + 1) % 10  # one label changed: valid file, wrong bytes
    labels.write_bytes(gzip.compress(bytes(data)))
    one_class = tmp / "one_class" / "cats"
    one_class.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(one_class / "a.png")
    x = np.zeros((4, 8, 8), np.uint8)
    return [
        ("unknown dataset", "imagenet", {}, "imagenet"),
        ("missing offline", "fashion_mnist", {"BAGAN_DATA_DIR": str(empty)}, "fashion_mnist"),
        ("checksum mismatch", "fashion_mnist", {"BAGAN_DATA_DIR": str(tmp / "corrupt")}, "train-labels"),
        ("npz without x", _write_npz(tmp / "nox.npz", y=np.array([0, 1, 0, 1])), {}, "'x'"),
        ("npz without y", _write_npz(tmp / "noy.npz", x=x), {}, "'y'"),
        ("labels out of range", _write_npz(tmp / "range.npz", x=x, y=np.array([0, 1, 2, 5]),
                                           class_names=np.array(["a", "b", "c"])), {}, "range"),
        ("folder with one class", f"folder:{tmp / 'one_class'}", {}, "class"),
    ]


def test_bad_inputs_exit_2_with_one_error_line_and_write_nothing(tmp_path, shared_data_dir):
    cases = _bad_inputs(tmp_path, shared_data_dir)
    work = tmp_path / "work"
    work.mkdir()
    before = listing(tmp_path)
    for name, dataset, env, needle in cases:
        result = run_cli("data", "summary", "--dataset", dataset, cwd=work, env_extra=env)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (name, result.stderr)
        assert len(lines) == 1 and lines[0].startswith("error:"), (name, result.stderr)
        assert "Traceback" not in result.stderr and needle in lines[0], (name, lines[0])
        assert "Fix:" in lines[0] or "fix" in lines[0].lower(), (name, lines[0])
    assert listing(tmp_path) == before, "an error wrote files"


def test_missing_dataset_error_lists_every_place_tried(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("data", "summary", "--dataset", "mnist", "--data-dir", empty, cwd=tmp_path,
                     env_extra={"BAGAN_DATA_DIR": str(empty)})
    assert result.returncode == 2
    message = result.stderr
    for place in (str(empty), "data", ".keras", "download"):
        assert place in message, (place, message)


@pytest.mark.parametrize("args, needle", [
    (["data", "summary", "--dataset", "digits", "--protocol", "smote"], "invalid choice"),
    (["data", "summary", "--dataset", "digits", "--protocol", "capgan"], "needs a rate"),
    (["data", "summary", "--dataset", "digits", "--protocol", "capgan", "--rate", "0.5"], "at least 1"),
    (["data", "summary", "--dataset", "digits", "--protocol", "bagan_prune", "--pruned-class", "12",
      "--fraction", "0.5"], "not a class"),
    (["run", "--profile", "huge"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors(tmp_path, args, needle):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and needle in result.stderr and len(result.stderr.splitlines()) == 1


def test_help_exits_0(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0 and "data" in result.stdout and "run" in result.stdout


def test_train_writes_metrics_checkpoints_and_figures(tmp_path):
    args = ("train", "--model", "bagan", "--profile", "smoke", "--out", "run", "--epochs", "2",
            "--checkpoint-every", "1", "--seed", "5")
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "run"
    assert "bagan epoch 1/2:" in result.stdout and "bagan epoch 2/2:" in result.stdout
    assert "\r" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    for row in metrics["history"]:  # BAGAN: no penalty, no wrong-label term; d_loss = real + fake (B1)
        assert set(row) == {"epoch", "d_loss", "real", "fake", "g_loss", "seconds"}
        assert row["d_loss"] == pytest.approx(row["real"] + row["fake"], rel=1e-5)
    assert metrics["final_step"] == 2 * metrics["timings"]["steps_per_epoch"] and metrics["seed"] == 5
    for name in ("config.json", "loss_curves.png", "checkpoints/gan.npz", "checkpoints/autoencoder.npz",
                 "grids/grid_epoch_001.png", "grids/grid_epoch_002.png", "grids/training.gif"):
        assert (out / name).is_file(), name
    with np.load(out / "checkpoints" / "gan.npz") as saved:  # BAGAN's class Gaussians travel with the state
        assert saved["const_class_means"].shape == (4, 16)
    again = run_cli(*args, cwd=tmp_path)  # a second run must not overwrite the first
    assert again.returncode == 2 and again.stderr.startswith("error:") and "--resume" in again.stderr
    assert len(again.stderr.splitlines()) == 1


@pytest.mark.parametrize("args, needle", [
    (["--model", "bagan_gp_v9"], "invalid choice"),
    (["--model", "bagan", "--latent-dim", "0"], "latent_dim=0"),
    (["--model", "bagan", "--checkpoint-every", "0"], "checkpoint_every=0"),
    (["--model", "bagan", "--lr", "-1"], "learning_rate=-1.0"),
    (["--model", "bagan", "--resume", "--overwrite"], "exclude each other"),
    (["--model", "bagan", "--profile", "huge"], "invalid choice"),
])
def test_train_usage_errors_exit_2_before_any_work(tmp_path, args, needle, capsys):
    from bagan_lib.cli import main  # in process: these fail before TensorFlow is imported or anything is written

    assert main(["train", "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()
