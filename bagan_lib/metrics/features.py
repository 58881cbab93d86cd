"""Feature vectors that know which extractor made them, so numbers from different extractors never mix.

A FID of 12 from the ``domain`` classifier and a FID of 12 from InceptionV3 are
different quantities (different feature spaces, dimensions and scales), and so
are two ``domain`` FIDs from classifiers trained on different data. Every
result in :mod:`bagan_lib.metrics` therefore carries the extractor's full name
(e.g. ``inception-299`` or ``domain:fashion_mnist-32px-seed0-<hash>``), and
:func:`same_extractor` refuses to compare or aggregate results whose names differ.
Plain arrays (features computed elsewhere) are named ``raw`` unless named explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError

RAW = "raw"


def as_numbers(x, what: str, dtype=np.float64) -> np.ndarray:
    """``x`` as a ``dtype`` array; strings, objects or ragged lists are a KitError, not a raw NumPy error.
    Every metric reads its input through this (or :func:`as_features`)."""
    if isinstance(x, Features):
        x = x.values
    try:
        return np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise KitError(f"{what} must be numbers, got {type(x).__name__} that is not ({exc}).",
                       "pass a NumPy array of numbers (features, probabilities or images).") from exc


@dataclass(frozen=True)
class Features:
    """``values`` (n, d) float array from the extractor called ``extractor``."""

    values: np.ndarray
    extractor: str

    def __len__(self) -> int:
        return len(self.values)

    @property
    def dim(self) -> int:
        return int(self.values.shape[1])

    def subset(self, mask) -> "Features":
        """The rows selected by ``mask`` (boolean or indices), with the same extractor name."""
        return Features(self.values[mask], self.extractor)


def as_features(x, extractor: str | None = None, *, min_rows: int = 1) -> Features:
    """``x`` as :class:`Features`: finite float64 (n, d) with ``n >= min_rows``.

    A :class:`Features` keeps its name (``extractor``, if given, must match it);
    a plain array takes ``extractor`` or :data:`RAW`.
    """
    if isinstance(x, Features):
        if extractor is not None and extractor != x.extractor:
            raise KitError(f"Features from {x.extractor!r} were passed as {extractor!r}.",
                           "pass features of one extractor, or leave extractor=None.")
        name, values = x.extractor, x.values
    else:
        name, values = extractor or RAW, x
    values = as_numbers(values, "Features")
    if values.ndim != 2 or len(values) < min_rows or values.shape[1] < 1 or not np.isfinite(values).all():
        raise KitError(f"Features must be a finite (n, d) array with n >= {min_rows}; got shape {values.shape}"
                       + ("" if np.isfinite(values).all() else " with NaN or infinite values") + ".",
                       "pass one feature vector per image (e.g. from an extractor of bagan_lib.metrics).")
    return Features(values, name)


def same_extractor(*items) -> str:
    """The extractor name shared by every item (Features or a result with ``.extractor``), else a KitError."""
    names = sorted({item.extractor for item in items})
    if len(names) != 1:
        raise KitError(f"These numbers come from different feature extractors ({', '.join(names)}) and are not "
                       "comparable.", "compute every score you compare with one extractor (the same name).")
    return names[0]


def paired_features(a, b, extractor: str | None = None, *, min_rows: int = 2) -> tuple[Features, Features, str]:
    """Two feature sets to compare: checked (:func:`as_features`), of one extractor and one dimension."""
    a, b = as_features(a, extractor, min_rows=min_rows), as_features(b, extractor, min_rows=min_rows)
    name = same_extractor(a, b)
    if a.dim != b.dim:
        raise KitError(f"The feature sets have {a.dim} and {b.dim} dimensions.", "compute both with one extractor.")
    return a, b, name
