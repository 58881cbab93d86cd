"""t-SNE maps of real and generated features, class by class (BAGAN-GP paper, Fig. 11).

FID and KID reduce a class to one number. A map shows *how* the generated
images of a class differ from the real ones in the extractor's feature space:
shifted (the two clouds apart), too narrow (generated points in one corner of
the real cloud: low recall), or landing among another class's real images.
:func:`real_generated_map` embeds real and generated features of every class
in one 2-D t-SNE (:func:`bagan_lib.experiments.latent_analysis.tsne_2d`), so a panel per
class can show both clouds on the same axes. As for any t-SNE, distances in
the map are not to be measured; the numbers (precision and recall,
:mod:`bagan_lib.metrics.precision_recall`) come from the full feature space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.experiments.latent_analysis import tsne_2d
from bagan_lib.metrics.features import paired_features


@dataclass(frozen=True)
class FeatureMap:
    """2-D points of real and generated images: ``labels`` (class per point), ``generated`` (bool per point)."""

    points: np.ndarray
    labels: np.ndarray
    generated: np.ndarray
    extractor: str

    def part(self, c: int, generated: bool) -> np.ndarray:
        """The points of class ``c``, generated or real."""
        return self.points[(self.labels == c) & (self.generated == generated)]


def _per_class(labels: np.ndarray, cap: int, rng) -> np.ndarray:
    keep = [rng.permutation(np.flatnonzero(labels == c))[:cap] for c in np.unique(labels)]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def real_generated_map(real, real_labels, generated, generated_labels, *, max_per_class: int = 200,
                       seed: int = 0, extractor: str | None = None) -> FeatureMap:
    """One t-SNE of at most ``max_per_class`` real and ``max_per_class`` generated feature vectors per class.

    The points kept are drawn at random per class (seeded); a class with fewer
    real images keeps them all (``synthetic_cells``: 27 schizonts). Both sets
    must come from one extractor.
    """

    real, generated, name = paired_features(real, generated, extractor)
    real_labels, generated_labels = np.asarray(real_labels).reshape(-1), np.asarray(generated_labels).reshape(-1)
    if len(real_labels) != len(real) or len(generated_labels) != len(generated):
        raise KitError(f"{len(real)} real and {len(generated)} generated feature vectors, but {len(real_labels)} "
                       f"and {len(generated_labels)} labels.", "pass one label per feature vector.")
    if max_per_class < 1:
        raise KitError(f"max_per_class={max_per_class} must be at least 1.", "pass e.g. max_per_class=200.")
    rng = np.random.default_rng(seed)
    keep_real, keep_generated = _per_class(real_labels, max_per_class, rng), _per_class(generated_labels,
                                                                                         max_per_class, rng)
    values = np.concatenate([real.values[keep_real], generated.values[keep_generated]])
    labels = np.concatenate([real_labels[keep_real], generated_labels[keep_generated]]).astype(np.int64)
    is_generated = np.concatenate([np.zeros(len(keep_real), bool), np.ones(len(keep_generated), bool)])
    return FeatureMap(tsne_2d(values, seed=seed), labels, is_generated, name)
