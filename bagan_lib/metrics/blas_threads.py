"""One BLAS thread for the many small matrix operations of the metrics.

A per-class evaluation runs thousands of 128x128 eigendecompositions and
covariances (the FID bootstrap). With multithreaded OpenBLAS on a small,
shared machine, and TensorFlow's own thread pools in the same process, each
of these spends far longer synchronising threads than computing: measured on
the kit's 2-core CPU, 10 classes took 155 s with the default threads and
8 s with one. Large matrices (InceptionV3's 2048 features) keep every thread.
"""

from __future__ import annotations

import contextlib

# Lazy imports in this module: the metrics package face is read by the command line at start-up; threadpoolctl loads
# on first use.

SMALL = 512  # feature dimensions up to this run single-threaded


def blas_threads_for(dim: int):
    """A context that limits BLAS to one thread when ``dim <= SMALL``, else changes nothing."""
    if dim > SMALL:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
