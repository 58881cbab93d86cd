"""``synthetic_cells``: a procedural stand-in for the BAGAN-GP paper's Cells dataset.

The paper's Cells dataset (crops of stained red blood cells, four classes of
which three are malaria-parasite stages) can no longer be downloaded, so the
kit draws its own. What made Cells hard for BAGAN is kept:

* the four classes look alike: every image is one pale pink red-blood-cell disc
  on a light background, with random size, ellipticity, rotation, outline
  wobble, darker rim, central pallor, lighting, stain colour, background tint,
  blur and sensor noise;
* they differ only in a small, modest-contrast purple inclusion inside the cell:

  ==============  =======================================================
  ``normal``      no inclusion
  ``ring``        a thin purple ring with a dark chromatin dot on it
  ``schizont``    a cluster of 8 to 24 small purple dots
  ``trophozoite`` a larger irregular purple blob with 2-3 dark pigment spots
  ==============  =======================================================

* the class counts are strongly imbalanced (:data:`TRAIN_COUNTS`,
  :data:`VALIDATION_COUNTS`).

Everything is deterministic from ``seed``:

* ``train`` and ``validation`` use independent random streams
  (``SeedSequence([seed, split_index])``), so the same seed gives different
  images in the two splits;
* each class has its own stream, and every image's parameters are one row of a
  table of uniform numbers drawn up front, so image ``i`` of a class does not
  depend on how many images of that class or of the other classes are asked
  for (only the final shuffle does);
* drawing is vectorised with numpy over batches of images (coordinate grids,
  per-image parameters broadcast), with ``scipy.ndimage.gaussian_filter`` for
  the blur. All 8,607 default images take a few seconds on two CPU cores.

This module does not import TensorFlow.
"""

from __future__ import annotations

from numbers import Integral
from typing import Sequence

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from bagan_lib.errors import KitError

CLASS_NAMES: tuple[str, ...] = ("normal", "ring", "schizont", "trophozoite")
TRAIN_COUNTS: tuple[int, ...] = (5600, 292, 106, 887)
VALIDATION_COUNTS: tuple[int, ...] = (1400, 73, 27, 222)
SPLITS: tuple[str, ...] = ("train", "validation")
IMAGE_SIZES: tuple[int, ...] = (28, 32, 64)

_SIZE = 64  # images are always drawn at 64x64, then resized down if asked
_CHUNK = 256  # images rendered at once (memory ~ _CHUNK * 64 * 64 * 3 * 4 bytes per array)
_COLUMNS = 128  # uniform numbers per image; every class uses a prefix of its row
_MAX_DOTS = 24  # schizont dots
_MAX_PIGMENT = 3  # trophozoite pigment spots


# ----------------------------------------------------------------------------
# argument checks


def _check_split(split: object) -> int:
    if split not in SPLITS:
        raise KitError(
            f"synthetic_cells: unknown split {split!r}.",
            f"pass split='train' or split='validation' (one of {SPLITS}).",
        )
    return SPLITS.index(split)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise KitError(
            f"synthetic_cells: seed must be a non-negative integer, got {seed!r}.",
            "pass seed=0 (or any other int >= 0).",
        )
    return int(seed)


def _check_counts(counts: object, default: tuple[int, ...]) -> tuple[int, ...]:
    if counts is None:
        return default
    fix = (f"pass one non-negative int per class in the order {CLASS_NAMES}, "
           f"e.g. counts={default}.")
    if isinstance(counts, (str, bytes)) or not hasattr(counts, "__len__"):
        raise KitError(f"synthetic_cells: counts must be a sequence of {len(CLASS_NAMES)} ints, "
                       f"got {counts!r}.", fix)
    values = list(counts)  # type: ignore[arg-type]
    if len(values) != len(CLASS_NAMES):
        raise KitError(f"synthetic_cells: counts needs {len(CLASS_NAMES)} values (one per class), "
                       f"got {len(values)}: {values!r}.", fix)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
            raise KitError(f"synthetic_cells: every count must be a non-negative int, "
                           f"got {value!r} in {values!r}.", fix)
    return tuple(int(v) for v in values)


def _check_image_size(image_size: object) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, Integral) \
            or int(image_size) not in IMAGE_SIZES:
        raise KitError(
            f"synthetic_cells: image_size must be one of {IMAGE_SIZES}, got {image_size!r}.",
            "pass image_size=64 (native), 32 or 28 (resized down with Pillow).",
        )
    return int(image_size)


# ----------------------------------------------------------------------------
# per-image parameters


class _Columns:
    """Hands out the columns of a ``(n, _COLUMNS)`` table of uniform numbers in turn."""

    def __init__(self, u: np.ndarray):
        self._u = u
        self._next = 0

    def take(self, low: float = 0.0, high: float = 1.0, k: int | None = None) -> np.ndarray:
        """Next column (shape ``(n,)``), or next ``k`` columns (``(n, k)``), scaled to [low, high)."""
        width = 1 if k is None else k
        if self._next + width > self._u.shape[1]:
            raise RuntimeError("synthetic_cells: _COLUMNS is too small for the parameters drawn")
        cols = self._u[:, self._next:self._next + width]
        self._next += width
        cols = low + (high - low) * cols
        return cols[:, 0] if k is None else cols


def _col(values: np.ndarray) -> np.ndarray:
    """Shape ``(n,)`` -> ``(n, 1, 1)``: broadcasts over the pixel grid."""
    return values[:, None, None].astype(np.float32)


def _rgb(values: np.ndarray) -> np.ndarray:
    """Shape ``(n, 3)`` -> ``(n, 1, 1, 3)``: one colour per image."""
    return values[:, None, None, :].astype(np.float32)


def _draw_params(u: np.ndarray, label: int) -> dict[str, np.ndarray]:
    """Turn a table of uniforms (one row per image) into drawing parameters."""
    c = _Columns(u)
    p: dict[str, np.ndarray] = {}
    # Cell geometry (pixels).
    p["cx"] = c.take(32 - 4, 32 + 4)
    p["cy"] = c.take(32 - 4, 32 + 4)
    p["a"] = c.take(18.0, 24.0)  # semi-major axis
    p["b"] = p["a"] * c.take(0.80, 1.0)  # semi-minor axis
    p["theta"] = c.take(0.0, np.pi)
    p["wobble"] = c.take(0.0, 0.035, k=2)  # 2nd and 3rd harmonic of the outline
    p["wobble_phase"] = c.take(0.0, 2 * np.pi, k=2)
    # Background: light, slightly tinted, with a gentle illumination gradient.
    p["bg"] = np.array([0.92, 0.89, 0.91]) + c.take(-0.05, 0.05, k=3) + c.take(-0.03, 0.03)[:, None]
    p["bg_grad"] = c.take(-0.025, 0.025, k=2)
    # Cell stain: pale pink, varying in hue and strength.
    p["cell"] = np.array([0.88, 0.60, 0.66]) + c.take(-0.04, 0.04, k=3) + c.take(-0.05, 0.05)[:, None]
    p["rim_dark"] = c.take(0.04, 0.14)  # darker rim, as a fraction of the cell colour
    p["rim_width"] = c.take(1.5, 3.5)
    p["pallor"] = c.take(0.0, 0.45)  # central pallor, as a blend towards the background
    p["pallor_radius"] = c.take(0.30, 0.55)  # relative to the cell radius
    p["light"] = c.take(0.0, 0.07)  # shading across the cell
    p["light_angle"] = c.take(0.0, 2 * np.pi)
    p["edge"] = c.take(0.6, 1.2)  # softness of the outline (pixels)
    # Camera.
    p["blur_mix"] = c.take(0.3, 1.0)  # 0: sharp, 1: gaussian sigma _BLUR_SIGMA
    p["noise"] = c.take(0.008, 0.025)
    # Inclusion colour and strength (drawn for every class, used by the parasites).
    p["purple"] = np.array([0.50, 0.28, 0.62]) + c.take(-0.06, 0.06, k=3)
    p["dark"] = np.array([0.30, 0.12, 0.42]) + c.take(-0.05, 0.05, k=3)
    p["pigment"] = np.array([0.28, 0.18, 0.10]) + c.take(-0.05, 0.05, k=3)
    p["alpha"] = c.take(0.40, 0.70)  # opacity of the purple parts: modest contrast
    p["dark_alpha"] = c.take(0.60, 0.85)
    # Where the inclusion sits: uniform in a disc that keeps it inside the cell.
    p["incl_r"] = np.sqrt(c.take())
    p["incl_angle"] = c.take(0.0, 2 * np.pi)

    # Class-specific columns start here, at the same place for every class.
    if label == 1:  # ring
        p["size"] = c.take(2.6, 4.4)  # ring radius
        p["ring_width"] = c.take(0.45, 0.75)
        p["ring_ecc"] = c.take(0.75, 1.0)
        p["ring_theta"] = c.take(0.0, np.pi)
        p["dot_angle"] = c.take(0.0, 2 * np.pi)
        p["dot_radius"] = c.take(1.0, 1.6)
    elif label == 2:  # schizont
        p["n_dots"] = np.floor(c.take(8, 25)).astype(np.int64)  # 8 .. 24
        p["size"] = c.take(4.5, 7.5)  # cluster radius
        p["dot_r"] = np.sqrt(c.take(k=_MAX_DOTS))  # positions, relative to the cluster radius
        p["dot_angle"] = c.take(0.0, 2 * np.pi, k=_MAX_DOTS)
        p["dot_radius"] = c.take(0.8, 1.3, k=_MAX_DOTS)
        p["haze"] = c.take(0.0, 0.25)  # faint cytoplasm around the dots
    elif label == 3:  # trophozoite
        p["size"] = c.take(4.5, 7.0)  # mean blob radius
        p["shape_amp"] = c.take(0.0, 0.22, k=3)  # harmonics 2, 3, 4 of the outline
        p["shape_phase"] = c.take(0.0, 2 * np.pi, k=3)
        p["n_pigment"] = np.where(c.take() < 0.5, 2, 3)
        p["pig_r"] = np.sqrt(c.take(k=_MAX_PIGMENT)) * 0.55  # relative to the blob radius
        p["pig_angle"] = c.take(0.0, 2 * np.pi, k=_MAX_PIGMENT)
        p["pig_radius"] = c.take(0.6, 1.05, k=_MAX_PIGMENT)
        p["vacuole"] = c.take(0.0, 0.5)  # a paler spot inside the blob
        p["vac_radius"] = c.take(1.0, 2.0)
        p["vac_angle"] = c.take(0.0, 2 * np.pi)
    else:
        p["size"] = np.zeros(len(u))
    return p


# ----------------------------------------------------------------------------
# drawing

_BLUR_SIGMA = 1.0
_GRID = np.mgrid[0:_SIZE, 0:_SIZE].astype(np.float32) + 0.5  # (2, H, W): y, x pixel centres


def _disc(dist: np.ndarray, radius: np.ndarray | float) -> np.ndarray:
    """Anti-aliased disc: 1 inside ``radius``, 0 outside, a one-pixel linear ramp between."""
    return np.clip(radius - dist + 0.5, 0.0, 1.0)


def _blend(img: np.ndarray, colour: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``img`` (n,H,W,3) towards ``colour`` (n,1,1,3) by ``weight`` (n,H,W)."""
    w = weight[..., None]
    return img + w * (colour - img)


def _render(p: dict[str, np.ndarray], label: int, noise: np.ndarray) -> np.ndarray:
    """Draw the images described by ``p`` (all of class ``label``); returns float32 in [0, 1]."""
    n = len(p["cx"])
    gy, gx = _GRID[0][None], _GRID[1][None]  # (1, H, W)
    dx, dy = gx - _col(p["cx"]), gy - _col(p["cy"])

    # Background with a gentle linear gradient.
    grad = (_col(p["bg_grad"][:, 0]) * (gx - 32) + _col(p["bg_grad"][:, 1]) * (gy - 32)) / 32
    img = np.broadcast_to(_rgb(p["bg"]), (n, _SIZE, _SIZE, 3)) + grad[..., None]

    # Cell: rotated ellipse with a wobbly outline; rho = 1 on the outline.
    ct, st = _col(np.cos(p["theta"])), _col(np.sin(p["theta"]))
    u, v = ct * dx + st * dy, -st * dx + ct * dy
    phi = np.arctan2(v, u)
    wob = 1 + _col(p["wobble"][:, 0]) * np.cos(2 * phi + _col(p["wobble_phase"][:, 0])) \
        + _col(p["wobble"][:, 1]) * np.cos(3 * phi + _col(p["wobble_phase"][:, 1]))
    rho = np.sqrt((u / _col(p["a"])) ** 2 + (v / _col(p["b"])) ** 2) / wob
    mean_r = _col(np.sqrt(p["a"] * p["b"]))
    depth = (1 - rho) * mean_r  # pixels inside the outline (negative outside)
    cell_mask = np.clip(depth / _col(p["edge"]) + 0.5, 0.0, 1.0)

    # Shading: darker rim, paler centre, light from one side.
    rim = np.exp(-(np.maximum(depth, 0) / _col(p["rim_width"])) ** 2)
    pallor = _col(p["pallor"]) * np.exp(-(rho / _col(p["pallor_radius"])) ** 2)
    light = _col(p["light"]) * (np.cos(_col(p["light_angle"])) * dx
                                + np.sin(_col(p["light_angle"])) * dy) / mean_r
    shade = 1 - _col(p["rim_dark"]) * rim + light
    cell_col = _rgb(p["cell"]) * shade[..., None]
    cell_col = cell_col + pallor[..., None] * (_rgb(p["bg"]) - cell_col)
    img = img + cell_mask[..., None] * (cell_col - img)

    if label != 0:
        img = _draw_inclusion(img, p, label)

    # Camera: a per-image amount of blur, then sensor noise.
    blurred = gaussian_filter(img, sigma=(0, _BLUR_SIGMA, _BLUR_SIGMA, 0), mode="nearest")
    img = img + _rgb(np.repeat(p["blur_mix"][:, None], 3, axis=1)) * (blurred - img)
    img = img + noise * _rgb(np.repeat(p["noise"][:, None], 3, axis=1))
    return img


def _draw_inclusion(img: np.ndarray, p: dict[str, np.ndarray], label: int) -> np.ndarray:
    gy, gx = _GRID[0][None], _GRID[1][None]
    # Inclusion centre: inside the cell's inscribed circle, minus the inclusion's own size.
    reach = np.maximum(p["b"] * 0.92 - p["size"] - 2.5, 0.0) * p["incl_r"]
    icx = p["cx"] + reach * np.cos(p["incl_angle"])
    icy = p["cy"] + reach * np.sin(p["incl_angle"])
    dx, dy = gx - _col(icx), gy - _col(icy)
    alpha = _col(p["alpha"])
    dark_alpha = _col(p["dark_alpha"])

    if label == 1:  # ring with a chromatin dot on it
        ct, st = _col(np.cos(p["ring_theta"])), _col(np.sin(p["ring_theta"]))
        u, v = ct * dx + st * dy, (-st * dx + ct * dy) / _col(p["ring_ecc"])
        dist = np.sqrt(u * u + v * v)
        ring = np.exp(-((dist - _col(p["size"])) / _col(p["ring_width"])) ** 2)
        img = _blend(img, _rgb(p["purple"]), alpha * ring)
        # Dot on the ring (in the ring's own rotated, squashed frame).
        du = u - _col(p["size"] * np.cos(p["dot_angle"]))
        dv = v - _col(p["size"] * np.sin(p["dot_angle"]))
        dot = _disc(np.sqrt(du * du + dv * dv), _col(p["dot_radius"]))
        img = _blend(img, _rgb(p["dark"]), dark_alpha * dot)

    elif label == 2:  # cluster of small dots
        r = p["dot_r"] * p["size"][:, None]  # (n, _MAX_DOTS)
        ddx = dx[:, None] - (r * np.cos(p["dot_angle"]))[:, :, None, None].astype(np.float32)
        ddy = dy[:, None] - (r * np.sin(p["dot_angle"]))[:, :, None, None].astype(np.float32)
        dots = _disc(np.sqrt(ddx * ddx + ddy * ddy),
                     p["dot_radius"][:, :, None, None].astype(np.float32))
        active = np.arange(_MAX_DOTS)[None, :] < p["n_dots"][:, None]  # (n, _MAX_DOTS)
        dots = (dots * active[:, :, None, None]).max(axis=1)
        haze = _col(p["haze"]) * _disc(np.sqrt(dx * dx + dy * dy), _col(p["size"]) + 1.0)
        img = _blend(img, _rgb(p["purple"]), alpha * np.maximum(dots, haze))

    elif label == 3:  # irregular blob with dark pigment
        phi = np.arctan2(dy, dx)
        radius = np.ones_like(phi)
        for k in range(3):
            radius = radius + _col(p["shape_amp"][:, k]) * np.cos((k + 2) * phi
                                                                  + _col(p["shape_phase"][:, k]))
        radius = radius * _col(p["size"])
        blob = _disc(np.sqrt(dx * dx + dy * dy), radius)
        # Paler vacuole inside the blob.
        vr = p["size"] * 0.35
        vdx = dx - _col(vr * np.cos(p["vac_angle"]))
        vdy = dy - _col(vr * np.sin(p["vac_angle"]))
        vac = _col(p["vacuole"]) * _disc(np.sqrt(vdx * vdx + vdy * vdy), _col(p["vac_radius"]))
        img = _blend(img, _rgb(p["purple"]), alpha * blob * (1 - vac))
        r = p["pig_r"] * p["size"][:, None]
        for k in range(_MAX_PIGMENT):
            pdx = dx - _col(r[:, k] * np.cos(p["pig_angle"][:, k]))
            pdy = dy - _col(r[:, k] * np.sin(p["pig_angle"][:, k]))
            spot = _disc(np.sqrt(pdx * pdx + pdy * pdy), _col(p["pig_radius"][:, k]))
            spot = spot * _col((k < p["n_pigment"]).astype(np.float32))
            img = _blend(img, _rgb(p["pigment"]), dark_alpha * spot)
    return img


def _generate_class(seq: np.random.SeedSequence, label: int, n: int) -> np.ndarray:
    """``n`` uint8 images of class ``label`` at 64x64, in a fixed order."""
    out = np.empty((n, _SIZE, _SIZE, 3), dtype=np.uint8)
    if n == 0:
        return out
    params_seq, noise_seq = seq.spawn(2)
    u = np.random.default_rng(params_seq).random((n, _COLUMNS))  # row i: image i's parameters
    params = _draw_params(u, label)
    noise_rng = np.random.default_rng(noise_seq)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        chunk = {k: v[start:stop] for k, v in params.items()}
        noise = noise_rng.standard_normal((stop - start, _SIZE, _SIZE, 3), dtype=np.float32)
        img = _render(chunk, label, noise)
        out[start:stop] = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


def _resize(x: np.ndarray, size: int) -> np.ndarray:
    out = np.empty((len(x), size, size, 3), dtype=np.uint8)
    for i, img in enumerate(x):
        out[i] = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.LANCZOS))
    return out


def generate(split: str = "train", seed: int = 0, counts: Sequence[int] | None = None,
             image_size: int = 64, *, shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Draw the synthetic Cells images of one split.

    Args:
        split: ``"train"`` or ``"validation"``; picks the default counts
            (:data:`TRAIN_COUNTS` or :data:`VALIDATION_COUNTS`) and an independent
            random stream, so the two splits never share images.
        seed: Non-negative int; the same ``(split, seed, counts, image_size)``
            always gives identical arrays.
        counts: Images per class, in the order of :data:`CLASS_NAMES`
            (overrides the split's default counts).
        image_size: 64 (native), or 32 / 28 (resized down with Pillow, Lanczos).
        shuffle: Keyword only. ``True`` (default): the images are shuffled with a
            permutation drawn from ``seed`` (and the split), so the classes are mixed.
            ``False``: all images of class 0, then class 1, and so on.

    Returns:
        ``(x, y)``: ``x`` uint8 of shape ``(N, image_size, image_size, 3)`` (RGB) and
        ``y`` int64 of shape ``(N,)`` with values ``0 .. 3`` indexing
        :data:`CLASS_NAMES`; ``N = sum(counts)``.

    Raises:
        KitError: an unknown split, a negative or non-integer seed, counts that are
            not four non-negative ints, or an image size other than 28, 32 or 64.
    """
    split_index = _check_split(split)
    seed = _check_seed(seed)
    counts = _check_counts(counts, TRAIN_COUNTS if split_index == 0 else VALIDATION_COUNTS)
    image_size = _check_image_size(image_size)

    root = np.random.SeedSequence([seed, split_index])
    *class_seqs, shuffle_seq = root.spawn(len(CLASS_NAMES) + 1)
    x = np.concatenate([_generate_class(class_seqs[label], label, n)
                        for label, n in enumerate(counts)])
    y = np.repeat(np.arange(len(CLASS_NAMES), dtype=np.int64), counts)
    if shuffle:
        order = np.random.default_rng(shuffle_seq).permutation(len(y))
        x, y = x[order], y[order]
    if image_size != _SIZE:
        x = _resize(x, image_size)
    return np.ascontiguousarray(x), y
