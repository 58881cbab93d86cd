"""The :class:`Dataset` container every loader returns.

A dataset is two splits of images and integer labels plus the class names.
Images are always ``uint8`` with shape ``(N, H, W, C)`` where ``C`` is 1
(greyscale) or 3 (RGB), so the rest of the kit never has to guess the layout.
Scaling to the model's ``[-1, 1]`` range happens later, in
:mod:`bagan_lib.data.preprocess`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError


# eq=False: comparing big arrays with == is ambiguous; repr=False: the default
# repr would print every pixel.
@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Images and labels of one dataset, split into train and test.

    Attributes:
        name: How it was asked for, e.g. ``"fashion_mnist"`` or ``"folder:/path"``.
        class_names: One human-readable name per class; label ``i`` is ``class_names[i]``.
        x_train: ``uint8`` images, shape ``(N, H, W, C)`` with ``C`` in {1, 3}.
        y_train: ``int64`` labels, shape ``(N,)``, values ``0 .. n_classes - 1``.
        x_test: ``uint8`` images with the same ``H, W, C``; may hold 0 images.
        y_test: ``int64`` labels of the test images.
        source: Where the data came from (a path, ``"scikit-learn"``, ...).
    """

    name: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __post_init__(self) -> None:
        # Catch loader bugs here, once, instead of deep inside a training loop.
        n = len(self.class_names)
        for split in ("train", "test"):
            x, y = self.split(split)
            if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] not in (1, 3):
                raise KitError(
                    f"Dataset {self.name!r}: x_{split} must be uint8 (N, H, W, 1|3), "
                    f"got {x.dtype} {x.shape}.",
                    "convert the images to uint8 NHWC before building a Dataset.",
                )
            if y.dtype != np.int64 or y.shape != (len(x),):
                raise KitError(
                    f"Dataset {self.name!r}: y_{split} must be int64 with shape ({len(x)},), "
                    f"got {y.dtype} {y.shape}.",
                    "pass labels as np.asarray(y, dtype=np.int64).",
                )
            if len(y) and (y.min() < 0 or y.max() >= n):
                raise KitError(
                    f"Dataset {self.name!r}: y_{split} has labels outside 0..{n - 1}.",
                    "give one class name per label value.",
                )
        if len(self.x_test) and self.x_test.shape[1:] != self.x_train.shape[1:]:
            raise KitError(
                f"Dataset {self.name!r}: test images are {self.x_test.shape[1:]} "
                f"but train images are {self.x_train.shape[1:]}.",
                "give both splits the same image size and channels.",
            )

    @property
    def n_classes(self) -> int:
        """Number of classes (``len(class_names)``)."""
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(H, W, C)`` of every image."""
        return tuple(self.x_train.shape[1:])

    def split(self, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """Return ``(x, y)`` of ``"train"`` or ``"test"``."""
        if split == "train":
            return self.x_train, self.y_train
        if split == "test":
            return self.x_test, self.y_test
        raise KitError(f"Unknown split {split!r}.", 'use "train" or "test".')

    def class_counts(self, split: str = "train") -> np.ndarray:
        """Images per class in a split, as an ``int64`` array of length ``n_classes``."""
        _, y = self.split(split)
        return np.bincount(y, minlength=self.n_classes).astype(np.int64)

    def __repr__(self) -> str:
        h, w, c = self.image_shape
        return (
            f"Dataset(name={self.name!r}, n_classes={self.n_classes}, "
            f"train={len(self.x_train)}, test={len(self.x_test)}, "
            f"image={h}x{w}x{c}, source={self.source!r})"
        )
