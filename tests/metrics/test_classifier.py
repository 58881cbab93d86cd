"""The real-data classifier that measures generated samples per class."""

from __future__ import annotations


import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from bagan_lib.metrics import scoring_classifier as clf
from bagan_lib.figures import common as plots
from bagan_lib.data.preprocess import prepare_images
from bagan_lib.errors import KitError
from bagan_lib.data.imbalance import oversample_indices

NAMES = ("dark", "mid", "light")
COUNTS = [300, 30, 120]   # imbalanced: the minority class has a tenth of the majority's images


def grey_levels(counts, seed):
    """uint8 images whose class is their grey level (50, 128, 205) plus noise: separable, with a minority class."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    x = 50 + 77.5 * y[:, None, None, None] + rng.normal(0, 20, (len(y), 32, 32, 1))
    return np.clip(np.rint(x), 0, 255).astype("uint8"), y


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    x, y = grey_levels(COUNTS, 0)
    x_val, y_val = grey_levels([20, 20, 20], 1)
    cache = tmp_path_factory.mktemp("cache")
    model = clf.train_classifier(prepare_images(x, 32), y, class_names=NAMES, name="grey", seed=0, epochs=3,
                                 cache_dir=cache, x_val=x_val, y_val=y_val, verbose=False)
    return model, cache, (x, y), (prepare_images(x_val, 32), y_val)


def test_oversampling_balances_every_class_and_keeps_every_image():
    y = np.repeat([0, 1, 2], COUNTS)
    idx = oversample_indices(y, seed=0)
    assert np.bincount(y[idx]).tolist() == [300, 300, 300]
    assert set(idx) == set(range(len(y)))


def test_learns_an_imbalanced_separable_problem_on_balanced_data(trained):
    model, _, _, (x_val, y_val) = trained
    assert model.train_counts.tolist() == [300, 300, 300] and not model.from_cache
    table = model.validation
    assert list(table["n"]) == [20, 20, 20] and (table["accuracy"] > 0.95).all(), table
    by_hand = [np.mean(np.argmax(model.model.predict(x_val[y_val == c], verbose=0), 1) == c) for c in range(3)]
    np.testing.assert_allclose(table["accuracy"], by_hand)
    np.testing.assert_allclose(table["chance"], 1 / 3)


def test_cache_round_trips_exactly_from_uint8_too_and_any_change_retrains(trained, tmp_path):
    model, cache, (x, y), (x_val, _) = trained
    # uint8 images are prepared exactly as the GAN's: the same key, so the cached weights load
    again = clf.train_classifier(x, y, class_names=NAMES, name="grey", image_size=32, seed=0, epochs=3,
                                 cache_dir=cache, verbose=False)
    assert again.from_cache and again.key == model.key and again.train_counts.tolist() == [300] * 3
    np.testing.assert_array_equal(model.model.predict(x_val, verbose=0), again.model.predict(x_val, verbose=0))
    # another seed: another key, trained; trained again elsewhere with that seed: the same weights (seeded)
    other = clf.train_classifier(x, y, class_names=NAMES, name="grey", seed=1, epochs=1, cache_dir=cache,
                                 verbose=False)
    assert not other.from_cache and other.key != model.key
    fresh = clf.train_classifier(x, y, class_names=NAMES, name="grey", seed=1, epochs=1, cache_dir=tmp_path,
                                 verbose=False)
    assert not fresh.from_cache and fresh.key == other.key
    for a, b in zip(other.model.weights, fresh.model.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_key_covers_every_image_label_setting_and_the_architecture(trained):
    model, _, (x, y), _ = trained
    xf = prepare_images(x, 32)
    settings = {"epochs": 3}

    def key(x_, y_, settings_=settings, net=model.model):
        return clf.classifier_key(x_, y_, name="grey", seed=0, settings=settings_, model=net)

    last_pixel = xf.copy()
    last_pixel[-1, -1, -1, 0] += 0.01
    relabelled = y.copy()
    relabelled[-1] = 0
    keys = {key(xf, y), key(last_pixel, y), key(xf, relabelled), key(xf, y, {"epochs": 4}),
            key(xf, y, net=clf.build_classifier(32, 1, 3, width=0.5))}
    assert len(keys) == 5 and key(xf, y) == key(xf.copy(), y.copy())


class Shown:
    """A stand-in generator returning the real images of the asked class (``shift=1``: of the next class)."""

    def __init__(self, images, labels, shift=0):
        self.images, self.labels, self.shift, self.used = images, labels, shift, {0: 0, 1: 0, 2: 0}

    def __call__(self, labels):
        out = []
        for c in (np.asarray(labels) + self.shift) % 3:
            members = np.flatnonzero(self.labels == c)
            out.append(self.images[members[self.used[c] % len(members)]])
            self.used[c] += 1
        return np.stack(out)


def test_generated_accuracy_of_real_images_is_their_real_accuracy_and_zero_for_the_wrong_class(trained):
    model, _, _, (x_val, y_val) = trained
    # every class asks for its 20 real images once, in batches of 7 that cut across classes
    same = clf.generated_class_accuracy(model, Shown(x_val, y_val), n_per_class=20, batch_size=7,
                                        real_counts=COUNTS)
    real = clf.real_class_accuracy(model, x_val, y_val)
    np.testing.assert_array_equal(same["accuracy"], real["accuracy"])
    assert list(same["train images"]) == COUNTS and list(same["n"]) == [20, 20, 20]
    shifted = clf.generated_class_accuracy(model, Shown(x_val, y_val, shift=1), n_per_class=20)
    predicted = model.predict(x_val)
    for c in range(3):  # by hand: class c was shown class c + 1's images
        shown = predicted[y_val == (c + 1) % 3]
        assert shifted["accuracy"][c] == np.mean(shown == c)
        assert shifted["mistaken share"][c] == np.mean(shown == (c + 1) % 3)
    assert (shifted["accuracy"] < 0.05).all()
    assert list(shifted["mostly mistaken for"]) == ["mid", "light", "dark"]


class NoiseRecorder:
    """A stand-in GAN trainer: records the noise it is given, 'generates' class-grey images."""

    latent_dim = 3

    def __init__(self):
        self.noise = []

    def images_from_noise(self, noise, labels):
        self.noise.append(np.asarray(noise))
        return prepare_images(grey_levels(np.bincount(labels, minlength=3), 5)[0], 32)


def test_a_trainer_generates_from_seeded_noise(trained):
    model = trained[0]
    runs = [NoiseRecorder() for _ in range(3)]
    for run, seed in zip(runs, (3, 3, 4)):
        table = clf.generated_class_accuracy(model, run, n_per_class=10, seed=seed, batch_size=16)
        assert (table["accuracy"] > 0.9).all()
    assert [n.shape for n in runs[0].noise] == [(16, 3), (14, 3)]
    np.testing.assert_array_equal(np.concatenate(runs[0].noise), np.concatenate(runs[1].noise))
    assert not np.array_equal(np.concatenate(runs[0].noise), np.concatenate(runs[2].noise))
    assert not np.array_equal(runs[0].noise[0][:14], runs[0].noise[1]), "each batch draws new noise"


def test_quality_table_and_its_figure(trained):
    model, _, _, (x_val, y_val) = trained
    table = clf.quality_table(model, {"right": Shown(x_val, y_val), "wrong": Shown(x_val, y_val, shift=1)},
                              real_images=x_val, real_labels=y_val, n_per_class=20, train_counts=COUNTS)
    assert list(table.columns) == ["class", "name", "train images", "real (held out)", "right", "wrong", "chance"]
    np.testing.assert_array_equal(table["right"], table["real (held out)"])
    fig = plots.plot_per_class_accuracy(table, ["real (held out)", "right", "wrong"], title="quality")
    ax = fig.axes[0]
    assert ax.get_title() == "quality" and ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "real (held out)", "right", "wrong"]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(0.333)


def test_features_are_the_penultimate_layer(trained):
    model, _, _, (x_val, _) = trained
    features = clf.penultimate_features(model, x_val)
    kernel, bias = model.model.get_layer("logits").get_weights()
    assert features.shape == (60, 128)
    np.testing.assert_allclose(features @ kernel + bias, model.model.predict(x_val, verbose=0), rtol=1e-4,
                               atol=1e-4)


def test_refuses_unscaled_or_misfitting_images_and_bad_labels(trained):
    model = trained[0]
    with pytest.raises(KitError, match=r"in \[-1, 1\]"):
        clf.train_classifier(np.full((4, 32, 32, 1), 255.0), np.arange(4) % 3, class_names=NAMES, name="x")
    with pytest.raises(KitError, match="do not fit this classifier"):
        model.predict(np.zeros((2, 32, 32, 3), "float32"))
    with pytest.raises(KitError, match="integer labels"):
        clf.real_class_accuracy(model, np.zeros((2, 32, 32, 1), "float32"), [0, 3])


def test_reference_classifier_trains_on_the_whole_real_split_and_checks_on_the_test_split(tmp_path):
    ref = clf.reference_classifier("synthetic_cells", image_size=32, seed=0, max_per_class=16, max_test_per_class=8,
                                   epochs=1, cache_dir=tmp_path, verbose=False)
    assert ref.classifier.train_counts.tolist() == [16] * 4 and ref.classifier.image_shape == (32, 32, 3)
    assert ref.x_test.shape == (32, 32, 32, 3) and ref.x_test.dtype == np.float32
    assert ref.x_test.min() >= -1 and ref.x_test.max() <= 1 and np.bincount(ref.y_test).tolist() == [8] * 4
    assert ref.real_accuracy().equals(ref.classifier.validation)
