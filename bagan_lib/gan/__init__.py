"""The GAN mathematics: losses, penalties, objectives and the one trainer every GAN of the kit uses.

* :mod:`.losses`: the minimax and non-saturating GAN losses, Wasserstein, BAGAN's and the conditional losses, on
  logits. Notebooks 01-06; BAGAN-GP Eq. 1-3, 6, 9, 12-15; BAGAN Eq. B1-B2; AC-GAN.
* :mod:`.penalties`: interpolates and the gradient penalty (model and noise interpolation). Notebooks 02-03, 06;
  Eq. 7, 8, 10-11.
* :mod:`.objectives`: ``OBJECTIVES``: each objective's critic terms and generator loss (and the logit of "real"
  ADA reads), as data.
* :mod:`.augment`: the critic's differentiable augmentations: DiffAugment (color, translation, cutout; Zhao et al.
  2020) and ADA (each transform with probability p, adapted from r_t = E[sign D(x_real)]; Karras et al. 2020).
* :mod:`.group_spectral`: group spectral regularisation (gSR) of a class-conditional batch-norm generator: the
  grouped gains' and biases' spectral norms, effective-number class weights, the per-class norm diagnostic
  (Rangwani et al. 2022; Cui et al. 2019).
* :mod:`.transition`: transitional conditioning: alpha_t from 0 to 1 blends the label into both networks (Shahbazi et
  al. 2022).
* :mod:`.trainer`: :class:`~.trainer.AdversarialTrainer`, the one ``keras.Model`` with ``train_step`` that every
  model runs on (critic steps, fake labels, wrong labels, penalty, augmentation, gSR, transition). Notebooks 01-09.
* :mod:`.ali`: ALI's three players on the shared trainer (:class:`~.ali.ALITrainer`) and AC-GAN on ALI latents
  (:class:`~.ali.RealLatentMixture`, the masked source term). Notebook 09b; augmentation paper Eq. 4-5.
* :mod:`.critic_parts`: the conditional critic factored (image features once, the label head once per class); the
  same mathematics as Eq. 14 with fewer FLOPs.
* :mod:`.optimizer_step`: Adam on summed embedding rows (the textbook update).
* :mod:`.class_latents`: BAGAN's class-conditional latent Gaussians. Notebook 04; BAGAN Eq. B3.
* :mod:`.sampling`: images from a trained generator, per label, per class, and the sample grid. Notebooks 04-09;
  Eq. 16.
"""
