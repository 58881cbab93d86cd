"""The kit's plumbing: where results, checkpoints and cached sweeps go, and the main job over the notebooks.

* :mod:`.outputs`: figures (PNG) and tables (CSV, Markdown) into a notebook's ``out_dir``; atomic writes. All notebooks.
* :mod:`.checkpoints`: the full state of a model or a trainer in one ``.npz`` (weights, optimizers, random state,
  step counters), written atomically; what makes resume bit-exact. Notebooks 04-09, ``train``.
* :mod:`.sweep_cache`: the one on-disk cache of precomputed slider sweeps (key from settings and code). Notebooks 02-06.
* :mod:`.main_job`: ``python -m bagan_lib run``: every notebook in order with papermill, and the index page.
* :mod:`.notebook_hygiene`: stripping outputs, recording the outputs nbval checks (``notebooks clean|record``).
* :mod:`.devices`: what a run computes on: the precision policy, the CPU split into logical devices, the
  ``tf.distribute`` strategy (none, mirrored, multiworker), the chief; the device report. ``train``, notebooks 04-09.
* :mod:`.doctor`: ``python -m bagan_lib doctor``: devices, build, oneDNN and one smoke step per precision and
  strategy, a verdict per line.

The TensorFlow environment itself (oneDNN, logs, determinism, the devices) is set by
:mod:`bagan_lib.notebook_setup`, before TensorFlow is imported. No paper equations here.
"""
