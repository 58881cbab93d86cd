"""Decoding the raw dataset files: checksums, MNIST idx files, CIFAR pickles.

These functions know file formats and nothing about where files live; the
lookup order is in :mod:`bagan_lib.data.sources`.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
from pathlib import Path

import numpy as np

from bagan_lib.errors import ChecksumError, KitError


def file_hash(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, expected: str, algorithm: str = "sha256") -> None:
    """Raise :class:`ChecksumError` unless ``path`` has the expected digest."""
    actual = file_hash(path, algorithm)
    if actual != expected:
        raise ChecksumError(
            f"{path} is not the official {path.name}: expected {algorithm} {expected}, "
            f"got {actual}.",
            f"the file is corrupt, truncated or from another dataset; delete {path} "
            "and download it again (official sources and checksums in data/README.md).",
        )


def read_idx(path: Path) -> np.ndarray:
    """Read a gzip'ed idx file (the MNIST format) into a uint8 array.

    The header is 2 zero bytes, a type byte (0x08 = uint8), the number of
    dimensions, then one big-endian uint32 per dimension; the data follows.
    """
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise KitError(f"{path} is not a uint8 idx file.", "replace it with the official file.")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != int(np.prod(dims)):
        raise KitError(f"{path} is truncated (header says {dims}).", "download it again.")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims).copy()


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and nothing else.

    The CIFAR batches are Python pickles; refusing every other class means a
    tampered file cannot run code while it is read.
    """

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        # Python 3 writes bytes this way in protocol 2 (re-saved batches); harmless.
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")


def read_cifar_batch(fileobj, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode one CIFAR-10 python batch into NHWC uint8 images and labels.

    A batch is a pickled dict with ``data`` (N x 3072 uint8: 1024 red, then
    1024 green, then 1024 blue values, row by row) and ``labels`` (N ints).
    """
    try:
        # encoding="bytes": the batches were pickled by Python 2.
        raw = _NumpyOnlyUnpickler(fileobj, encoding="bytes").load()
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
        images = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
    except Exception as exc:  # any decoding problem means a bad file
        raise KitError(
            f"{label} is not a valid CIFAR-10 python batch ({type(exc).__name__}: {exc}).",
            "delete it and download cifar-10-python.tar.gz again (see data/README.md).",
        ) from exc
    return np.ascontiguousarray(images), labels
