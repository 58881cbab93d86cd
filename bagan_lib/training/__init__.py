"""One model trained end to end, resumable: configuration, settings, data, pre-training, the run loop.

* :mod:`.config`: :class:`~.config.TrainConfig` (what is asked for) and :func:`~.config.resolve_settings`, the one
  place a run's settings are decided (profile, recipe, overrides, a resumed run's checkpoint) into a frozen
  :class:`~.config.RunSettings`. No TensorFlow.
* :mod:`.run_data`: the training images (dataset, protocol, cap per class, [-1, 1]) and the run's identity.
* :mod:`.pretrain_stage`: step 1: the autoencoder or CVAE a model starts from, trained once, reloaded on resume.
* :mod:`.run`: :func:`~.run.train_model` (``python -m bagan_lib train``) and :func:`~.run.load_run`.
  Notebooks 04-09.
* :mod:`.callbacks`: step counter, divergence guard, checkpointer, history, progress, real-share schedule.
* :mod:`.sample_grid`: the Eq. 16 grid of every epoch as a Keras callback, and the GIF.
* :mod:`.run_folder`: a run's folder: where each file goes and when a run may write into it.
"""
