"""Datasets, preprocessing, the imbalance protocols and the training batches.

* :mod:`.loaders`: :func:`~.loaders.load_dataset` by name (Fashion-MNIST, MNIST, CIFAR-10, CIFAR-100 fine and
  coarse, synthetic_cells, custom).
* :mod:`.sources`, :mod:`.formats`, :mod:`.custom`: where files come from (offline folders, checksums, Keras
  downloads), the idx, CIFAR-10 and CIFAR-100 readers, your own images.
* :mod:`.dataset`: the :class:`~.dataset.Dataset` record.
* :mod:`.pixel_range`: the one rule that decides the value range of your own float images ([0, 1], [-1, 1], 0..255).
* :mod:`.preprocess`: resizing, channels, scaling to [-1, 1] and back.
* :mod:`.synthetic_cells`: the generated cell-image dataset (Table 3 counts). Notebook 00.
* :mod:`.imbalance`: the papers' imbalance protocols, ROS, stratified splits. Notebook 00; BAGAN-GP Tables 1-3,
  CAPGAN's rate protocol, the augmentation paper's sparsified classes (its footnote 1), the long tail of
  CIFAR-10-LT (Cui et al. 2019, Cao et al. 2019: imbalance factor rho) and its step variant.
* :mod:`.batches`: step-indexed ``tf.data`` batches (batch ``s`` depends only on seed and ``s``), caps per class.

>>> from bagan_lib.data import load_dataset, prepare_images
>>> ds = load_dataset("fashion_mnist")          # doctest: +SKIP
>>> x = prepare_images(ds.x_train, 64)          # doctest: +SKIP  (float32 in [-1, 1])

Importing this package does not import TensorFlow.
"""

from bagan_lib.data.dataset import Dataset
from bagan_lib.data.loaders import CLASS_NAMES, DATASET_NAMES, load_dataset
from bagan_lib.data.preprocess import (
    IMAGE_SIZES, match_channels, prepare_images, resize_images, to_model_range, to_uint8)

__all__ = [
    "CLASS_NAMES",
    "DATASET_NAMES",
    "IMAGE_SIZES",
    "Dataset",
    "load_dataset",
    "match_channels",
    "prepare_images",
    "resize_images",
    "to_model_range",
    "to_uint8",
]
