"""Evaluation metrics for generated images (BAGAN-GP Table 4, CAPGAN, and friends).

One concept per module:

* :mod:`.features`: feature arrays named by their extractor; results of different extractors never mix.
* :mod:`.frechet`: the Frechet distance of Gaussians (Dowson and Landau 1982) and FID with a bootstrap interval.
* :mod:`.kid`: KID, the unbiased squared MMD with the cubic polynomial kernel (Binkowski et al. 2018).
* :mod:`.ssim`: SSIM of random real/generated pairs (CAPGAN).
* :mod:`.inception_score`: the Inception Score (Salimans et al. 2016) from class probabilities.
* :mod:`.precision_recall`: k-NN manifold precision and recall (Kynkaanniemi et al. 2019).
* :mod:`.extractors`: the ``inception`` (Keras InceptionV3) and ``domain`` (the kit's classifier) extractors.
* :mod:`.per_class`: per-class FID and KID of a trained generator against held-out real images.
* :mod:`.table4`, :mod:`.table4_plots`: the BAGAN-GP paper's Table 4 from run folders (``python -m bagan_lib evaluate``).
* :mod:`.table4_runs`: the runs of notebooks 04 and 06 located and checked, or trained as notebook 06 does.
* :mod:`.sample_size`: FID and KID against the number of real images (one class against itself), FID's 1-D bias.
* :mod:`.feature_maps`: t-SNE of real and generated features per class (BAGAN-GP Fig. 11).
* :mod:`.extractor_comparison`: per-class scores in several feature spaces side by side; the pixel extractor.
* :mod:`.blas`: one BLAS thread for the many small matrix operations (much faster on a small shared CPU).

The extractors, SSIM and Table 4 import TensorFlow when called; the formulas need only numpy, scipy and sklearn.
"""

from bagan_lib.metrics.features import RAW, Features, as_features, paired_features, same_extractor
from bagan_lib.metrics.frechet import FIDResult, fid, frechet_distance, gaussian_stats, trace_sqrt_product
from bagan_lib.metrics.inception_score import ISResult, inception_score
from bagan_lib.metrics.kid import KIDResult, kid, mmd2_unbiased, polynomial_kernel
from bagan_lib.metrics.precision_recall import PrecisionRecall, precision_recall
from bagan_lib.metrics.ssim import SSIMResult, ssim_score

__all__ = ["RAW", "Features", "as_features", "paired_features", "same_extractor", "FIDResult", "fid", "frechet_distance",
           "gaussian_stats", "trace_sqrt_product", "ISResult", "inception_score", "KIDResult", "kid",
           "mmd2_unbiased", "polynomial_kernel", "PrecisionRecall", "precision_recall", "SSIMResult", "ssim_score"]
