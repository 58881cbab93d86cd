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
``augmentation_paper``
    "On Data Augmentation Using GANs", footnote 1: Fashion-MNIST's classes 1, 3
    and 7 keep 50, 65 and 80 % of their images; on CIFAR-100, 20 classes drawn
    with the seed keep 65, 70, 75 or 80 %, five classes at each. Every other
    class keeps everything.
``long_tail``
    CIFAR-10-LT (Cui et al. 2019, "Class-Balanced Loss Based on Effective Number
    of Samples", long-tailed CIFAR; Cao et al. 2019, "Learning Imbalanced Datasets
    with Label-Distribution-Aware Margin Loss", imbalanced CIFAR): with imbalance factor
    ``rho`` = n_max / n_min, the class at position ``c`` of the class ``order``
    keeps ``floor(n_max * rho^(-c / (C - 1)))`` images (exponential decay from
    n_max, the largest class's count, to n_max / rho; at least 1), drawn with
    the seed. The order defaults to 0, 1, ..., C - 1. CIFAR-10, rho 100: 5000,
    2997, 1796, 1077, 645, 387, 232, 139, 83, 50.
``long_tail_step``
    Cao et al. 2019's step imbalance: the first ``C // 2`` classes of the order
    keep n_max, the others ``floor(n_max / rho)`` (with an odd C the middle class
    is in the tail).

Helpers: :func:`oversample_indices` (random oversampling, ROS, to a balanced
copy) and :func:`stratified_split`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from bagan_lib.errors import KitError

PROTOCOL_NAMES = ("none", "bagan_gp_paper", "bagan_gp_paper_balanced", "capgan", "bagan_prune", "augmentation_paper",
                  "long_tail", "long_tail_step")
LONG_TAIL_PROTOCOLS = ("long_tail", "long_tail_step")

# "On Data Augmentation Using GANs", footnote 1: the sparsified classes and the share of their images they keep.
AUGMENTATION_PAPER_FASHION = {1: 0.5, 3: 0.65, 7: 0.8}   # Fashion-MNIST: Trouser, Dress, Sneaker
# CIFAR-100: 20 drawn classes, "sparsifying groups of four to 65%, 70%, 75% and 80%". Four fractions cannot cover
# five groups of four, so the kit reads it as four groups (of five): 20 classes, five at each fraction.
AUGMENTATION_PAPER_CIFAR100 = (0.65, 0.7, 0.75, 0.8)
AUGMENTATION_PAPER_CIFAR100_CLASSES = 20

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


def floor_share(n: int, fraction: float) -> int:
    """``floor(n * fraction)`` with ``fraction`` read as the decimal it was written as.

    In floating point 0.57 * 100 is 56.99999999999999, whose floor loses an
    image; the decimal 0.57 times 100 is exactly 57.
    """
    return int(Fraction(str(fraction)) * n // 1)


def augmentation_paper_fractions(n_classes: int, *, seed: int = 42) -> dict[int, float]:
    """The sparsified classes of the augmentation paper's protocol and the fraction each keeps (footnote 1).

    10 classes (Fashion-MNIST): ``{1: 0.5, 3: 0.65, 7: 0.8}``. 100 classes
    (CIFAR-100): 20 classes drawn without replacement by
    ``np.random.default_rng(seed)``; the first five drawn keep 65 %, the next
    five 70 %, then 75 and 80 % (the footnote's four groups). The paper does not
    publish its draw, so the seed stands for it. Returned sorted by class.
    """
    if n_classes == 10:
        return dict(AUGMENTATION_PAPER_FASHION)
    if n_classes == 100:
        drawn = np.random.default_rng(seed).choice(100, size=AUGMENTATION_PAPER_CIFAR100_CLASSES, replace=False)
        group = AUGMENTATION_PAPER_CIFAR100_CLASSES // len(AUGMENTATION_PAPER_CIFAR100)
        chosen = {int(c): AUGMENTATION_PAPER_CIFAR100[i // group] for i, c in enumerate(drawn)}
        return dict(sorted(chosen.items()))
    raise KitError(
        f"The augmentation_paper protocol is defined for 10 classes (Fashion-MNIST: classes 1, 3, 7 keep 50, 65, "
        f"80 %) or 100 classes (CIFAR-100: 20 drawn classes keep 65-80 %); this data has {n_classes} classes.",
        "use --protocol capgan --rate R or bagan_prune for other datasets (or none for naturally imbalanced data "
        "such as a two-class folder).")


def augmentation_paper_indices(y, *, seed: int = 42, n_classes: int | None = None) -> np.ndarray:
    """Indices kept by the augmentation paper's protocol (:func:`augmentation_paper_fractions`).

    A sparsified class with ``n`` images keeps ``floor(n * fraction)`` of them
    (Fashion-MNIST's 6000: 3000, 3900, 4800; CIFAR-100's 500: 325, 350, 375,
    400), drawn without replacement by ``np.random.default_rng(seed)``, class by
    class in class order, and returned in dataset order. ``n_classes``: the
    dataset's number of classes (default: the largest label + 1).
    """
    y = _check_labels(y)
    n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
    fractions = augmentation_paper_fractions(n_classes, seed=seed)
    rng = np.random.default_rng(seed)  # as capgan: one generator, its draws class by class in class order
    kept = []
    for c in range(n_classes):
        members = np.flatnonzero(y == c)
        if c in fractions:
            members = np.sort(rng.choice(members, size=floor_share(len(members), fractions[c]), replace=False))
        kept.append(members)
    return np.sort(np.concatenate(kept))


def _check_rho(rho) -> float:
    if isinstance(rho, bool) or not isinstance(rho, (int, float, np.integer, np.floating)) \
            or not np.isfinite(rho) or rho < 1:
        raise KitError(f"The imbalance factor rho (largest class / smallest class) must be a finite number >= 1, "
                       f"got {rho!r}.", "use rho=100 (CIFAR-10-LT's usual value), 10, 50 or 200; 1 keeps every "
                       "class at the largest class's count.")
    return float(rho)


def check_order(order, n_classes: int) -> tuple[int, ...]:
    """``order`` (head class first) checked to be a permutation of 0..n_classes-1; None: 0, 1, ..., n_classes-1."""
    if order is None:
        return tuple(range(n_classes))
    try:
        items = [int(c) for c in order if isinstance(c, (int, np.integer)) and not isinstance(c, bool)]
        complete = len(items) == len(order)
    except TypeError:
        items, complete = [], False
    if not complete or sorted(items) != list(range(n_classes)):
        raise KitError(f"order={order!r} is not a permutation of the classes 0..{n_classes - 1}.",
                       f"list each of the {n_classes} classes exactly once, head (largest) first, e.g. "
                       f"order={list(range(n_classes))[::-1]} for the reversed tail.")
    return tuple(items)


def _floor(value: float) -> int:
    """``floor(value)`` where ``value`` is a float product meant exactly: 32 * 32^(-2/5) is 7.999999999999999 in
    floating point but 8 exactly, so a value within 1e-12 (relative) below a whole number counts as that number."""
    return int(np.floor(value * (1 + 1e-12)))


def long_tail_counts(n_max: int, rho: float, n_classes: int, order=None, *, step: bool = False) -> np.ndarray:
    """Images per class (indexed by class) of the long-tail protocols, for a head class of ``n_max`` images.

    ``order``: the classes from head to tail (a permutation, :func:`check_order`; default 0, 1, ..., C - 1).
    ``long_tail`` (Cui et al. 2019; Cao et al. 2019): the
    class at position c keeps ``floor(n_max * rho^(-c / (C - 1)))``.
    ``step=True`` (Cao et al. 2019's step imbalance): positions ``0 .. C // 2 - 1``
    keep n_max, the others ``floor(n_max / rho)`` (odd C: the middle class is
    in the tail). Every class keeps at least 1.
    """
    rho = _check_rho(rho)
    if n_classes < 2:
        raise KitError(f"A long tail needs at least 2 classes, got {n_classes}.", "use a dataset with several classes.")
    order = check_order(order, n_classes)
    if step:
        tail = max(1, int(Fraction(int(n_max)) / Fraction(str(rho)) // 1))  # rho read as written: 5000 / 12.5 = 400
        by_position = [int(n_max)] * (n_classes // 2) + [tail] * (n_classes - n_classes // 2)
    else:
        by_position = [max(1, _floor(n_max * rho ** (-c / (n_classes - 1)))) for c in range(n_classes)]
    counts = np.zeros(n_classes, dtype=np.int64)
    counts[list(order)] = by_position
    return counts


def long_tail_indices(y, *, rho: float, order=None, step: bool = False, seed: int = 42,
                      n_classes: int | None = None) -> np.ndarray:
    """Indices kept by the ``long_tail`` protocol (``step=True``: ``long_tail_step``), :func:`long_tail_counts`.

    n_max is the largest class's count. A class that keeps fewer than all its
    images has them drawn without replacement by ``np.random.default_rng(seed)``,
    class by class in class-index order (as capgan); the indices are returned
    in dataset order. A class with fewer images than its position asks for (the
    data is not balanced, e.g. MNIST) is a KitError whose fix lists the classes
    largest first. ``n_classes``: the dataset's number of classes (default: the
    largest label + 1).
    """
    y = _check_labels(y)
    n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
    order = check_order(order, n_classes)
    have = np.bincount(y, minlength=n_classes)
    keep = long_tail_counts(int(have.max()), rho, n_classes, order, step=step)
    short = [c for c in range(n_classes) if have[c] < keep[c]]
    if short:
        largest_first = np.argsort(-have, kind="stable").tolist()
        enough = (long_tail_counts(int(have.max()), rho, n_classes, largest_first, step=step) <= have).all()
        raise KitError(
            f"The long tail with rho={rho} asks for {', '.join(f'{keep[c]} images of class {c}' for c in short)}, "
            f"but the data has only {', '.join(str(have[c]) for c in short)}: its classes are not all as large as "
            f"the largest ({have.max()}).",
            f"order the classes largest first (order={largest_first}, --order {' '.join(map(str, largest_first))})"
            + ("." if enough else "; with that order, too, a class is short: use a larger rho as well."))
    rng = np.random.default_rng(seed)
    kept = []
    for c in range(n_classes):
        members = np.flatnonzero(y == c)
        if keep[c] < len(members):
            members = np.sort(rng.choice(members, size=int(keep[c]), replace=False))
        kept.append(members)
    return np.sort(np.concatenate(kept))


def profile_caps(split, max_per_class: int | None):
    """The per-class caps of a size profile for a protocol's training split.

    One cap for every class, except for the protocols whose imbalance the cap
    must not erase. ``capgan``: the majority class is capped at ``max_per_class``
    and every other class at ``max(1, floor(max_per_class / rate))``, so a
    capped run keeps the protocol's imbalance rate (teach, rate 10: 800 and 80).
    ``augmentation_paper``: a sparsified class at ``floor(max_per_class *
    fraction)``, the others at ``max_per_class`` (teach, Fashion-MNIST: 400, 520
    and 640 for classes 1, 3 and 7). ``long_tail`` and ``long_tail_step``: the
    protocol's counts with ``max_per_class`` as n_max (:func:`long_tail_counts`;
    the class at position c of the order at ``floor(max_per_class * rho^(-c / (C
    - 1)))``, at least 1), so a capped run keeps the tail's shape (smoke, rho 100:
    64, 38, 23, 13, 8, 4, 2, 1, 1, 1).
    """
    if max_per_class is None or split.protocol not in ("capgan", "augmentation_paper", *LONG_TAIL_PROTOCOLS):
        return max_per_class
    n_classes = len(split.class_names)
    if split.protocol in LONG_TAIL_PROTOCOLS:
        return long_tail_counts(max_per_class, split.settings["rho"], n_classes, split.settings["order"],
                                step=split.protocol == "long_tail_step")
    if split.protocol == "augmentation_paper":
        caps = np.full(n_classes, max_per_class)
        for c, fraction in split.settings["fractions"].items():
            caps[int(c)] = max(1, floor_share(max_per_class, fraction))
        return caps
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
                   fraction: float | None = None, rho: float | None = None, order=None,
                   seed: int = 42) -> ProtocolSplit:
    """Apply a named protocol to a :class:`~bagan_lib.data.Dataset`'s training split.

    Arguments a protocol does not use must be left as None, so a typo in a
    notebook parameter is an error and not a silent no-op. ``long_tail`` and
    ``long_tail_step`` take ``rho`` (needed) and ``order`` (the classes head
    first; default 0, 1, ..., C - 1); their settings hold ``rho``, the ``order``
    used and the ``kept`` count of every class (by class index).
    """
    if protocol not in PROTOCOL_NAMES:
        raise KitError(f"Unknown imbalance protocol {protocol!r}.",
                       f"choose one of {', '.join(PROTOCOL_NAMES)}.")
    used = {"capgan": {"rate", "majority"}, "bagan_prune": {"pruned_class", "fraction"},
            "long_tail": {"rho", "order"}, "long_tail_step": {"rho", "order"}}.get(protocol, set())
    given = {k for k, v in dict(rate=rate, majority=majority, pruned_class=pruned_class,
                                fraction=fraction, rho=rho, order=order).items() if v is not None}
    if given - used:
        raise KitError(f"Protocol {protocol!r} does not take {', '.join(sorted(given - used))}.",
                       f"leave them out (it takes: {', '.join(sorted(used)) or 'no options'}).")
    y = dataset.y_train
    n_classes = len(dataset.class_names)
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
    elif protocol == "augmentation_paper":
        train, val = augmentation_paper_indices(y, seed=seed, n_classes=n_classes), empty
    elif protocol in LONG_TAIL_PROTOCOLS:
        if rho is None:
            raise KitError(f"The {protocol} protocol needs an imbalance factor rho.", "pass rho=100 (or --rho 100).")
        train, val = long_tail_indices(y, rho=rho, order=order, step=protocol == "long_tail_step", seed=seed,
                                       n_classes=n_classes), empty
    else:
        train, val = np.arange(len(y)), empty
    settings = {k: v for k, v in dict(rate=rate, majority=majority, pruned_class=pruned_class,
                                      fraction=fraction, seed=seed).items() if v is not None}
    if protocol == "augmentation_paper":  # which classes were sparsified, for a report to print
        settings = {"fractions": augmentation_paper_fractions(n_classes, seed=seed), **settings}
    if protocol in LONG_TAIL_PROTOCOLS:  # what profile_caps needs, and the counts for a report to print
        settings = {"rho": float(rho), "order": list(check_order(order, n_classes)),
                    "kept": np.bincount(y[train], minlength=n_classes).tolist(), **settings}
    return ProtocolSplit(
        dataset=dataset.name, protocol=protocol, class_names=tuple(dataset.class_names),
        x_train=dataset.x_train[train], y_train=y[train],
        x_val=dataset.x_train[val], y_val=y[val],
        x_test=dataset.x_test, y_test=dataset.y_test, settings=settings)
