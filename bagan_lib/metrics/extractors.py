"""Feature extractors for FID, KID and precision/recall, each with a name that travels with its features.

``inception``
    Keras InceptionV3 with ImageNet weights, no top, global average pooling:
    2048 features, at 299x299 (the BAGAN-GP paper's FID) or 224x224 (CAPGAN's).
    The kit's images in [-1, 1] are mapped to [0, 255], resized (bilinear),
    greyscale replicated to 3 channels, and scaled with
    ``keras.applications.inception_v3.preprocess_input``. Weights come from a
    local file (``weights_path``, checked by hash), the Keras cache
    (``$KERAS_HOME/models`` or ``~/.keras/models``), or a download (skipped when
    ``BAGAN_OFFLINE=1``, as for datasets). Names: ``inception-299``,
    ``inception-224``; ``weights=None`` (random weights, to test the code path)
    is ``inception-299-untrained``, whose numbers mean nothing.
``domain``
    The kit's real-data classifier (:mod:`bagan_lib.metrics.scoring_classifier`), trained on the
    dataset's real training images balanced by oversampling and cached on disk
    keyed by dataset, image size, seed and a hash of its training data; features
    from its penultimate ``features`` layer. Name: ``domain:<classifier key>``,
    so two classifiers never pass for one. It needs no download.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from bagan_lib.data.sources import OFFLINE_VAR, is_offline, keras_cache_dir
from bagan_lib.errors import ChecksumError, KitError
from bagan_lib.metrics.features import Features
from bagan_lib.profiles import get_profile

# Lazy imports in this module: the command line reads the extractor names at start-up; TensorFlow is imported when
# an extractor is built.

EXTRACTORS = ("domain", "inception")
INCEPTION_SIZES = (299, 224)
INCEPTION_DIM = 2048
_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
# The files keras.applications.InceptionV3(weights="imagenet") loads, and the md5 sums Keras checks them by.
INCEPTION_FILES = {
    False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
    True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
}


class DomainExtractor:
    """The penultimate layer of a trained :class:`bagan_lib.metrics.scoring_classifier.Classifier`."""

    kind = "domain"

    def __init__(self, classifier, reference=None):
        self.classifier = classifier
        self.reference = reference      # the ReferenceClassifier (held-out images) it came with, if any
        self.name = f"domain:{classifier.key}"
        self.dim = int(classifier.model.get_layer("features").units)
        self.image_shape = classifier.image_shape

    def __call__(self, images, batch_size: int = 1024) -> Features:
        from bagan_lib.metrics.scoring_classifier import penultimate_features

        return Features(np.asarray(penultimate_features(self.classifier, images, batch_size=batch_size)), self.name)


def domain_extractor(dataset: str, *, image_size: int = 32, seed: int = 0, profile: str | None = None,
                     data_dir=None, cache_dir=None, verbose: bool = True) -> DomainExtractor:
    """The ``domain`` extractor of ``dataset``: :func:`bagan_lib.metrics.scoring_classifier.for_profile`'s classifier.

    Trained once with the profile's budget and cached (``cache_dir``, default
    ``$BAGAN_CACHE_DIR`` or ``~/.cache/bagan-kit``); a later call with the same
    dataset, image size and seed loads it. Keep ``seed`` fixed across the runs
    you compare (it is the extractor's seed, not the GAN's).
    """
    from bagan_lib.metrics.scoring_classifier import for_profile

    reference = for_profile(dataset, get_profile(profile), image_size=image_size, seed=seed, data_dir=data_dir,
                            cache_dir=cache_dir, verbose=verbose)
    return DomainExtractor(reference.classifier, reference)


def _keras_models_dir() -> Path:
    return keras_cache_dir().parent / "models"


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _no_weights_fix(file_name: str) -> str:
    return (f"on a machine with network access download {_URL}{file_name} and put it in {_keras_models_dir()}/ "
            f"(the Keras cache; $KERAS_HOME/models/ if KERAS_HOME is set), or pass its path as "
            f"weights_path='.../{file_name}' (--weights-path). For FID and KID the 'domain' extractor "
            "(extractor='domain', --extractor domain) needs no download: the kit trains it on the dataset "
            "(the Inception Score has no such substitute).")


def check_weights_file(path, *, include_top: bool = False, sha256: str | None = None) -> Path:
    """``path`` if it is the weights file: its sha256 is ``sha256`` when given, else the md5 Keras publishes for
    its official file. A missing file or another file's bytes: a KitError / ChecksumError."""
    file_name, md5 = INCEPTION_FILES[include_top]
    path = Path(path).expanduser()
    if not path.is_file():
        raise KitError(f"weights_path {path} is not a file.", _no_weights_fix(file_name))
    if sha256:
        actual = _file_digest(path, "sha256")
        if actual != sha256.lower():
            raise ChecksumError(f"{path} has sha256 {actual}, not the {sha256} given.",
                                "pass the right file, or the sha256 of the file you trust (sha256sum FILE).")
        return path
    actual = _file_digest(path, "md5")
    if actual != md5:
        raise ChecksumError(f"{path} is not Keras's {file_name} (md5 {actual}, expected {md5}).",
                            f"download it again from {_URL}{file_name}, or pass weights_sha256=<its sha256> if it "
                            "is another weights file you trust.")
    return path


def inception_weights_file(*, include_top: bool = False, weights_path=None, sha256: str | None = None) -> Path:
    """The ImageNet weights of InceptionV3: ``weights_path``, else the Keras cache, else a Keras download.

    The download is skipped when ``BAGAN_OFFLINE=1``. When none works, a
    KitError lists what was tried and says how to provide the file (the name
    Keras expects, where to put it, ``weights_path``) and that the ``domain``
    extractor needs none.
    """
    file_name, md5 = INCEPTION_FILES[include_top]
    if weights_path:
        return check_weights_file(weights_path, include_top=include_top, sha256=sha256)
    cached = _keras_models_dir() / file_name
    if cached.is_file():
        return check_weights_file(cached, include_top=include_top, sha256=sha256)
    tried = ["(1) weights_path: not given", f"(2) the Keras cache: no {cached}"]
    if is_offline():
        tried.append(f"(3) download: skipped ({OFFLINE_VAR}=1)")
    else:
        import keras

        try:
            downloaded = keras.utils.get_file(file_name, _URL + file_name, cache_subdir="models", file_hash=md5,
                                              cache_dir=str(_keras_models_dir().parent))
        except Exception as exc:  # offline, proxy, disk full...: report, do not crash
            tried.append(f"(3) download: failed ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")
        else:
            return check_weights_file(downloaded, include_top=include_top, sha256=sha256)
    raise KitError(f"The ImageNet weights of InceptionV3 ({file_name}) were not found. Tried: {'; '.join(tried)}.",
                   _no_weights_fix(file_name))


def inception_inputs(images, image_size: int):
    """The kit's images (float in [-1, 1], 1 or 3 channels) as InceptionV3 takes them: a tf tensor
    (n, size, size, 3), via [0, 255], bilinear resize, channel replication and ``preprocess_input``."""
    import keras
    import tensorflow as tf

    x = tf.convert_to_tensor(images, tf.float32)
    x = tf.image.resize((x + 1.0) * 127.5, (image_size, image_size), method="bilinear")
    if x.shape[-1] == 1:
        x = tf.repeat(x, 3, axis=-1)
    return keras.applications.inception_v3.preprocess_input(x)


class InceptionExtractor:
    """Keras InceptionV3 without its top, average-pooled: 2048 features per image."""

    kind = "inception"

    def __init__(self, model, image_size: int, name: str):
        self.model, self.image_size, self.name = model, image_size, name
        self.dim = int(model.output_shape[-1])
        self.image_shape = None  # any size; 1 or 3 channels

    def __call__(self, images, batch_size: int = 32) -> Features:
        import tensorflow as tf

        from bagan_lib.metrics.scoring_classifier import classifier_images

        x = classifier_images(images)  # float32 in [-1, 1] (uint8 is scaled), else a KitError
        if x.shape[-1] not in (1, 3):
            raise KitError(f"InceptionV3 takes greyscale or RGB images, not {x.shape[-1]} channels.",
                           "pass images with 1 or 3 channels.")
        batches = tf.data.Dataset.from_tensor_slices(x).batch(batch_size).map(
            lambda b: inception_inputs(b, self.image_size))
        return Features(np.asarray(self.model.predict(batches, verbose=0)), self.name)


def _check_size(image_size: int) -> None:
    if image_size not in INCEPTION_SIZES:
        raise KitError(f"image_size={image_size} is not an Inception size the papers used.",
                       "pass 299 (BAGAN-GP's FID) or 224 (CAPGAN's).")


def inception_extractor(image_size: int = 299, *, weights: str | None = "imagenet", weights_path=None,
                        weights_sha256: str | None = None) -> InceptionExtractor:
    """InceptionV3(include_top=False, pooling="avg") at ``image_size`` (299 or 224) with ImageNet weights
    (see :func:`inception_weights_file`); ``weights=None``: random weights, only to test the code path."""
    import keras

    _check_size(image_size)
    if weights not in ("imagenet", None):
        raise KitError(f"weights={weights!r}.", "pass weights='imagenet' (and weights_path=... for a local file) or None.")
    path = None if weights is None else str(inception_weights_file(weights_path=weights_path, sha256=weights_sha256))
    model = keras.applications.InceptionV3(include_top=False, weights=path, pooling="avg",
                                           input_shape=(image_size, image_size, 3))
    return InceptionExtractor(model, image_size, f"inception-{image_size}" + ("" if path else "-untrained"))


def imagenet_classifier(*, weights: str | None = "imagenet", weights_path=None, weights_sha256: str | None = None):
    """InceptionV3 with its 1000-class ImageNet top (299x299), for the Inception Score; ``weights=None``: random."""
    import keras

    path = None if weights is None else str(inception_weights_file(include_top=True, weights_path=weights_path,
                                                                   sha256=weights_sha256))
    return keras.applications.InceptionV3(include_top=True, weights=path, classifier_activation="softmax")


def imagenet_probabilities(model, images, batch_size: int = 32) -> np.ndarray:
    """The ImageNet class probabilities of the kit's images (same preprocessing as the ``inception`` extractor)."""
    return InceptionExtractor(model, 299, "imagenet")(images, batch_size=batch_size).values


def get_extractor(name: str, *, dataset: str | None = None, image_size: int = 32, seed: int = 0,
                  profile: str | None = None, inception_size: int = 299, weights_path=None,
                  weights_sha256: str | None = None, data_dir=None, cache_dir=None, verbose: bool = True):
    """An extractor by kind: ``"domain"`` (needs ``dataset`` and the GAN's ``image_size``) or ``"inception"``."""
    if name == "domain":
        if not dataset:
            raise KitError("The domain extractor needs the dataset it is trained on.", "pass dataset=...")
        return domain_extractor(dataset, image_size=image_size, seed=seed, profile=profile, data_dir=data_dir,
                                cache_dir=cache_dir, verbose=verbose)
    if name == "inception":
        return inception_extractor(inception_size, weights_path=weights_path, weights_sha256=weights_sha256)
    raise KitError(f"Unknown feature extractor {name!r}.", f"choose one of {', '.join(EXTRACTORS)}.")
