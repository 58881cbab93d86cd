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
