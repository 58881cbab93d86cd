"""Group spectral regularisation (gSR) of a class-conditional batch-norm generator (Rangwani, Jaswani, Karmali,
Jampani and Babu, "Improving GANs for Long-Tailed Data through Group Spectral Regularization", ECCV 2022).

The paper's observation: on long-tailed data, the class-conditional batch norm
(cBN) parameters of the tail classes grow a large spectral norm once grouped into
a matrix ("spectral explosion"), and that is when the tail classes' samples
collapse. gSR penalises those spectral norms, more for classes with fewer images.

**The grouped matrices.** Each cBN layer ``l`` (:class:`bagan_lib.models.class_batchnorm.ClassBatchNormalization`)
has, for class ``y``, a gain ``gamma_y = 1 + g_y`` and a bias ``beta_y`` over its
``d`` channels. The regularised vectors are ``g_y`` and ``beta_y`` (the table
entries; the official code's ``embed0``/``embed1`` with gain ``1 + embed0``: a
class at ``gamma = 1, beta = 0`` costs nothing). Each is reshaped row by row
into a matrix of ``n_g`` groups:

    Gamma_y^l = reshape(g_y, (n_g, d / n_g)),   B_y^l = reshape(beta_y, (n_g, d / n_g)),

with ``n_g`` the **largest divisor of d not above sqrt(d)** (:func:`group_shape`;
the official code's ``get_dimensions``): the squarest grouping, 8 x 16 for the
kit's 128 channels, 8 x 8 for 64. Why square: a 1 x d (or d x 1) "grouping" would
make ``sigma_max`` the plain L2 norm of the vector; a square one measures how the
vector's energy concentrates in one direction across groups, which is what the
paper sees explode.

**The penalty** (the paper's Eq. 7-8, as the official code computes it)::

    R_gSR = 1 / (L C) * sum_l sum_y w_y (sigma_max(Gamma_y^l)^2 + sigma_max(B_y^l)^2)

over the ``L`` cBN layers and ``C`` classes; the generator's loss becomes
``L_G + lambda_gSR * R_gSR``. ``sigma_max`` is the largest singular value, by an
**exact SVD** (``ops.linalg.svd``; its gradient is ``u_1 v_1^T`` when the top
singular value is simple, and ``2 sigma_max u_1 v_1^T`` for the square).

**The class weights** come from the inverse *effective number of samples* (Cui,
Jia, Lin, Song and Belongie, "Class-Balanced Loss Based on Effective Number of
Samples", CVPR 2019)::

    E_n = (1 - beta^n) / (1 - beta),   w_y = K / E_{n_y},   K = C / sum_c (1 / E_{n_c}),

so the weights average to 1 over the classes (``sum_y w_y = C``) and a class with
half the effective samples weighs twice as much. Defaults: ``beta`` = 0.999
(:data:`GSR_BETA`, the official SNGAN CIFAR-10 configuration; its BigGAN one uses
0.99) and ``lambda_gSR`` = 0.5 (:data:`GSR_LAMBDA`, both official CIFAR-10
configurations).

**The diagnostic.** :meth:`GroupSpectralRegulariser.norms` returns every
``sigma_max(Gamma_y^l)`` and ``sigma_max(B_y^l)``; the trainer tracks, per class
``c``, ``gsr_norm_c`` = the mean over the cBN layers of ``sigma_max(Gamma_c^l)``
after every step (so the history has one epoch mean per class: the paper's
Fig. 3 curves of the tail classes' gain norms), whether or not gSR is on.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.models.class_batchnorm import class_batchnorm_layers
from bagan_lib.models.recipes import GSR_LAMBDA  # noqa: F401  (re-exported: the gSR weight's default)

# GSR_LAMBDA = 0.5: lambda_gSR of the official CIFAR-10 configurations (SNGAN and BigGAN); kept with the recipes,
# which the command line reads without TensorFlow
GSR_BETA = 0.999    # beta of the effective number (official SNGAN CIFAR-10; BigGAN: 0.99)


def effective_number(counts, beta: float = GSR_BETA) -> np.ndarray:
    """``E_n = (1 - beta^n) / (1 - beta)`` for each count ``n`` (Cui et al. 2019, Eq. 3); ``beta`` in [0, 1)."""
    counts = np.asarray(counts, dtype="float64")
    if not 0 <= beta < 1:
        raise KitError(f"beta={beta!r}: the effective number needs 0 <= beta < 1.", f"use e.g. {GSR_BETA}.")
    return (1.0 - beta ** counts) / (1.0 - beta)


def class_weights(counts, beta: float = GSR_BETA) -> np.ndarray:
    """``w_y = K / E_{n_y}`` with ``K = C / sum_c 1 / E_{n_c}``: inverse effective numbers averaging 1."""
    counts = np.asarray(counts, dtype="float64")
    if counts.ndim != 1 or counts.size == 0 or (counts < 1).any() or not np.isfinite(counts).all():
        raise KitError(f"class counts {counts.tolist()!r}: every class needs at least one image.",
                       "pass the number of training images of each class (np.bincount(y, minlength=n_classes)).")
    inverse = 1.0 / effective_number(counts, beta)
    return inverse * (counts.size / inverse.sum())


def group_shape(d: int) -> tuple[int, int]:
    """``(n_g, d / n_g)`` with ``n_g`` the largest divisor of ``d`` not above ``sqrt(d)``: 128 -> (8, 16)."""
    if d < 1:
        raise KitError(f"{d} channels cannot be grouped.", "give a layer with at least one channel.")
    groups = max(k for k in range(1, math.isqrt(d) + 1) if d % k == 0)
    return groups, d // groups


def grouped(vectors, groups: int | None = None):
    """``(..., d)`` vectors as ``(..., n_g, d / n_g)`` matrices, row by row (``n_g`` from :func:`group_shape`)."""
    d = vectors.shape[-1]
    rows, cols = group_shape(d) if groups is None else (groups, d // groups)
    if rows * cols != d:
        raise KitError(f"{groups} groups do not divide {d} channels.", "give a divisor of the channel count.")
    return ops.reshape(vectors, tuple(vectors.shape[:-1]) + (rows, cols))


def spectral_norms(matrices):
    """The largest singular value of each matrix of a ``(..., m, n)`` stack, by an exact SVD (float32)."""
    matrices = ops.cast(matrices, "float32")
    return ops.max(ops.linalg.svd(matrices, full_matrices=False, compute_uv=False), axis=-1)


def gsr_penalty(gain_norms, bias_norms, weights):
    """``1 / (L C) sum_l sum_y w_y (gain_norms[l, y]^2 + bias_norms[l, y]^2)`` from ``(L, C)`` spectral norms."""
    weights = ops.cast(ops.convert_to_tensor(weights), "float32")
    per_class = ops.square(ops.cast(gain_norms, "float32")) + ops.square(ops.cast(bias_norms, "float32"))  # (L, C)
    return ops.mean(per_class * weights[None, :])


class GroupSpectralRegulariser:
    """gSR on the cBN layers of ``generator`` (found by their type), weighted by ``class_counts``.

    ``norms()`` gives the ``(L, C)`` spectral norms of the grouped gains and biases;
    ``penalty()`` is ``R_gSR`` (see the module docstring); both differentiable.
    """

    def __init__(self, generator, class_counts, *, beta: float = GSR_BETA):
        self.layers = class_batchnorm_layers(generator)
        if not self.layers:
            raise KitError(f"The generator {generator.name!r} has no class-conditional batch normalisation: gSR has "
                           "nothing to regularise.", "build the generator with the cBN decoder (a recipe with "
                           "generator='cbn', e.g. bagan_gp_v3_cbn).")
        n_classes = {layer.n_classes for layer in self.layers}
        counts = np.asarray(class_counts)
        if len(n_classes) != 1 or counts.shape != (n_classes.pop(),):
            raise KitError(f"{counts.size} class counts for a generator with {self.layers[0].n_classes} classes.",
                           "pass one count per class (np.bincount(y, minlength=n_classes)).")
        self.counts, self.beta = counts, float(beta)
        self.weights = class_weights(counts, beta).astype("float32")

    def norms(self):
        """``(gain_norms, bias_norms)``, each ``(L, C)``: ``sigma_max`` of every layer's grouped class vectors."""
        gains = ops.stack([spectral_norms(grouped(layer.gain_offsets)) for layer in self.layers])
        biases = ops.stack([spectral_norms(grouped(layer.biases)) for layer in self.layers])
        return gains, biases

    def penalty(self, norms=None):
        """``R_gSR`` (unweighted by ``lambda_gSR``) from :meth:`norms` (computed here when not given)."""
        gains, biases = self.norms() if norms is None else norms
        return gsr_penalty(gains, biases, self.weights)


def class_gain_norms(layers):
    """``(C,)``: per class, the mean over the cBN ``layers`` of ``sigma_max(Gamma_y^l)``: the explosion diagnostic."""
    return ops.mean(ops.stack([spectral_norms(grouped(layer.gain_offsets)) for layer in layers]), axis=0)
