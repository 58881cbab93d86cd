"""Shared fixtures.

The official Fashion-MNIST and MNIST idx files live in ``../shared/data`` beside
the repository (CI clones the repo next to it) or wherever ``BAGAN_DATA_DIR``
points. Tests that need them fail loudly when they are missing: a silently
skipped data test would hide a broken install.
"""

from __future__ import annotations

import os
from pathlib import Path

# TensorFlow's C++ start-up messages off, for every test file, before any of them imports TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """Folder holding ``fashion-mnist/`` and ``mnist/`` with the official idx files."""
    candidates = [os.environ.get("BAGAN_DATA_DIR"), REPO_ROOT.parent / "shared" / "data"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "fashion-mnist").is_dir():
            return Path(candidate)
    raise FileNotFoundError(
        "The official idx files were not found in BAGAN_DATA_DIR or ../shared/data; "
        "set BAGAN_DATA_DIR to the folder holding fashion-mnist/ and mnist/."
    )


# --------------------------------------------------------------------------------------------------------------------
# The order in which `make test` hands files to its two xdist workers (--dist loadfile --no-loadscope-reorder)
# --------------------------------------------------------------------------------------------------------------------
# pytest-xdist gives each worker a whole file at a time, in collection order. xdist's own default order (most
# tests first) puts the files of few but long tests last (the multi-worker, device and browser files: 2 or 3 tests,
# 2-3 minutes each), and a long file that starts last on one worker keeps the other one idle. Longest first, the
# short files fill in at the end and the two workers finish close together ("longest processing time first").
# Seconds of one file on one worker at the smoke profile, rounded: from the last CI's slowest tests and per-file
# runs on the 2-core machine (nbval files: the notebook's papermill time, the same cells; mixed precision: its
# slow test's "about 4 minutes"). A file not listed counts as short and keeps its place. A new file of a minute
# or more belongs in this table, or it may be the last one to start.
LONGEST_FILES = {
    "tests/test_notebooks_papermill_second.py": 150,  # 09 in full (about 90 s), the others' heads (about 10 s each)
    "tests/test_notebooks_papermill.py": 60,
    "tests/hostile/test_run_folder_faults.py": 305,
    "tests/gan/test_mixed_precision.py": 240,
    "tests/training/test_multiworker.py": 190,
    "tests/training/test_devices_cli.py": 170,
    "tests/toy/test_browser_sliders.py": 135,
    "notebooks/08_evaluation.ipynb": 115,
    "tests/experiments/test_table4.py": 110,
    "notebooks/09_gan_augmentation.ipynb": 90,
    "tests/hostile/test_hostile_inputs.py": 85,
    "notebooks/07_capgan_cvae.ipynb": 85,
    "notebooks/02_wgan_gp.ipynb": 75,
    "notebooks/03_dragan.ipynb": 75,
    "notebooks/06_bagan_gp.ipynb": 65,
    "tests/metrics/test_metric_extractors.py": 60,
    "notebooks/04_bagan.ipynb": 45,
    # added with issue 20/21 (estimated from runs under load, halved)
    "notebooks/09b_augmentation_paper_table1.ipynb": 80,
    "tests/gan/test_ali.py": 50,
    "tests/training/test_augment_run.py": 50,
    "tests/data/test_two_class.py": 60,
    "tests/gan/test_augment.py": 30,
}


def pytest_collection_modifyitems(config, items):
    """Files in :data:`LONGEST_FILES` first, longest first; the order within a file, and of the others, is kept."""
    items[:] = sorted(items, key=lambda item: -LONGEST_FILES.get(item.nodeid.split("::")[0], 0))
