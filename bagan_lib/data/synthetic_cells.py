"""``synthetic_cells``: a procedural stand-in for the BAGAN-GP paper's Cells dataset.

The paper's Cells dataset (crops of stained red blood cells, four classes of
which three are malaria-parasite stages) can no longer be downloaded, so the
kit draws its own. What made Cells hard for BAGAN is kept:

* the four classes look alike: every image is one pale pink red-blood-cell disc
  on a light background, with random size, ellipticity, egg shape, rotation,
  darker rim, central pallor, lighting, faint stain mottle, stain colour,
  background tint and gradient, blur and sensor noise;
* they differ only in a small, modest-contrast purple inclusion inside the cell,
  drawn in one of two renderings (:data:`RENDERINGS`):

  ==============  ==================================  ====================================
  class           ``legible`` (default)               ``fine`` (dataset synthetic_cells_fine)
  ==============  ==================================  ====================================
  ``normal``      no inclusion                        no inclusion
  ``ring``        a ring of radius 4-5.5 px, hollow,  a ring of radius 3-5 px with a dark
                  with a dark chromatin dot on it     chromatin dot on it
  ``schizont``    a rosette of 10-13 separate dots    a cluster of 8 to 24 small dots
                  (radius 9.5-11 px) round a dark     (radius 4.5-7.5 px) in a faint haze
                  pigment centre
  ``trophozoite`` a solid irregular blob with 2-3     the same blob, smaller, with a
                  dark pigment spots                  paler vacuole
  ==============  ==================================  ====================================

  Sizes are at 64x64. Why two: the experiments run at 32x32, where the ``fine``
  schizont's dots merge into a blob like a trophozoite's; the kit's real-data
  classifier then recognised only 41 % of held-out schizonts, so no generator
  could be judged on that class. The ``legible`` features stay two or more
  pixels wide at 32x32 (classifier: 0.92-1.00 on every class), while the cell,
  its colour, size and shape, and the parasites' colour are drawn exactly as
  before (normal images are identical in both renderings);

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
* :func:`generate` shuffles the images by default (with a permutation drawn
  from the seed); ``shuffle=False`` gives one class after another;
* drawing is vectorised with numpy over batches of images (coordinate grids,
  per-image parameters broadcast). The blur is ``scipy.ndimage.gaussian_filter``
  over the spatial axes only, applied to the cell and parasite masks before they
  are coloured in (each image mixes in its own amount of it); sensor noise is
  added last. All 8,607 default images take about 2-2.5 s on two shared CPU cores.

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
# "legible" (default): features >= 2 px at 32x32; "fine": the first rendering (dataset synthetic_cells_fine).
RENDERINGS: tuple[str, ...] = ("legible", "fine")

_SIZE = 64  # images are always drawn at 64x64, then resized down if asked
_CHUNK = 64  # images rendered at once (memory ~ _CHUNK * 64 * 64 * 3 * 4 bytes per array)
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


def _check_rendering(rendering: object) -> str:
    if rendering not in RENDERINGS:
        raise KitError(f"synthetic_cells: unknown rendering {rendering!r}.",
                       f"pass rendering='legible' (the default) or 'fine' (one of {RENDERINGS}).")
    return str(rendering)


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


def _draw_params(u: np.ndarray, label: int, rendering: str = "fine") -> dict[str, np.ndarray]:
    """Turn a table of uniforms (one row per image) into drawing parameters."""
    c = _Columns(u)
    p: dict[str, np.ndarray] = {}
    # Cell geometry (pixels).
    p["cx"] = c.take(32 - 4, 32 + 4)
    p["cy"] = c.take(32 - 4, 32 + 4)
    p["a"] = c.take(18.0, 24.0)  # semi-major axis
    p["b"] = p["a"] * c.take(0.80, 1.0)  # semi-minor axis
    p["theta"] = c.take(0.0, np.pi)
    p["egg"] = c.take(-0.08, 0.08)  # egg shape: one end of the major axis wider
    # Background: light, slightly tinted, with a gentle illumination gradient.
    p["bg"] = np.array([0.92, 0.89, 0.91]) + c.take(-0.035, 0.035, k=3) + c.take(-0.03, 0.03)[:, None]
    p["bg_grad"] = c.take(-0.025, 0.025, k=2)
    # Cell stain: pale pink, varying in hue and strength.
    p["cell"] = np.array([0.89, 0.65, 0.70]) + c.take(-0.04, 0.04, k=3) + c.take(-0.05, 0.05)[:, None]
    p["rim_dark"] = c.take(0.05, 0.15)  # darker rim, as a fraction of the cell colour
    p["rim_width"] = c.take(1.5, 3.5)
    p["pallor"] = c.take(0.0, 0.5)  # central pallor, as a blend towards the background
    p["pallor_radius"] = c.take(0.30, 0.50)  # relative to the cell radius
    p["light"] = c.take(0.0, 0.07)  # shading across the cell
    p["light_angle"] = c.take(0.0, 2 * np.pi)
    p["mottle"] = c.take(0.0, 0.018)  # faint low-frequency stain texture
    p["mottle_k"] = np.concatenate([c.take(-0.5, 0.5, k=4), c.take(0.0, 2 * np.pi, k=2)], axis=1)
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
    if rendering == "legible":
        _draw_legible_params(c, p, label)
    elif label == 1:  # ring
        p["size"] = c.take(3.0, 5.0)  # ring radius
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


def _draw_legible_params(c: _Columns, p: dict[str, np.ndarray], label: int) -> None:
    """The inclusions of the ``legible`` rendering: features two or more pixels wide at 32x32.

    Sizes are in 64x64 pixels; at 32x32 they halve. Every parasite keeps the
    purple of the ``fine`` rendering and roughly its area, so the classes still
    share colour and cell; what differs is a shape that survives a 2x reduction.
    """
    n = len(p["cx"])
    p["alpha"] = p["alpha"] + 0.2  # 0.6-0.9: the purple must survive a 2x reduction's averaging
    if label == 1:  # ring: a hollow ring (hole >= 2 px at 32x32) with one dark chromatin dot
        p["size"] = c.take(5.0, 6.5)
        p["ring_width"] = c.take(1.2, 1.6)
        p["ring_ecc"] = c.take(0.8, 1.0)
        p["ring_theta"] = c.take(0.0, np.pi)
        p["dot_angle"] = c.take(0.0, 2 * np.pi)
        p["dot_radius"] = c.take(2.2, 2.8)
    elif label == 2:  # schizont: a rosette of separate merozoites round a dark pigment centre
        p["n_dots"] = np.floor(c.take(10, 14)).astype(np.int64)  # 10 .. 13
        p["size"] = c.take(9.5, 11.0)  # rosette radius: about twice the ring's
        p["dot_jitter"] = c.take(-0.2, 0.2, k=_MAX_DOTS)  # angular jitter, in units of the spacing
        p["dot_r"] = c.take(0.85, 1.0, k=_MAX_DOTS)  # radial position, relative to the rosette radius
        p["dot_radius"] = c.take(2.0, 2.5, k=_MAX_DOTS)
        p["dot_angle"] = c.take(0.0, 2 * np.pi)  # the rosette's rotation
        p["centre_radius"] = c.take(1.8, 2.4)
    elif label == 3:  # trophozoite: one solid irregular blob with dark pigment
        p["size"] = c.take(6.5, 8.5)
        p["shape_amp"] = c.take(0.0, 0.18, k=3)
        p["shape_phase"] = c.take(0.0, 2 * np.pi, k=3)
        p["n_pigment"] = np.where(c.take() < 0.5, 2, 3)
        p["pig_r"] = np.sqrt(c.take(k=_MAX_PIGMENT)) * 0.5
        p["pig_angle"] = c.take(0.0, 2 * np.pi, k=_MAX_PIGMENT)
        p["pig_radius"] = c.take(1.0, 1.4, k=_MAX_PIGMENT)
        p["vacuole"] = np.zeros(n)  # no pale vacuole: it would read as a ring at 32x32
        p["vac_radius"] = np.ones(n)
        p["vac_angle"] = np.zeros(n)
    else:
        p["size"] = np.zeros(n)


# ----------------------------------------------------------------------------
# drawing
#
# Images are composed channel-first, (n, 3, H, W) float32 in [0, 255], from
# single-channel planes (n, H, W): per-image colours (n, 3, 1, 1) broadcast
# against them cheaply. Only the final uint8 copy is channel-last.

_BLUR_SIGMA = 1.0  # optical blur; each image mixes sharp and blurred by its own amount
_GRID_Y = (np.arange(_SIZE, dtype=np.float32) + 0.5)[None, :, None]  # (1, H, 1) pixel centres
_GRID_X = (np.arange(_SIZE, dtype=np.float32) + 0.5)[None, None, :]  # (1, 1, W)
_EPS = np.float32(1e-6)
_TRIANGULAR_STD = np.float32(np.sqrt(2 * (256**2 - 1) / 12))  # std of the sum of two uniform bytes


def _col(values: np.ndarray) -> np.ndarray:
    """Per-image scalars, shape ``(n,)`` -> ``(n, 1, 1)``: broadcasts over a plane."""
    return np.asarray(values, dtype=np.float32)[:, None, None]


def _rgb(values: np.ndarray) -> np.ndarray:
    """Per-image colours, shape ``(n, 3)`` -> ``(n, 3, 1, 1)``: broadcasts over an image."""
    return np.asarray(values, dtype=np.float32)[:, :, None, None]


def _disc(dist: np.ndarray, radius: np.ndarray | float) -> np.ndarray:
    """Anti-aliased disc: 1 inside ``radius``, 0 outside, a one-pixel linear ramp between."""
    return np.clip(radius - dist + np.float32(0.5), 0.0, 1.0)


def _harmonics(cos1: np.ndarray, sin1: np.ndarray, amps: np.ndarray, phases: np.ndarray,
               orders: Sequence[int]) -> np.ndarray:
    """``1 + sum_k amp_k cos(order_k * phi + phase_k)``, from ``cos(phi)`` and ``sin(phi)``.

    Multiple-angle formulas instead of ``arctan2`` and ``cos`` on every pixel (much faster).
    """
    cos2, sin2 = cos1 * cos1 - sin1 * sin1, 2 * cos1 * sin1
    table = {1: (cos1, sin1), 2: (cos2, sin2),
             3: (cos1 * cos2 - sin1 * sin2, sin1 * cos2 + cos1 * sin2),
             4: (cos2 * cos2 - sin2 * sin2, 2 * cos2 * sin2)}
    out = np.ones_like(cos1)
    for k, order in enumerate(orders):
        c, s = table[order]
        amp = amps[:, k]
        out += _col(amp * np.cos(phases[:, k])) * c - _col(amp * np.sin(phases[:, k])) * s
    return out


def _blur(planes: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Gaussian blur over the two spatial (last) axes, mixed in by a per-image amount."""
    sigma = (0,) * (planes.ndim - 2) + (_BLUR_SIGMA, _BLUR_SIGMA)
    blurred = gaussian_filter(planes, sigma=sigma, mode="nearest", truncate=3.0)
    mix = np.asarray(mix, dtype=np.float32).reshape((-1,) + (1,) * (planes.ndim - 1))
    return planes + mix * (blurred - planes)


def _blend(img: np.ndarray, colour: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Move ``img`` (n,3,H,W) towards ``colour`` (n,3,1,1) by ``weight`` (n,H,W), in place."""
    img += weight[:, None] * (colour - img)
    return img


def _render(p: dict[str, np.ndarray], label: int) -> np.ndarray:
    """Draw the images described by ``p`` (all of class ``label``): float32 (n, 3, H, W) in [0, 255].

    Coordinates stay separable as long as possible: ``dx`` is ``(n, 1, W)`` and
    ``dy`` is ``(n, H, 1)``, so anything linear in them costs one full-plane operation.
    """
    dx = _GRID_X - _col(p["cx"])  # (n, 1, W)
    dy = _GRID_Y - _col(p["cy"])  # (n, H, 1)

    # Cell: rotated ellipse in coordinates where the outline is rho = 1, made
    # slightly egg-shaped by widening it towards one end of the major axis.
    ct, st = np.cos(p["theta"]), np.sin(p["theta"])
    ue = _col(ct / p["a"]) * dx + _col(st / p["a"]) * dy
    ve = _col(ct / p["b"]) * dy - _col(st / p["b"]) * dx
    ve /= 1 + _col(p["egg"]) * ue
    rho = np.sqrt(ue * ue + ve * ve)
    mean_r = np.sqrt(p["a"] * p["b"])
    # Outline: a soft edge p["edge"] pixels wide, then blurred.
    sharpness = mean_r / p["edge"]
    mask = np.clip(_col(0.5 + sharpness) - _col(sharpness) * rho, 0.0, 1.0)
    mask = _blur(mask, p["blur_mix"])

    # Shading factor: darker rim, light from one side, faint mottle (two plane waves,
    # each split into products of 1-D cosines and sines).
    rim = np.maximum(_col(mean_r / p["rim_width"]) * (1 - rho), 0)
    shade = np.exp(-rim * rim)
    shade *= _col(-p["rim_dark"])
    shade += (_col(p["light"] * np.cos(p["light_angle"]) / mean_r) * dx
              + (_col(p["light"] * np.sin(p["light_angle"]) / mean_r) * dy + 1))
    k = p["mottle_k"]  # (kx, ky) of two waves, then their phases
    for w in range(2):
        ax, ay = _col(k[:, 2 * w]) * dx + _col(k[:, 4 + w]), _col(k[:, 2 * w + 1]) * dy
        amp = _col(p["mottle"])
        shade += (amp * np.cos(ax)) * np.cos(ay) - (amp * np.sin(ax)) * np.sin(ay)
    # Central pallor: a blend towards the background colour.
    pallor = np.exp(-(rho / _col(p["pallor_radius"])) ** 2)
    pallor *= _col(p["pallor"])

    # Composite, per channel c:
    #   img_c = bg_c + grad + mask * (cell_c * shade * (1 - pallor) + pallor * bg_c - bg_c - grad)
    #         = bg_c * (1 - mask * (1 - pallor)) + cell_c * (mask * shade * (1 - pallor)) + grad * (1 - mask)
    grad = _col(p["bg_grad"][:, 0]) * dx / 32 + _col(p["bg_grad"][:, 1]) * dy / 32  # (n, H, W)
    on_cell = mask * (1 - pallor)
    img = _rgb(p["bg"] * 255) * (1 - on_cell)[:, None]
    img += _rgb(p["cell"] * 255) * (on_cell * shade)[:, None]
    img += (255 * grad * (1 - mask))[:, None]
    if label != 0:
        _draw_inclusion(img, p, label)
    return img


def _draw_inclusion(img: np.ndarray, p: dict[str, np.ndarray], label: int) -> None:
    """Draw the parasite of class ``label`` into ``img`` (n, 3, H, W), in place."""
    gy, gx = _GRID_Y, _GRID_X
    # Inclusion centre: inside the cell's inscribed circle, minus the inclusion's own size.
    reach = np.maximum(p["b"] * 0.9 - p["size"] - 3.0, 0.0) * p["incl_r"]
    dx = gx - _col(p["cx"] + reach * np.cos(p["incl_angle"]))
    dy = gy - _col(p["cy"] + reach * np.sin(p["incl_angle"]))
    alpha, dark_alpha = _col(p["alpha"]), _col(p["dark_alpha"])

    if label == 1:  # thin ring with a chromatin dot on it
        ct, st = _col(np.cos(p["ring_theta"])), _col(np.sin(p["ring_theta"]))
        u, v = ct * dx + st * dy, (ct * dy - st * dx) / _col(p["ring_ecc"])
        ring = np.exp(-((np.sqrt(u * u + v * v) - _col(p["size"])) / _col(p["ring_width"])) ** 2)
        du = u - _col(p["size"] * np.cos(p["dot_angle"]))
        dv = v - _col(p["size"] * np.sin(p["dot_angle"]))
        dot = _disc(np.sqrt(du * du + dv * dv), _col(p["dot_radius"]))
        ring, dot = _blur(np.stack([ring, dot], axis=1), p["blur_mix"]).transpose(1, 0, 2, 3)
        _blend(img, _rgb(p["purple"] * 255), alpha * ring)
        _blend(img, _rgb(p["dark"] * 255), dark_alpha * dot)

    elif label == 2 and "centre_radius" in p:  # legible: rosette of dots round a dark centre
        n_dots = p["n_dots"][:, None]
        k = np.arange(_MAX_DOTS)[None, :]
        angle = p["dot_angle"][:, None] + 2 * np.pi * (k + p["dot_jitter"]) / n_dots
        r = p["dot_r"] * p["size"][:, None]
        ddx = dx[:, None] - (r * np.cos(angle))[:, :, None, None].astype(np.float32)
        ddy = dy[:, None] - (r * np.sin(angle))[:, :, None, None].astype(np.float32)
        radius = np.where(k < n_dots, p["dot_radius"], -1.0)  # inactive dots: empty discs
        dots = _disc(np.sqrt(ddx * ddx + ddy * ddy), radius[:, :, None, None].astype(np.float32)).max(axis=1)
        centre = _disc(np.sqrt(dx * dx + dy * dy), _col(p["centre_radius"]))
        dots, centre = _blur(np.stack([dots, centre], axis=1), p["blur_mix"]).transpose(1, 0, 2, 3)
        _blend(img, _rgb(p["purple"] * 255), alpha * dots)
        _blend(img, _rgb(p["pigment"] * 255), dark_alpha * centre)

    elif label == 2:  # cluster of small dots in a faint haze
        r = p["dot_r"] * p["size"][:, None]  # (n, _MAX_DOTS)
        ddx = dx[:, None] - (r * np.cos(p["dot_angle"]))[:, :, None, None].astype(np.float32)
        ddy = dy[:, None] - (r * np.sin(p["dot_angle"]))[:, :, None, None].astype(np.float32)
        radius = np.where(np.arange(_MAX_DOTS)[None, :] < p["n_dots"][:, None],
                          p["dot_radius"], -1.0)  # inactive dots: empty discs
        dots = _disc(np.sqrt(ddx * ddx + ddy * ddy), radius[:, :, None, None].astype(np.float32))
        haze = _col(p["haze"]) * _disc(np.sqrt(dx * dx + dy * dy), _col(p["size"] + 1.5))
        mask = _blur(np.maximum(dots.max(axis=1), haze), p["blur_mix"])
        _blend(img, _rgb(p["purple"] * 255), alpha * mask)

    elif label == 3:  # irregular blob with a paler vacuole and dark pigment spots
        dist = np.sqrt(dx * dx + dy * dy) + _EPS
        outline = _harmonics(dx / dist, dy / dist, p["shape_amp"], p["shape_phase"], (2, 3, 4))
        blob = _disc(dist, outline * _col(p["size"]))
        vr = p["size"] * 0.35
        vdx = dx - _col(vr * np.cos(p["vac_angle"]))
        vdy = dy - _col(vr * np.sin(p["vac_angle"]))
        blob *= 1 - _col(p["vacuole"]) * _disc(np.sqrt(vdx * vdx + vdy * vdy), _col(p["vac_radius"]))
        r = p["pig_r"] * p["size"][:, None]
        pigment = np.zeros_like(blob)
        for k in range(_MAX_PIGMENT):
            pdx = dx - _col(r[:, k] * np.cos(p["pig_angle"][:, k]))
            pdy = dy - _col(r[:, k] * np.sin(p["pig_angle"][:, k]))
            radius = np.where(k < p["n_pigment"], p["pig_radius"][:, k], -1.0)
            np.maximum(pigment, _disc(np.sqrt(pdx * pdx + pdy * pdy), _col(radius)), out=pigment)
        blob, pigment = _blur(np.stack([blob, pigment], axis=1), p["blur_mix"]).transpose(1, 0, 2, 3)
        _blend(img, _rgb(p["purple"] * 255), alpha * blob)
        _blend(img, _rgb(p["pigment"] * 255), dark_alpha * pigment)


def _resize(x: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 images (n, 64, 64, 3) down to (n, size, size, 3) with Pillow (Lanczos)."""
    if size == _SIZE:
        return x
    out = np.empty((len(x), size, size, 3), dtype=np.uint8)
    for i, img in enumerate(x):
        out[i] = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.LANCZOS))
    return out


def _generate_class(seq: np.random.SeedSequence, label: int, out: np.ndarray,
                    dest: np.ndarray, rendering: str) -> None:
    """Draw ``len(dest)`` images of class ``label``; image ``i`` goes to ``out[dest[i]]``.

    Image ``i`` depends only on ``seq`` and ``i``: its parameters are row ``i`` of
    a table of uniform numbers, its sensor noise the ``i``-th block of a byte stream.
    """
    n = len(dest)
    if n == 0:
        return
    params_seq, noise_seq = seq.spawn(2)
    params = _draw_params(np.random.default_rng(params_seq).random((n, _COLUMNS)), label, rendering)
    noise_rng = np.random.default_rng(noise_seq)
    chunk = np.empty((min(n, _CHUNK), _SIZE, _SIZE, 3), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        m = stop - start
        img = _render({k: v[start:stop] for k, v in params.items()}, label)
        # Sensor noise: sum of two uniform random bytes (triangular, cheap), per channel.
        raw = np.frombuffer(noise_rng.bytes(m * 2 * 3 * _SIZE * _SIZE), dtype=np.uint8)
        raw = raw.reshape(m, 2, 3, _SIZE, _SIZE)
        noise = raw[:, 0] + raw[:, 1].astype(np.float32)
        noise -= 255
        noise *= _rgb(np.repeat(params["noise"][start:stop, None] * 255 / _TRIANGULAR_STD, 3, axis=1))
        img += noise
        img += 0.5  # the float -> uint8 copy below truncates; this makes it round
        np.clip(img, 0, 255, out=img)
        for channel in range(3):
            chunk[:m, :, :, channel] = img[:, channel]
        out[dest[start:stop]] = _resize(chunk[:m], out.shape[1])


def generate(split: str = "train", seed: int = 0, counts: Sequence[int] | None = None,
             image_size: int = 64, *, shuffle: bool = True,
             rendering: str = "legible") -> tuple[np.ndarray, np.ndarray]:
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
        rendering: Keyword only. ``"legible"`` (default): inclusions whose shapes
            survive 32x32 (a hollow ring, a rosette of separate dots, a solid
            blob); ``"fine"``: the kit's first rendering, whose small schizont
            dots merge into a blob at 32x32 (see :data:`RENDERINGS`).
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
    rendering = _check_rendering(rendering)

    root = np.random.SeedSequence([seed, split_index])
    *class_seqs, shuffle_seq = root.spawn(len(CLASS_NAMES) + 1)
    y = np.repeat(np.arange(len(CLASS_NAMES), dtype=np.int64), counts)
    # position[i]: where the i-th image in class order ends up.
    if shuffle:
        position = np.empty(len(y), dtype=np.int64)
        position[np.random.default_rng(shuffle_seq).permutation(len(y))] = np.arange(len(y))
    else:
        position = np.arange(len(y))
    x = np.empty((len(y), image_size, image_size, 3), dtype=np.uint8)
    y_out = np.empty_like(y)
    y_out[position] = y
    bounds = np.cumsum((0,) + counts)
    for label in range(len(CLASS_NAMES)):
        _generate_class(class_seqs[label], label, x, position[bounds[label]:bounds[label + 1]], rendering)
    return x, y_out
