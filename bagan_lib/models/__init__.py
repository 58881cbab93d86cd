"""The networks and what each model is made of: recipes as data, and the builders that turn them into trainers.

* :mod:`.recipes`: ``RECIPES``: what distinguishes BAGAN, cDRAGAN, BAGAN-GP v1-v3, CAPGAN and the augmentation
  baselines, as data (no TensorFlow: the command line reads it). Code asks the recipe, never the model's name.
* :mod:`.builders`: the table of models, and :func:`~.builders.build_model` (a compiled-ready
  :class:`~bagan_lib.gan.trainer.AdversarialTrainer`) and the networks a recipe pre-trains. Notebooks 04-09;
  Eq. 12-16.
* :mod:`.networks`: the reference encoder, decoder, embedding, generator and discriminators (BAGAN-GP Fig. 3-5;
  CGAN's fully connected ones).
* :mod:`.class_batchnorm`: the generator with class-conditional batch normalisation (a gain and bias per class),
  from scratch or from a pre-trained decoder; what gSR regularises.
* :mod:`.autoencoder`: the autoencoder, with or without the label embedding, L1 or L2. Notebook 05; Fig. 3.
* :mod:`.cvae`: CAPGAN's conditional VAE and its ELBO. Notebook 07; CAPGAN Eq. 3-10.
* :mod:`.pretraining`: CAPGAN's four pre-training strategies (none, ROS, two-phase, ensemble). Notebook 07.
"""
