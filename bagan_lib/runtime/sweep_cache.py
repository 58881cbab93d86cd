"""The on-disk cache of precomputed slider sweeps: a key from the settings and the code, atomic files.

A slider over training runs can only show values that were trained beforehand.
Such a sweep is stored once as an ``.npz`` named by a hash of everything that
determines it (the settings, the kit's and Keras' versions, and the source of
the modules its runs go through), so a rerun with the same settings reads the
file and any change trains afresh.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import numpy as np

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
    except (OSError, KeyError, ValueError):
        return None


def save_arrays(path: Path, arrays: dict, meta: dict) -> Path:
    """Write arrays and JSON metadata atomically (compressed)."""
    payload = {**arrays, "meta": np.array(json.dumps(meta, default=str))}
    return atomic_write(Path(path), lambda tmp: np.savez_compressed(tmp, **payload))
