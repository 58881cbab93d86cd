"""The on-disk cache of precomputed slider sweeps: a key from the settings and the code, atomic files.

A slider over training runs can only show values that were trained beforehand.
Such a sweep is stored once as an ``.npz`` named by a hash of everything that
determines it (the settings, the kit's and Keras' versions, and the source of
the modules its runs go through), so a rerun with the same settings reads the
file and any change trains afresh.

Two processes asking for the same sweep (two notebooks, or a notebook and the
main job) do not both compute it: :func:`cache_entry_lock` lets the first compute
while the second waits, then reads the file the first wrote.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bagan_lib.runtime.folder_lock import folder_lock
from bagan_lib.runtime.outputs import atomic_write


def code_fingerprint(modules) -> str:
    """A hash of the source of the named ``bagan_lib`` modules."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update(Path(importlib.import_module(f"bagan_lib.{name}").__file__).read_bytes())
    return digest.hexdigest()[:16]


def cache_key(config: dict) -> str:
    """A short stable hash of a JSON-able settings dict."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_arrays(path: Path) -> tuple[dict, dict] | None:
    """(arrays, meta) from a cache file, or None if it is missing or damaged (then the sweep trains again)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files if k != "meta"}, json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return None


def save_arrays(path: Path, arrays: dict, meta: dict) -> Path:
    """Write arrays and JSON metadata atomically (compressed)."""
    payload = {**arrays, "meta": np.array(json.dumps(meta, default=str))}

    def write(tmp):
        with open(tmp, "wb") as file:  # a file object: numpy would append ".npz" to the temporary's name
            np.savez_compressed(file, **payload)

    return atomic_write(Path(path), write)


@contextmanager
def cache_entry_lock(path, say=None):
    """Hold the lock of the cache file ``path`` (``<name>.lock`` beside it) while it is looked up, computed and
    written; a second process with the same entry waits, then finds the file."""
    path = Path(path)
    with folder_lock(path.parent, f"sweep cache {path.name}", wait=True, name=f".{path.name}.lock", say=say):
        yield path
