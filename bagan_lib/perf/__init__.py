"""How fast a training step is, and why: ``python -m bagan_lib bench``.

* :mod:`.command`: the ``bench`` command (``--versus-reference``, ``--ops``); configures TensorFlow first.
* :mod:`.sizes`: what one benchmarked step is made of, and the command's options, checked (no TensorFlow).
* :mod:`.step_timing`: a trainer with random weights, a random batch, calls timed after warm-up.
* :mod:`.bench`: the per-model table: critic, generator and full step in ms, images/s, GFLOP/s.
* :mod:`.flops`: floating-point operations of a traced function (TensorFlow's registered counts).
* :mod:`.op_profile`: kernel time per op type beside its FLOPs (TensorFlow's profiler).
* :mod:`.reference_step`: the reference design's BAGAN-GP step (Eq. 14-15 with the penalty of Eq. 7-8).
* :mod:`.versus_reference`, :mod:`.versus_worker`: the kit's step against the reference design's, each in its
  own process, timed in alternation.
"""
