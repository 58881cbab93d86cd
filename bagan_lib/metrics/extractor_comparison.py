"""The same images scored in the feature spaces of several extractors, side by side.

FID and KID are distances *between features*, so their values, and even the
order of the classes, depend on the extractor: InceptionV3's ImageNet features
(2048 dimensions) see textures and objects, the kit's ``domain`` classifier
(128) sees what tells the dataset's classes apart. Numbers of different
extractors are never mixed (:mod:`bagan_lib.metrics.features`); this module
puts them next to each other, one column per extractor, with the rank
correlation of the per-class FIDs between every pair of extractors.
:class:`PixelExtractor` (the images themselves, block-averaged to a few
pixels) is the naive feature space that is always available to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from bagan_lib.errors import KitError
from bagan_lib.metrics.features import Features
from bagan_lib.metrics.per_class import per_class_scores


class PixelExtractor:
    """The images as features: block means over ``size`` x ``size`` pixels (per channel), flattened.

    No network sees them, so this space measures brightness and layout only;
    it is the baseline that shows how much the feature space decides. Name:
    ``pixels-<size>px``; the image side must be a multiple of ``size``.
    """

    kind = "pixels"

    def __init__(self, size: int = 8):
        if size < 1:
            raise KitError(f"size={size} must be at least 1.", "pass e.g. size=8.")
        self.size, self.name = size, f"pixels-{size}px"

    def __call__(self, images):
        x = np.asarray(images, dtype=np.float64)
        if x.ndim != 4 or x.shape[1] != x.shape[2] or x.shape[1] % self.size:
            raise KitError(f"Images of shape {x.shape[1:]} cannot be averaged to {self.size}x{self.size} blocks.",
                           f"pass square images (n, side, side, channels) whose side is a multiple of {self.size}.")
        block = x.shape[1] // self.size
        means = x.reshape(len(x), self.size, block, self.size, block, x.shape[3]).mean(axis=(2, 4))
        return Features(means.reshape(len(x), -1), self.name)


@dataclass
class ExtractorComparison:
    """``table``: one row per class, FID and KID columns per extractor; ``agreement``: Spearman's rho of the
    per-class FIDs for every pair of extractors (empty with one extractor); ``extractors``: label -> full name."""

    table: object
    agreement: object
    extractors: dict


def compare_extractors(extractors: dict, real_images, real_labels, generated_images, generated_labels, *,
                       class_names, bootstrap: int = 0, kid_subsets: int = 100, kid_subset_size: int = 1000,
                       seed: int = 0) -> ExtractorComparison:
    """Per-class FID and KID of ``generated_images`` against ``real_images`` with every extractor of ``extractors``
    (label -> extractor, e.g. ``{"domain": ..., "inception": ...}``)."""


    if not extractors:
        raise KitError("No extractor to compare.", "pass e.g. {'domain': domain_extractor(dataset)}.")
    table, names = None, {}
    for label, extractor in extractors.items():
        result = per_class_scores(extractor(real_images), real_labels, extractor(generated_images), generated_labels,
                                  class_names=class_names, bootstrap=bootstrap, kid_subsets=kid_subsets,
                                  kid_subset_size=kid_subset_size, seed=seed, warn=False)
        names[label] = result.extractor
        part = result.table[["class", "name", "n_real", "n_generated", "FID", "KID"]].rename(
            columns={"FID": f"FID {label}", "KID": f"KID {label}"})
        table = part if table is None else table.merge(part, on=["class", "name", "n_real", "n_generated"])
    labels = list(extractors)
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            fa, fb = table[f"FID {a}"].to_numpy(float), table[f"FID {b}"].to_numpy(float)
            ok = np.isfinite(fa) & np.isfinite(fb)
            rho = float(spearmanr(fa[ok], fb[ok]).statistic) if ok.sum() >= 3 else float("nan")
            pairs.append({"extractors": f"{a} vs {b}", "classes": int(ok.sum()), "Spearman rho of FID": rho})
    agreement = pd.DataFrame(pairs, columns=["extractors", "classes", "Spearman rho of FID"])
    return ExtractorComparison(table, agreement, names)
