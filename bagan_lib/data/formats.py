"""Decoding the raw dataset files: checksums, MNIST idx files, CIFAR-10 and CIFAR-100 pickles.

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

    The CIFAR-10 and CIFAR-100 files are Python pickles; refusing every other class means a
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
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR file")


def _load_cifar_pickle(fileobj) -> dict:
    """One CIFAR python pickle as a dict with str keys (the files were pickled by Python 2: bytes keys)."""
    # encoding="bytes": Python 2 str (keys, names, pixel bytes) stays bytes.
    raw = _NumpyOnlyUnpickler(fileobj, encoding="bytes").load()
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}


def _rows_to_images(data) -> np.ndarray:
    """N x 3072 rows (1024 red, then 1024 green, then 1024 blue values, each 32x32 row by row) -> NHWC uint8."""
    data = np.asarray(data, dtype=np.uint8)
    return np.ascontiguousarray(data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1))


def read_cifar_batch(fileobj, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode one CIFAR-10 python batch into NHWC uint8 images and labels.

    A batch is a pickled dict with ``data`` (N x 3072 uint8: 1024 red, then
    1024 green, then 1024 blue values, row by row) and ``labels`` (N ints).
    """
    try:
        batch = _load_cifar_pickle(fileobj)
        labels = np.asarray(batch["labels"], dtype=np.int64)
        images = _rows_to_images(batch["data"])
    except Exception as exc:  # any decoding problem means a bad file
        raise KitError(
            f"{label} is not a valid CIFAR-10 python batch ({type(exc).__name__}: {exc}).",
            "delete it and download cifar-10-python.tar.gz again (see data/README.md).",
        ) from exc
    return images, labels


CIFAR100_LABEL_MODES = ("fine", "coarse")  # 100 classes, or their 20 superclasses


def read_cifar100_file(fileobj, label: str, label_mode: str = "fine") -> tuple[np.ndarray, np.ndarray]:
    """Decode CIFAR-100's ``train`` or ``test`` file into NHWC uint8 images and labels.

    The file is one pickled dict with ``data`` (rows as in CIFAR-10),
    ``fine_labels`` (0..99) and ``coarse_labels`` (0..19, the superclass);
    ``label_mode`` picks which labels are returned.
    """
    try:
        batch = _load_cifar_pickle(fileobj)
        labels = np.asarray(batch[f"{label_mode}_labels"], dtype=np.int64)
        images = _rows_to_images(batch["data"])
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} {label_mode} labels")
    except Exception as exc:
        raise KitError(
            f"{label} is not a valid CIFAR-100 python file ({type(exc).__name__}: {exc}).",
            "delete it and download cifar-100-python.tar.gz again (see data/README.md).",
        ) from exc
    return images, labels


def read_cifar100_meta(fileobj, label: str, label_mode: str = "fine") -> tuple[str, ...]:
    """The class names in CIFAR-100's ``meta`` file: ``fine_label_names`` (100) or ``coarse_label_names`` (20)."""
    expected = {"fine": 100, "coarse": 20}[label_mode]
    try:
        names = tuple(n.decode() if isinstance(n, bytes) else str(n)
                      for n in _load_cifar_pickle(fileobj)[f"{label_mode}_label_names"])
        if len(names) != expected:
            raise ValueError(f"{len(names)} {label_mode} label names, expected {expected}")
    except Exception as exc:
        raise KitError(
            f"{label} is not a valid CIFAR-100 meta file ({type(exc).__name__}: {exc}).",
            "delete it and download cifar-100-python.tar.gz again (see data/README.md).",
        ) from exc
    return names
