"""The figures. Every function returns a titled matplotlib Figure with labelled axes.

* :mod:`.common`: class counts, images by class, grids, confusion (all notebooks).
* :mod:`.toy`: the toy's landscapes, samples and penalty interpolates. Notebooks 01-03.
* :mod:`.training`: loss curves per epoch, compared across runs. Notebooks 04-09.
* :mod:`.latents`: t-SNE maps and class Gaussians of the latents. Notebooks 04-05.
* :mod:`.cvae`: the reparameterisation draws and CAPGAN's strategies. Notebook 07; CAPGAN Eq. 5.
* :mod:`.metrics`: notebook 08's figures (sample size, feature maps, extractors).
* :mod:`.table4`: Table 4 as grouped bars. Notebook 08, ``evaluate``.
* :mod:`.augmentation`: notebook 09's per-class recall figure.
* :mod:`.sliders`: a slider over precomputed results drawn into a notebook (notebooks 02-03, 05-06).
"""
