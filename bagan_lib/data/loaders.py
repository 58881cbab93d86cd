"""``load_dataset``: one call to get any dataset the kit knows as a :class:`Dataset`.

Built-in names are listed in :data:`DATASET_NAMES`; your own data is loaded
with ``"folder:PATH"`` or ``"npz:PATH"`` (see :mod:`bagan_lib.data.custom`).
Each built-in name maps to a small loader function in :data:`LOADERS`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

import numpy as np

from bagan_lib.data import custom, sources
from bagan_lib.data.dataset import Dataset
from bagan_lib.errors import KitError

# Lazy imports in this module: `import bagan_lib.data` stays free of TensorFlow (the command line's `data summary`).

DATASET_NAMES = ("fashion_mnist", "mnist", "cifar10", "digits", "synthetic_cells", "synthetic_cells_fine")
CUSTOM_FORMS = ("folder:PATH", "npz:PATH")

CLASS_NAMES = {
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    "mnist": tuple(str(i) for i in range(10)),
    "cifar10": (
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ),
    "digits": tuple(str(i) for i in range(10)),
}  # fmt: skip


def _load_downloadable(name: str, data_dir, seed: int, download: bool) -> Dataset:
    (x_train, y_train, x_test, y_test), source = sources.find_and_read(name, data_dir, download)
    return Dataset(name, CLASS_NAMES[name], x_train, y_train, x_test, y_test, source)


def _load_digits(name: str, data_dir, seed: int, download: bool) -> Dataset:
    """scikit-learn's bundled 8x8 digits (values 0..16), split 80/20 stratified."""
    from sklearn.datasets import load_digits  # lazy: scikit-learn is slow to import
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = np.rint(bunch.images * 255 / 16).astype(np.uint8)[..., None]
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=seed, stratify=y
    )
    return Dataset(name, CLASS_NAMES[name], x_train, y_train, x_test, y_test, "scikit-learn")


def _load_synthetic_cells(name: str, data_dir, seed: int, download: bool) -> Dataset:
    """Procedurally generated cell images; the "validation" split becomes the test split.

    ``synthetic_cells`` uses the ``legible`` rendering, ``synthetic_cells_fine`` the first one
    (its schizont dots merge at 32x32; see :mod:`bagan_lib.data.synthetic_cells`).
    """
    cells = importlib.import_module("bagan_lib.data.synthetic_cells")
    rendering = "fine" if name == "synthetic_cells_fine" else "legible"
    x_train, y_train = cells.generate("train", seed, rendering=rendering)
    x_test, y_test = cells.generate("validation", seed, rendering=rendering)
    return Dataset(
        name,
        tuple(cells.CLASS_NAMES),
        np.asarray(x_train, dtype=np.uint8),
        np.asarray(y_train, dtype=np.int64),
        np.asarray(x_test, dtype=np.uint8),
        np.asarray(y_test, dtype=np.int64),
        f"generated (seed={seed}, {rendering} rendering)",
    )


LOADERS: dict[str, Callable[..., Dataset]] = {
    "fashion_mnist": _load_downloadable,
    "mnist": _load_downloadable,
    "cifar10": _load_downloadable,
    "digits": _load_digits,
    "synthetic_cells": _load_synthetic_cells,
    "synthetic_cells_fine": _load_synthetic_cells,
}


def load_dataset(
    name: str, *, data_dir: str | Path | None = None, seed: int = 42, download: bool = True
) -> Dataset:
    """Load a dataset by name.

    Args:
        name: One of :data:`DATASET_NAMES`, ``"folder:PATH"`` or ``"npz:PATH"``.
        data_dir: Extra folder to look in first for fashion_mnist, mnist and cifar10.
        seed: Seed of the digits train/test split and of synthetic_cells.
        download: Let Keras download a missing fashion_mnist / mnist / cifar10.

    Raises:
        KitError: unknown name or unusable custom data (the message says the fix).
        DatasetNotFoundError: the files are nowhere; the message lists where it looked.
        ChecksumError: a file was found but is not the official one.
    """
    if not isinstance(name, str):
        raise KitError(f"dataset name must be a string, got {type(name).__name__}.", _valid_names())
    for prefix, loader in (("folder:", custom.load_folder), ("npz:", custom.load_npz)):
        if name.startswith(prefix):
            path = name[len(prefix) :]
            if not path:
                raise KitError(f"{name!r} has no path after {prefix!r}.", f"write e.g. {prefix}/data/my_images.")
            return loader(path, name)
    key = name.strip().lower().replace("-", "_")
    if key not in LOADERS:
        raise KitError(f"Unknown dataset {name!r}.", _valid_names())
    return LOADERS[key](key, data_dir, seed, download)


def _valid_names() -> str:
    return f"use one of {', '.join(DATASET_NAMES)}, or {' / '.join(CUSTOM_FORMS)} for your own images."
