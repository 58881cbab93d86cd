"""The same images scored in the feature spaces of several extractors, side by side.

FID and KID are distances *between features*, so their values, and even the
order of the classes, depend on the extractor: InceptionV3's ImageNet features
(2048 dimensions) see textures and objects, the kit's ``domain`` classifier
(128) sees what tells the dataset's classes apart. Numbers of different
extractors are never mixed (:mod:`bagan_lib.metrics.features`); this module
puts them next to each other, one column per extractor, with the rank
correlation of the per-class FIDs between every pair of extractors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import KitError


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
    import pandas as pd
    from scipy.stats import spearmanr

    from .per_class import per_class_scores

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
