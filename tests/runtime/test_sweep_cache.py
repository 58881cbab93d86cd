"""The sweep cache under concurrent use: one entry is computed once, the other process waits and reads it."""

from __future__ import annotations

import threading
import time

import numpy as np

from bagan_lib.experiments.image_sweeps import cached_sweep
from bagan_lib.runtime.sweep_cache import cache_key


def test_two_users_of_one_sweep_entry_compute_it_once(tmp_path):
    """Issue 18, defect 1 (sweep caches): two notebooks asking for the same sweep both trained it and wrote the same
    file; now the second waits for the first's lock and reads its result."""
    calls, results = [], {}

    def run_one(value):
        calls.append(value)
        time.sleep(0.5)
        return {"score": float(value)}, {"image": np.full((2, 2), value, np.float32)}

    def user(name):
        results[name] = cached_sweep("demo", {"k": 1}, tmp_path, "lam", (1.0, 2.0), run_one, verbose=False)

    threads = [threading.Thread(target=user, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=60)
    assert calls == [1.0, 2.0]  # computed once
    assert sorted(r.from_cache for r in results.values()) == [False, True]
    np.testing.assert_array_equal(results["b"].arrays[2.0]["image"], results["a"].arrays[2.0]["image"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"demo-{cache_key({'k': 1})}.npz"]  # no lock file left
