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
* :mod:`.tail`: their class means for long-tailed generation: intra-FID and intra-KID over all classes (Miyato and
  Koyama 2018), FID-FS and KID-FS over the tail classes (Khorram et al. 2024), and the tail by a rule.
* :mod:`.cas`: the Classification Accuracy Score (Ravuri and Vinyals 2019): a classifier trained on generated images,
  its accuracy and per-class recall on real ones.
* :mod:`.class_balance`: the KL divergence from uniform of the classes a real-data classifier gives generated images.
* :mod:`.scoring_classifier`: the real-data classifier that scores generated images per class (notebooks 04-09)
  and gives the ``domain`` extractor its features.
* :mod:`.feature_maps`: t-SNE of real and generated features per class (BAGAN-GP Fig. 11).
* :mod:`.extractor_comparison`: per-class scores in several feature spaces side by side; the pixel extractor.
* :mod:`.blas_threads`: one BLAS thread for the many small matrix operations (much faster on a small shared CPU).

Table 4 and the sample-size study, which load and train runs, are experiments (:mod:`bagan_lib.experiments`).
The extractors and SSIM import TensorFlow when called (the command line reads this package before it sets
TensorFlow up); the formulas need only numpy, scipy and sklearn. All of it: notebook 08.
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
