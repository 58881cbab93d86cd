"""The training batches' order: made one epoch at a time, the same order as ever, memory independent of the epochs."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from bagan_lib.data.batches import step_batches, step_indices


def _eager_order(n, *, batch_size, steps_per_epoch, seed, start_step, end_step):
    """The order as the kit built it before it was lazy: every epoch's permutation up front, concatenated."""
    first, last = start_step // steps_per_epoch, (end_step - 1) // steps_per_epoch
    order = np.concatenate([np.random.default_rng([seed, e]).permutation(n)[:steps_per_epoch * batch_size]
                            for e in range(first, last + 1)])
    offset = (start_step - first * steps_per_epoch) * batch_size
    return order[offset:offset + (end_step - start_step) * batch_size].reshape(-1, batch_size)


def test_the_lazy_order_is_the_eager_order_bit_for_bit():
    """Issue 18, defect 4: building the order lazily keeps every batch of every step, for fresh and resumed runs."""
    settings = dict(batch_size=8, steps_per_epoch=6, seed=11)
    for start, end in ((0, 30), (7, 30), (12, 13), (5, 6)):
        lazy = np.stack(list(step_indices(50, start_step=start, end_step=end, **settings)))
        np.testing.assert_array_equal(lazy, _eager_order(50, start_step=start, end_step=end, **settings))
    x = np.arange(50, dtype=np.float32).reshape(50, 1, 1, 1)
    y = np.arange(50) % 5
    batches = [b for b in step_batches(x, y, start_step=7, end_step=19, **settings)]
    expected = _eager_order(50, start_step=7, end_step=19, **settings)
    np.testing.assert_array_equal(np.stack([b[0].numpy().ravel() for b in batches]), expected)
    np.testing.assert_array_equal(np.stack([b[1].numpy() for b in batches]), y[expected])


def test_a_billion_epochs_start_at_once_in_little_memory():
    """Issue 18, defect 4: ``--epochs 1000000000`` built every epoch's order before the first step (6 GB, >75 s)."""
    x = np.zeros((64, 4, 4, 1), np.float32)
    y = np.arange(64) % 4
    tracemalloc.start()
    started = time.perf_counter()
    try:
        batches = step_batches(x, y, batch_size=32, steps_per_epoch=2, seed=0, start_step=0, end_step=2 * 10 ** 9)
        first = [b for _, b in zip(range(3), batches)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 20 and len(first) == 3
    assert peak < 20 * 2 ** 20, peak  # bytes; the eager order alone would take 2e9 * 32 * 8
    later = next(iter(step_indices(64, batch_size=32, steps_per_epoch=2, seed=0, start_step=10 ** 18 + 1,
                                   end_step=10 ** 18 + 2)))
    assert later.shape == (32,)  # any step, without the ones before it
