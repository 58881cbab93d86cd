"""The value range of your own image arrays, decided by one stated rule, and their conversion to 8-bit pixels.

Images saved as numbers (``npz:PATH``) carry no range: 0.0 and 1.0 are black
and white in a [0, 1] image but two near-black pixels in a [0, 255] one. The
kit decides the range once per file, for ``x`` and ``x_test`` together:

1. A stated range wins: ``x_range`` in the .npz, two numbers ``[low, high]``
   (the values of black and white), e.g. ``[0, 1]``, ``[-1, 1]``, ``[0, 255]``
   or ``[0, 65535]``. Every value must lie inside it.
2. Integers (and uint8) are 8-bit pixels and must lie in 0..255; booleans are
   black (False) and white (True).
3. Floats with min >= 0 and max <= 1 are [0, 1], so a binary image of 0.0 and
   1.0 is black and white, never two shades of black.
4. Floats with min >= -1, max <= 1 and a negative value are [-1, 1] (the kit's
   own scale, what its generators produce).
5. Floats with max > 1 that are all whole numbers in 0..255 are 8-bit pixels.
6. Anything else (fractions above 1, negatives below -1, values above 255) is
   ambiguous: a KitError asks for ``x_range``. NaN or infinite values: a KitError.

A float [0, 255] image whose values happen to be only 0 and 1 is read as [0, 1]
by rule 3: state ``x_range=[0, 255]`` for it. The result is ``uint8`` with
``low -> 0`` and ``high -> 255``, rounded to the nearest value.
"""

from __future__ import annotations

import numpy as np

from bagan_lib.errors import KitError

STATE_RANGE = ("state the range: np.savez(path, x=..., y=..., x_range=[0, 1]) for [0, 1] images "
               "([-1, 1], [0, 255] or any [low, high] likewise)")


def stated_range(value, where: str) -> tuple[float, float]:
    """``x_range`` as ``(low, high)``: two finite numbers with low < high."""
    value = np.asarray(value)
    if value.shape != (2,) or value.dtype.kind not in "iuf" or not np.isfinite(value).all() or value[0] >= value[1]:
        raise KitError(f"x_range in {where} must be two finite numbers [low, high] with low < high; got "
                       f"{value.dtype} {value.tolist() if value.size <= 4 else value.shape}.",
                       "save it as x_range=np.array([0, 1]) (or [-1, 1], [0, 255]).")
    return float(value[0]), float(value[1])


def decide_range(arrays, stated=None, where: str = "the images") -> tuple[float, float]:
    """The ``(low, high)`` of the images in ``arrays`` (one file's ``x`` and ``x_test``) by the module's rule."""
    arrays = [np.asarray(a) for a in arrays if np.asarray(a).size]
    kinds = {a.dtype.kind for a in arrays}
    if kinds - set("biuf"):
        raise KitError(f"Images in {where} are {', '.join(sorted(str(a.dtype) for a in arrays))}, not numbers.",
                       "save the pixels as a number array (uint8 0..255, or floats in [0, 1]).")
    if not arrays:
        return (0.0, 255.0)
    if any(a.dtype.kind == "f" and not np.isfinite(a).all() for a in arrays):
        raise KitError(f"Images in {where} hold NaN or infinite values.", "replace them before saving.")
    low = min(float(a.min()) for a in arrays)
    high = max(float(a.max()) for a in arrays)
    if stated is not None:
        bounds = stated_range(stated, where)
        if low < bounds[0] or high > bounds[1]:
            raise KitError(f"Images in {where} hold values in [{low:g}, {high:g}], outside their x_range "
                           f"[{bounds[0]:g}, {bounds[1]:g}].", "save the range the images are in as x_range.")
        return bounds
    if kinds <= set("iu"):
        if low < 0 or high > 255:
            raise KitError(f"Images in {where} are integers in [{low:g}, {high:g}]; integers are read as 8-bit "
                           "pixels 0..255.", "state the range: np.savez(path, x=..., y=..., x_range=[0, 4095]) for "
                           "12-bit images (any [low, high] likewise), or convert them to uint8.")
        return (0.0, 255.0)
    if kinds == {"b"}:
        return (0.0, 1.0)
    if low >= 0 and high <= 1:
        return (0.0, 1.0)
    if low >= -1 and high <= 1:
        return (-1.0, 1.0)
    if low >= 0 and high <= 255 and all(np.array_equal(a, np.rint(a)) for a in arrays if a.dtype.kind == "f"):
        return (0.0, 255.0)
    raise KitError(f"Images in {where} are floats in [{low:g}, {high:g}]: no rule says which range that is "
                   "(floats are read as [0, 1], [-1, 1], or whole numbers 0..255).", STATE_RANGE + ".")


def to_pixels(x, value_range) -> np.ndarray:
    """``x`` as uint8: ``low -> 0``, ``high -> 255``, rounded (uint8 in 0..255 is returned as it is)."""
    x = np.asarray(x)
    low, high = value_range
    if x.dtype == np.uint8 and (low, high) == (0.0, 255.0):
        return x
    scaled = (x.astype(np.float64) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
