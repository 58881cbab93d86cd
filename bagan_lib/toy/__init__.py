"""The theory of notebooks 01-03, in one and two dimensions.

* :mod:`.theory_1d`: two 1-D Gaussians: the optimal discriminator, Jensen-Shannon, the value at the optimum,
  the earth mover's distance. Notebooks 01-02; BAGAN-GP Eq. 1-5.
* :mod:`.gaussian_ring`: the ring of 8 Gaussians, small MLP GANs on the shared trainer, mode coverage.
  Notebooks 01-03; Eq. 2-3, 6-11.
* :mod:`.sweeps`: precomputed toy runs behind the lambda and latent-size sliders. Notebooks 02-03; Eq. 7-8.
"""
