"""The kit's plumbing: where results, checkpoints and cached sweeps go, and the main job over the notebooks.

* :mod:`.outputs`: figures (PNG) and tables (CSV, Markdown) into a notebook's ``out_dir``; atomic writes (with the
  user's umask), and the removal of a killed writer's temporaries. All notebooks.
* :mod:`.checkpoints`: the full state of a model or a trainer in one ``.npz`` (weights, optimizers, random state,
  step counters), written atomically with a checksum, verified in full before use, the previous one kept as a
  fallback; what makes resume bit-exact. Notebooks 04-09, ``train``.
* :mod:`.folder_lock`: one writer per folder: the exclusive lock of a run folder, an ``evaluate --out`` folder or a
  sweep cache entry, held for the command's life; stale locks of dead processes reported.
* :mod:`.sweep_cache`: the one on-disk cache of precomputed slider sweeps (key from settings and code). Notebooks 02-06.
* :mod:`.main_job`: ``python -m bagan_lib run``: every notebook in order with papermill, and the index page;
  ``run --resume``.
* :mod:`.job_lanes`: notebooks side by side in the main job (``run --lanes``), each kernel on its share of the
  threads; which notebook waits for which.
* :mod:`.job_record`: the main job's ``run.json``: each notebook's true status (ok, failed or interrupted at cell N),
  written on every exit and read back by ``run --resume``.
* :mod:`.notebook_hygiene`: stripping outputs, recording the outputs nbval checks (``notebooks clean|record``).
* :mod:`.devices`: what a run computes on: the precision policy, the CPU split into logical devices, the
  ``tf.distribute`` strategy (none, mirrored, multiworker), the chief; the device report. ``train``, notebooks 04-09.
* :mod:`.doctor`: ``python -m bagan_lib doctor``: devices, build, oneDNN and one smoke step per precision and
  strategy, a verdict per line.

The TensorFlow environment itself (oneDNN, logs, determinism, the devices) is set by
:mod:`bagan_lib.notebook_setup`, before TensorFlow is imported. No paper equations here.
"""
