"""Imbalance protocols: how each paper turns a balanced dataset into an imbalanced one.

A protocol works on the label array alone and returns *indices*, so the same
protocol can be checked on labels without the images (CIFAR-10's Table D is
tested that way) and applied to any :class:`~bagan_lib.data.Dataset` with
:func:`apply_protocol`.

Protocols
---------
``bagan_gp_paper``
    BAGAN-GP paper, Tables 1-2: class 0 keeps all its images, class ``c`` keeps
    its first ``100 * c``; the kept images, concatenated class after class,
    get a shuffled 70/30 split with seed 42. The 70 % part trains the GAN, the
    30 % part validates the autoencoder. ``balanced=True`` skips the pruning
    (the paper's balanced tables A and C).
``capgan``
    CAPGAN paper: one ``majority`` class keeps everything, every other class
    keeps ``1/rate`` of its images (rate 5, 10, 20, 50 or 100 in the paper).
``bagan_prune``
    Original BAGAN paper: one class is pruned to a ``fraction`` of the largest
    other class; every other class keeps everything.

Helpers: :func:`oversample_indices` (random oversampling, ROS, to a balanced
copy) and :func:`stratified_split`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bagan_lib.errors import KitError

PROTOCOL_NAMES = ("none", "bagan_gp_paper", "bagan_gp_paper_balanced", "capgan", "bagan_prune")

# The BAGAN-GP paper's Table 1 (Fashion-MNIST) and Table 2 (CIFAR-10): the 70 % training part.
# Table 1 B prints 387 for class 7 (Sneaker); the protocol gives 487, and only 487 makes the row
# sum to 7350 = 70 % of the 10500 kept images (387 would sum to 7250): a typo in the paper.
PAPER_TABLES = {
    "A": (4231, 4165, 4199, 4211, 4185, 4217, 4189, 4241, 4175, 4187),
    "B": (4166, 73, 139, 210, 287, 370, 422, 487, 545, 651),
    "B_as_printed": (4166, 73, 139, 210, 287, 370, 422, 387, 545, 651),
    "C": (3527, 3523, 3500, 3458, 3563, 3455, 3535, 3509, 3453, 3476),
    "D": (3490, 71, 130, 221, 269, 349, 435, 485, 572, 628),
}


def _check_labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise KitError(f"Labels must be a non-empty 1-D array, got shape {y.shape}.",
                       "pass the integer class index of every image, e.g. dataset.y_train.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise KitError("Labels must be non-negative integers.",
                       "convert class names to indices 0..n_classes-1 first.")
    return y.astype(np.int64)


def _check_class(c: int, n_classes: int, what: str) -> int:
    if not isinstance(c, (int, np.integer)) or not 0 <= c < n_classes:
        raise KitError(f"{what}={c!r} is not a class of this dataset (classes 0..{n_classes - 1}).",
                       f"choose {what} between 0 and {n_classes - 1}.")
    return int(c)


def bagan_gp_paper_indices(y, *, balanced: bool = False, seed: int = 42,
                           val_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices of the BAGAN-GP protocol (paper Tables 1-2).

    The kept images are taken class after class (class 0 first), in dataset
    order within a class, before ``train_test_split(test_size=0.3,
    random_state=42)`` shuffles them: this order is what reproduces Tables B
    and D exactly. The balanced variant (Tables A and C) splits all indices in
    dataset order.
    """
    y = _check_labels(y)
    if balanced:
        kept = np.arange(len(y))
    else:
        parts = [np.flatnonzero(y == 0)]
        for c in range(1, int(y.max()) + 1):
            members = np.flatnonzero(y == c)
            if len(members) < 100 * c:
                raise KitError(
                    f"The bagan_gp_paper protocol keeps the first {100 * c} images of class {c}, "
                    f"but the data has only {len(members)}.",
                    "use the protocol on a full training split (e.g. Fashion-MNIST or CIFAR-10), "
                    "or use --protocol capgan / bagan_prune for small datasets.")
            parts.append(members[: 100 * c])
        kept = np.concatenate(parts)
    from sklearn.model_selection import train_test_split  # lazy: scikit-learn is slow to import (~1.5 s)

    train, val = train_test_split(kept, test_size=val_fraction, random_state=seed)
    return np.asarray(train), np.asarray(val)


def capgan_indices(y, *, rate: float, majority: int = 0, seed: int = 42) -> np.ndarray:
    """Indices kept by the CAPGAN protocol: every non-majority class keeps 1/rate of its images.

    Each minority class keeps ``max(1, floor(n_c / rate))`` images drawn without
    replacement with ``seed``, returned in dataset order.
    """
    y = _check_labels(y)
    n_classes = int(y.max()) + 1
    majority = _check_class(majority, n_classes, "majority")
    if not np.isfinite(rate) or rate < 1:
        raise KitError(f"The imbalance rate must be at least 1 (1 keeps everything), got {rate!r}.",
                       "use a rate such as 5, 10, 20, 50 or 100 (the CAPGAN paper's values).")
    rng = np.random.default_rng(seed)
    kept = []
    for c in range(n_classes):
        members = np.flatnonzero(y == c)
        if c != majority:
            n_keep = max(1, int(np.floor(len(members) / rate)))
            members = np.sort(rng.choice(members, size=n_keep, replace=False))
        kept.append(members)
    return np.sort(np.concatenate(kept))


def profile_caps(split, max_per_class: int | None):
    """The per-class caps of a size profile for a protocol's training split.

    One cap for every class, except for the ``capgan`` protocol, whose rate the
    cap must not erase: there the majority class is capped at ``max_per_class``
    and every other class at ``max(1, floor(max_per_class / rate))``, so a
    capped run keeps the protocol's imbalance rate (teach, rate 10: 800 and 80).
    """
    if max_per_class is None or split.protocol != "capgan":
        return max_per_class
    n_classes = len(split.class_names)
    minority = max(1, int(np.floor(max_per_class / split.settings["rate"])))
    caps = np.full(n_classes, minority)
    caps[split.settings.get("majority", 0)] = max_per_class
    return caps


def bagan_prune_indices(y, *, pruned_class: int, fraction: float, seed: int = 42) -> np.ndarray:
    """Indices kept by the original BAGAN protocol: one class pruned to ``fraction`` of the largest other class."""
    y = _check_labels(y)
    n_classes = int(y.max()) + 1
    pruned_class = _check_class(pruned_class, n_classes, "pruned_class")
    if not 0 < fraction <= 1:
        raise KitError(f"fraction must be in (0, 1], got {fraction!r}.",
                       "pass e.g. 0.25 to keep a quarter of the largest other class's count.")
    counts = np.bincount(y, minlength=n_classes)
    largest_other = int(np.delete(counts, pruned_class).max())
    n_keep = max(1, int(round(fraction * largest_other)))
    members = np.flatnonzero(y == pruned_class)
    if n_keep > len(members):
        raise KitError(
            f"fraction={fraction} of the largest other class ({largest_other}) asks for {n_keep} images "
            f"of class {pruned_class}, but it has only {len(members)}.",
            f"use a fraction of at most {len(members) / largest_other:.3f}.")
    rng = np.random.default_rng(seed)
    keep_pruned = rng.choice(members, size=n_keep, replace=False)
    return np.sort(np.concatenate([np.flatnonzero(y != pruned_class), keep_pruned]))


def oversample_indices(y, *, seed: int = 42) -> np.ndarray:
    """Random oversampling (ROS): every original index once, plus copies drawn with replacement
    until every class has as many images as the largest one. Returns shuffled indices."""
    y = _check_labels(y)
    counts = np.bincount(y)
    target = counts.max()
    rng = np.random.default_rng(seed)
    parts = []
    for c, n in enumerate(counts):
        members = np.flatnonzero(y == c)
        if n == 0:
            continue
        parts.append(members)
        parts.append(rng.choice(members, size=target - n, replace=True))
    out = np.concatenate(parts)
    return out[rng.permutation(len(out))]


def stratified_split(y, *, val_fraction: float, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices with the class proportions kept in both parts."""
    y = _check_labels(y)
    if not 0 < val_fraction < 1:
        raise KitError(f"val_fraction must be strictly between 0 and 1, got {val_fraction!r}.",
                       "pass e.g. 0.2 for an 80/20 split.")
    from sklearn.model_selection import train_test_split  # lazy: scikit-learn is slow to import (~1.5 s)

    idx = np.arange(len(y))
    train, val = train_test_split(idx, test_size=val_fraction, random_state=seed, stratify=y)
    return np.asarray(train), np.asarray(val)


@dataclass(frozen=True)
class ProtocolSplit:
    """A dataset after an imbalance protocol.

    ``train`` is what the models learn from, ``val`` the held-out part of the
    same source (may be empty), ``test`` the dataset's own test split, untouched.
    """

    dataset: str
    protocol: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def counts(self) -> dict[str, np.ndarray]:
        """Images per class in each split."""
        return {name: np.bincount(y, minlength=self.n_classes)
                for name, y in (("train", self.y_train), ("val", self.y_val), ("test", self.y_test))}

    def summary_rows(self) -> list[dict]:
        """One row per class: index, name, and its count in each split."""
        counts = self.counts()
        return [{"class": c, "name": name, **{split: int(counts[split][c]) for split in counts}}
                for c, name in enumerate(self.class_names)]


def apply_protocol(dataset, protocol: str = "none", *, rate: float | None = None,
                   majority: int | None = None, pruned_class: int | None = None,
                   fraction: float | None = None, seed: int = 42) -> ProtocolSplit:
    """Apply a named protocol to a :class:`~bagan_lib.data.Dataset`'s training split.

    Arguments a protocol does not use must be left as None, so a typo in a
    notebook parameter is an error and not a silent no-op.
    """
    if protocol not in PROTOCOL_NAMES:
        raise KitError(f"Unknown imbalance protocol {protocol!r}.",
                       f"choose one of {', '.join(PROTOCOL_NAMES)}.")
    used = {"capgan": {"rate", "majority"}, "bagan_prune": {"pruned_class", "fraction"}}.get(protocol, set())
    given = {k for k, v in dict(rate=rate, majority=majority, pruned_class=pruned_class,
                                fraction=fraction).items() if v is not None}
    if given - used:
        raise KitError(f"Protocol {protocol!r} does not take {', '.join(sorted(given - used))}.",
                       f"leave them out (it takes: {', '.join(sorted(used)) or 'no options'}).")
    y = dataset.y_train
    empty = np.zeros(0, dtype=np.int64)
    if protocol in ("bagan_gp_paper", "bagan_gp_paper_balanced"):
        train, val = bagan_gp_paper_indices(y, balanced=protocol.endswith("_balanced"), seed=seed)
    elif protocol == "capgan":
        if rate is None:
            raise KitError("The capgan protocol needs a rate.", "pass rate=10 (or --rate 10).")
        train, val = capgan_indices(y, rate=rate, majority=0 if majority is None else majority, seed=seed), empty
    elif protocol == "bagan_prune":
        if pruned_class is None or fraction is None:
            raise KitError("The bagan_prune protocol needs pruned_class and fraction.",
                           "pass e.g. pruned_class=0, fraction=0.25.")
        train, val = bagan_prune_indices(y, pruned_class=pruned_class, fraction=fraction, seed=seed), empty
    else:
        train, val = np.arange(len(y)), empty
    settings = {k: v for k, v in dict(rate=rate, majority=majority, pruned_class=pruned_class,
                                      fraction=fraction, seed=seed).items() if v is not None}
    return ProtocolSplit(
        dataset=dataset.name, protocol=protocol, class_names=tuple(dataset.class_names),
        x_train=dataset.x_train[train], y_train=y[train],
        x_val=dataset.x_train[val], y_val=y[val],
        x_test=dataset.x_test, y_test=dataset.y_test, settings=settings)
