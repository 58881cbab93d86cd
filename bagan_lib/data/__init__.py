"""Datasets and preprocessing.

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
