"""``load_dataset``: one call to get any dataset the kit knows as a :class:`Dataset`.

Built-in names are listed in :data:`DATASET_NAMES`; your own data is loaded
with ``"folder:PATH"`` or ``"npz:PATH"`` (see :mod:`bagan_lib.data.custom`).
Each built-in name maps to a small loader function in :data:`LOADERS`.

CIFAR-100 has two names, as a dataset is chosen by name everywhere (the
command line's ``--dataset``, a notebook parameter, a run's config.json):
``cifar100`` with the 100 fine labels, ``cifar100_coarse`` with the 20
superclasses. Both read the same official files.
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

DATASET_NAMES = ("fashion_mnist", "mnist", "cifar10", "cifar100", "cifar100_coarse", "digits", "synthetic_cells",
                 "synthetic_cells_fine")
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
    # CIFAR-100's official names (its meta file, which the loader reads): 100 classes, alphabetical ...
    "cifar100": (
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger",
        "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ),
    # ... and the 20 superclasses of cifar100_coarse.
    "cifar100_coarse": (
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
        "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
        "large_man-made_outdoor_things", "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
        "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
        "vehicles_1", "vehicles_2",
    ),
    "digits": tuple(str(i) for i in range(10)),
}  # fmt: skip


def _load_downloadable(name: str, data_dir, seed: int, download: bool) -> Dataset:
    """The official files; class names from the files where they hold them (CIFAR-100's meta), else CLASS_NAMES."""
    found = sources.find_and_read(name, data_dir, download)
    x_train, y_train, x_test, y_test = found.splits
    return Dataset(name, found.class_names or CLASS_NAMES[name], x_train, y_train, x_test, y_test, found.source)


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
    "cifar100": _load_downloadable,
    "cifar100_coarse": _load_downloadable,
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
        data_dir: Extra folder to look in first for fashion_mnist, mnist, cifar10 and cifar100.
        seed: Seed of the digits train/test split and of synthetic_cells.
        download: Let Keras download a missing fashion_mnist / mnist / cifar10 / cifar100.

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
    if key.startswith(("cifar_10", "cifar_100")):  # "CIFAR-10", "CIFAR-100" as the papers write them
        key = "cifar" + key[len("cifar_"):]
    if key not in LOADERS:
        raise KitError(f"Unknown dataset {name!r}.", _valid_names())
    return LOADERS[key](key, data_dir, seed, download)


def _valid_names() -> str:
    return f"use one of {', '.join(DATASET_NAMES)}, or {' / '.join(CUSTOM_FORMS)} for your own images."
