"""Feature extractors: InceptionV3's code path offline (random weights), its weight files and offline errors,
and the domain classifier's on-disk cache."""

from __future__ import annotations


import hashlib

import keras
import numpy as np
import pytest

from bagan_lib.errors import ChecksumError, KitError
from bagan_lib.metrics import extractors
from bagan_lib.metrics import fid

NOTOP = extractors.INCEPTION_FILES[False][0]


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def grey_images(n, size=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 1)).astype("float32")


def test_inception_code_path_at_299_gives_2048_named_features():
    extractor = extractors.inception_extractor(299, weights=None)
    features = extractor(grey_images(2))
    assert features.values.shape == (2, 2048) and np.isfinite(features.values).all()
    assert extractor.name == features.extractor == "inception-299-untrained" and extractor.dim == 2048
    with pytest.raises(KitError, match=r"\[-1, 1\]"):
        extractor(grey_images(2) * 3)


def test_inception_inputs_scale_the_kits_range_resize_and_replicate_grey():
    x = np.stack([np.full((32, 32, 1), -1.0), np.full((32, 32, 1), 1.0)]).astype("float32")
    out = np.asarray(extractors.inception_inputs(x, 224))
    assert out.shape == (2, 224, 224, 3)
    np.testing.assert_allclose(out[0], -1.0, atol=1e-6)
    np.testing.assert_allclose(out[1], 1.0, atol=1e-6)
    with pytest.raises(KitError, match="299 .* or 224"):
        extractors.inception_extractor(128, weights=None)


def test_offline_without_weights_says_how_to_provide_them(empty_keras_home, monkeypatch):
    monkeypatch.setenv("BAGAN_OFFLINE", "1")
    with pytest.raises(KitError) as error:
        extractors.inception_extractor(299)
    message = str(error.value)
    assert NOTOP in message and str(empty_keras_home / "models") in message and "weights_path" in message
    assert "skipped (BAGAN_OFFLINE=1)" in message and "'domain' extractor" in message


def test_a_failed_download_is_reported_not_raised(empty_keras_home, monkeypatch):
    monkeypatch.delenv("BAGAN_OFFLINE", raising=False)

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(KitError, match=r"download: failed \(OSError: network is unreachable\).*domain"):
        extractors.inception_weights_file()


def test_weights_from_a_path_are_checked_by_hash_and_loaded(tmp_path, empty_keras_home, monkeypatch):
    monkeypatch.setenv("BAGAN_OFFLINE", "1")
    source = extractors.inception_extractor(224, weights=None)
    path = tmp_path / "mine.weights.h5"
    source.model.save_weights(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = extractors.inception_extractor(224, weights_path=path, weights_sha256=sha)
    assert loaded.name == "inception-224"
    for a, b in zip(source.model.weights, loaded.model.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ChecksumError, match="sha256"):
        extractors.check_weights_file(path, sha256="0" * 64)
    with pytest.raises(ChecksumError, match="not Keras's"):  # no sha256: must be Keras's official file
        extractors.check_weights_file(path)
    fake = empty_keras_home / "models" / NOTOP  # a damaged file in the Keras cache is not used
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"not weights")
    with pytest.raises(ChecksumError, match="md5"):
        extractors.inception_weights_file()
    with pytest.raises(KitError, match="is not a file"):
        extractors.inception_weights_file(weights_path=tmp_path / "missing.h5")


def test_domain_extractor_is_cached_and_retrained_when_its_key_changes(tmp_path, monkeypatch):
    fits = []
    original = keras.Model.fit

    def counting_fit(self, *args, **kwargs):
        fits.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", counting_fit)
    make = dict(profile="smoke", cache_dir=tmp_path, verbose=False)
    first = extractors.get_extractor("domain", dataset="synthetic_cells", image_size=32, seed=0, **make)
    assert fits == ["real_data_classifier"] and not first.classifier.from_cache
    again = extractors.get_extractor("domain", dataset="synthetic_cells", image_size=32, seed=0, **make)
    assert len(fits) == 1 and again.classifier.from_cache and again.name == first.name
    assert first.name.startswith("domain:synthetic_cells-32px-seed0-") and first.dim == 128
    x = first.reference.x_test[:8]
    np.testing.assert_array_equal(first(x).values, again(x).values)
    other_seed = extractors.get_extractor("domain", dataset="synthetic_cells", image_size=32, seed=1, **make)
    assert len(fits) == 2 and not other_seed.classifier.from_cache and other_seed.name != first.name
    other_size = extractors.get_extractor("domain", dataset="synthetic_cells", image_size=64, seed=0, **make)
    assert len(fits) == 3 and "-64px-" in other_size.name
    assert len(list((tmp_path / "classifiers").glob("*.npz"))) == 3
    with pytest.raises(KitError, match="different feature extractors"):
        fid(first(x), other_seed(x))
    with pytest.raises(KitError, match="Unknown feature extractor"):
        extractors.get_extractor("vgg")


def test_inception_score_code_path_with_the_imagenet_top():
    from bagan_lib.metrics import inception_score

    model = extractors.imagenet_classifier(weights=None)
    probabilities = extractors.imagenet_probabilities(model, grey_images(2))
    assert probabilities.shape == (2, 1000)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    score = inception_score(probabilities, splits=1, classifier="inception-imagenet-untrained")
    assert 1.0 <= score.mean <= 2.0 and score.n == 2


def test_imagenet_top_offline_names_its_own_file(empty_keras_home, monkeypatch):
    monkeypatch.setenv("BAGAN_OFFLINE", "1")
    with pytest.raises(KitError, match=extractors.INCEPTION_FILES[True][0]):
        extractors.imagenet_classifier()
