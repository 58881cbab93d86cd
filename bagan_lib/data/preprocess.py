"""Turning ``uint8`` images into what the models eat, and back.

The generator ends in ``tanh``, so images live in ``[-1, 1]`` inside the
models (the BAGAN-GP scaling): ``to_model_range`` maps 0 -> -1 and 255 -> 1,
and ``to_uint8`` is its exact inverse for display and saving.
``prepare_images`` does the whole chain: resize, fix the channel count, scale.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from bagan_lib.errors import KitError

IMAGE_SIZES = (28, 32, 64, 128)
# ITU-R BT.601 luma weights for R, G, B (what Pillow's convert("L") uses too).
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_model_range(x_uint8: np.ndarray) -> np.ndarray:
    """Scale ``uint8`` pixels 0..255 to ``float32`` in ``[-1, 1]``: ``(x - 127.5) / 127.5``."""
    x = np.asarray(x_uint8)
    if x.dtype != np.uint8:
        # Scaling an already scaled array twice is a classic silent bug.
        raise KitError(
            f"to_model_range expects uint8 pixels 0..255, got {x.dtype}.",
            "pass the images as loaded (Dataset.x_train); they are scaled only once.",
        )
    return (x.astype(np.float32) - np.float32(127.5)) / np.float32(127.5)


def to_uint8(x_float: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_model_range`: ``[-1, 1]`` floats to ``uint8`` (clipped, rounded)."""
    x = np.asarray(x_float, dtype=np.float32)
    if not np.isfinite(x).all():
        raise KitError(
            "to_uint8 got NaN or infinite values.",
            "the model's outputs diverged; lower the learning rate or restart from a checkpoint.",
        )
    return np.clip(np.rint(x * 127.5 + 127.5), 0, 255).astype(np.uint8)


def match_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Give images ``channels`` colour channels (last axis).

    1 -> 3 repeats the grey value; 3 -> 1 takes the BT.601 luma
    ``0.299 R + 0.587 G + 0.114 B`` (rounded back to uint8 for uint8 input);
    the same count returns ``x`` unchanged.
    """
    x = np.asarray(x)
    if channels not in (1, 3):
        raise KitError(f"channels must be 1 or 3, got {channels!r}.", "use 1 (greyscale) or 3 (RGB).")
    if x.ndim < 3 or x.shape[-1] not in (1, 3):
        raise KitError(
            f"images must have 1 or 3 channels on the last axis, got shape {x.shape}.",
            "pass images shaped (N, H, W, 1) or (N, H, W, 3).",
        )
    have = x.shape[-1]
    if have == channels:
        return x
    if channels == 3:
        return np.repeat(x, 3, axis=-1)
    grey = x.astype(np.float32) @ LUMA_WEIGHTS
    if x.dtype == np.uint8:
        grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
    else:
        grey = grey.astype(x.dtype, copy=False)
    return grey[..., None]


def resize_images(x_uint8: np.ndarray, size: int) -> np.ndarray:
    """Resize ``uint8`` images ``(N, H, W, C)`` to ``(N, size, size, C)``.

    Uses Pillow's bilinear filter (``Image.Resampling.BILINEAR``), which widens
    its support when shrinking, so downscaling is antialiased. Non-square
    images are stretched to a square. Returns the input unchanged when it
    already has that size. About 2-3 s for 60000 28x28 images to 64x64.
    """
    if size not in IMAGE_SIZES:
        raise KitError(f"image size {size!r} is not supported.", f"use one of {IMAGE_SIZES}.")
    x = np.asarray(x_uint8)
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise KitError(
            f"resize_images expects uint8 images (N, H, W, 1|3), got {x.dtype} {x.shape}.",
            "resize before scaling with to_model_range, and keep the channel axis.",
        )
    if x.shape[1:3] == (size, size):
        return x
    out = np.empty((len(x), size, size, x.shape[-1]), dtype=np.uint8)
    grey = x.shape[-1] == 1
    for i, image in enumerate(x):
        pil = Image.fromarray(image[..., 0] if grey else image, "L" if grey else "RGB")
        resized = np.asarray(pil.resize((size, size), Image.Resampling.BILINEAR))
        out[i] = resized[..., None] if grey else resized
    return out


def prepare_images(x_uint8: np.ndarray, image_size: int, channels: int | None = None) -> np.ndarray:
    """Resize, set the channel count (``None`` keeps it), and scale to ``float32`` ``[-1, 1]``."""
    x = resize_images(x_uint8, image_size)
    if channels is not None:
        x = match_channels(x, channels)
    return to_model_range(x)
