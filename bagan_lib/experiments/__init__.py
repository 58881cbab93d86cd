"""What one notebook's experiment needs beyond the library: studies, sweeps, reports and Table 4.

* :mod:`.latent_analysis`: encoder latents, t-SNE, silhouette, overlap of class Gaussians. Notebooks 04-05;
  BAGAN-GP Fig. 2, 10.
* :mod:`.latent_sweep`: the latent-size slider of notebook 05 (supervised autoencoders, cached).
* :mod:`.image_sweeps`: the penalty-weight slider of notebook 06 (short BAGAN-GP v3 runs, cached). Eq. 14-15.
* :mod:`.critic_steps`: notebook 06's report of how sure each trained critic is that fakes are fake.
* :mod:`.capgan_study`: notebook 07: the pre-training strategies compared; CAPGAN against v3 by imbalance rate.
* :mod:`.table4`, :mod:`.table4_runs`: BAGAN-GP Table 4 (per-class FID and KID) from run folders
  (``python -m bagan_lib evaluate``); the runs of notebooks 04 and 06 located, checked or trained. Notebook 08.
* :mod:`.sample_size`: FID and KID against the number of real images, FID's bias. Notebook 08.
* :mod:`.augmented_sets`, :mod:`.downstream_classifiers`, :mod:`.augmentation_study`: notebook 09: the training
  sets compared, the CNN and CNN-SVM and their metrics, the protocol, budgets and verdicts over seeds
  (``python -m bagan_lib augmentation combine``).
* :mod:`.augmentation_table1`: notebook 09b: the augmentation paper's Table I on its own protocol, the Fig. 7
  check (ALI reconstructions against duplicates) and the generated-only classifier
  (``python -m bagan_lib augmentation table1``).
"""
