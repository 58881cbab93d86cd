"""Notebook 09's training sets, downstream classifiers and metrics."""

from __future__ import annotations


import keras
import numpy as np
import pytest

from bagan_lib.experiments import augmented_sets, downstream_classifiers as downstream
from bagan_lib.errors import KitError

SIZE, N = 16, 3


def imbalanced(seed=0):
    rng = np.random.default_rng(seed)
    y = np.array([0] * 40 + [1] * 6 + [2] * 3, np.int32)
    x = rng.uniform(-1, 1, (len(y), SIZE, SIZE, 1)).astype(np.float32)
    return x, y


def label_painter(labels):
    """A 'generator' whose image of class c is filled with the value c / 10: its labels can be read back."""
    labels = np.asarray(labels)
    return np.ones((len(labels), SIZE, SIZE, 1), np.float32) * (labels[:, None, None, None] / 10.0)


@pytest.mark.parametrize("mode", ["transforms", "generated"])
def test_top_ups_reach_the_majority_count_exactly_and_keep_the_real_images(mode):
    x, y = imbalanced()
    x_before = x.copy()
    built = augmented_sets.build_training_set(mode, x, y, N, generator=label_painter, seed=1)
    assert built.counts(N).tolist() == [40, 40, 40]
    assert built.added(N).tolist() == [0, 34, 37]
    real = built.source == "real"
    np.testing.assert_array_equal(built.x[real], x_before)           # the real images, untouched
    np.testing.assert_array_equal(x, x_before)                       # the input is not modified
    assert built.x.min() >= -1 and built.x.max() <= 1


def test_generated_images_carry_the_labels_they_were_conditioned_on():
    x, y = imbalanced()
    built = augmented_sets.build_training_set("generated", x, y, N, generator=label_painter)
    added = built.source == "generated"
    np.testing.assert_allclose(built.x[added][:, 0, 0, 0] * 10, built.y[added], atol=1e-6)


def test_transformed_copies_come_from_their_own_class():
    x, y = imbalanced()
    x[y == 2] = -1.0          # class 2 is all background: any transform of it stays all background
    x_new, y_new = augmented_sets.transformed_copies(x, y, [0, 0, 5], flip=True, seed=0)
    assert y_new.tolist() == [2] * 5 and np.allclose(x_new, -1.0)


def test_imbalanced_and_balanced_modes_and_bad_input():
    x, y = imbalanced()
    assert augmented_sets.build_training_set("imbalanced", x, y, N).counts(N).tolist() == [40, 6, 3]
    xb, yb = np.zeros((6, SIZE, SIZE, 1)), np.array([0, 0, 1, 1, 2, 2])
    assert augmented_sets.build_training_set("balanced", x, y, N, balanced=(xb, yb)).counts(N).tolist() == [2, 2, 2]
    with pytest.raises(KitError, match="not a training set"):
        augmented_sets.build_training_set("smote", x, y, N)
    with pytest.raises(KitError, match="conditional generator"):
        augmented_sets.build_training_set("generated", x, y, N)
    with pytest.raises(KitError, match="balanced original"):
        augmented_sets.build_training_set("balanced", x, y, N)


def test_the_cnn_svm_hybrid_classifies_from_the_cnns_features():
    # a "CNN" whose features layer reads the mean pixel (which separates the classes) and whose logits
    # are wired to answer class 0 always: the SVM on its features is right, the CNN's own head is not
    image = keras.Input((SIZE, SIZE, 1))
    mean = keras.layers.GlobalAveragePooling2D()(image)
    features = keras.layers.Dense(2, name="features", kernel_initializer="ones", bias_initializer="zeros")(mean)
    logits = keras.layers.Dense(N, name="logits", kernel_initializer="zeros",
                                bias_initializer=keras.initializers.Constant([5.0, 0.0, 0.0]))(features)
    cnn = keras.Model(image, logits)
    y = np.repeat(np.arange(N), 20)
    x = np.ones((len(y), SIZE, SIZE, 1), np.float32) * (y[:, None, None, None] - 1) * 0.5
    x += np.random.default_rng(0).normal(0, 0.02, x.shape).astype(np.float32)
    hybrid = downstream.CnnSvm(cnn).fit(x, y)
    assert (hybrid.predict(x) == y).mean() == 1.0
    assert (np.asarray(cnn(x)).argmax(1) == y).mean() == pytest.approx(1 / 3)


def test_metrics_match_hand_counts():
    y = np.array([0, 0, 0, 1, 1, 2])
    scores = np.array([[3, 1, 0], [3, 0, 1], [0, 3, 1], [0, 3, 1], [1, 0, 3], [0, 1, 3]], float)
    m = downstream.classification_metrics(y, scores, n_classes=3, top_k=2)
    # predictions 0 0 1 1 2 2: recalls 2/3, 1/2, 1; precisions 1, 1/2, 1/2
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert [m[f"recall {c}"] for c in range(3)] == pytest.approx([2 / 3, 1 / 2, 1])
    assert m["macro recall"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3) == pytest.approx(m["balanced accuracy"])
    assert m["macro precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert m["top-2 accuracy"] == pytest.approx(4 / 6)   # images 3 and 5 rank their true class third
    table = downstream.summarize_seeds([{"training set": "a", "seed": s, "accuracy": v} for s, v in
                                        ((0, 0.5), (1, 0.7))])
    assert table.loc[0, "accuracy"] == "0.600 ± 0.100" and table.loc[0, "seeds"] == 2


def test_metrics_of_two_classes_have_no_top_k():
    """The augmentation paper reports accuracy alone for its two-class set: top-k with k >= 2 is always 1.0."""
    y = np.array([0, 0, 0, 1, 1])
    scores = np.array([[2, 1], [0, 1], [3, 0], [0, 4], [1, 0]], float)  # predictions 0 1 0 1 0
    m = downstream.classification_metrics(y, scores, n_classes=2, top_k=None)
    assert not any(k.startswith("top-") for k in m)
    assert m["accuracy"] == pytest.approx(3 / 5) and [m["recall 0"], m["recall 1"]] == pytest.approx([2 / 3, 1 / 2])
    assert m["balanced accuracy"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert downstream.classification_metrics(y, scores, n_classes=2, top_k=1)["top-1 accuracy"] == m["accuracy"]
    with pytest.raises(KitError, match=r"top-k needs more than k classes.*Fix: pass top_k=None for 2 classes"):
        downstream.classification_metrics(y, scores, n_classes=2)  # the default k=2
    with pytest.raises(KitError, match="a k from 1 to 2"):
        downstream.classification_metrics(np.array([0, 1, 2]), np.eye(3), n_classes=3, top_k=3)


def test_cnn_svm_of_two_classes_gives_two_columns():
    """A binary SVC has one decision value; CnnSvm gives two columns whose argmax is its prediction."""
    image = keras.Input((SIZE, SIZE, 1))
    features = keras.layers.Dense(2, name="features", kernel_initializer="ones")(
        keras.layers.GlobalAveragePooling2D()(image))
    cnn = keras.Model(image, keras.layers.Dense(2, name="logits")(features))
    y = np.repeat([0, 1], 10)
    x = np.ones((20, SIZE, SIZE, 1), np.float32) * (y[:, None, None, None] - 0.5)
    x += np.random.default_rng(0).normal(0, 0.02, x.shape).astype(np.float32)
    hybrid = downstream.CnnSvm(cnn).fit(x, y)
    scores = hybrid.decision_function(x)
    assert scores.shape == (20, 2) and np.array_equal(scores.argmax(1), hybrid.predict(x))
    assert downstream.classification_metrics(y, scores, n_classes=2, top_k=None)["accuracy"] == 1.0


def test_the_cnn_trains_with_early_stopping_and_keeps_the_best_weights():
    x, y = imbalanced()
    y = np.arange(len(y)) % N
    model, history = downstream.train_cnn(x, y, x[:9], y[:9], n_classes=N, epochs=4, patience=1, width=0.25)
    assert np.asarray(model(x[:2])).shape == (2, N) and 1 <= len(history["val_loss"]) <= 4
    with pytest.raises(KitError, match="validation images"):
        downstream.train_cnn(x, y, x[:0], y[:0], n_classes=N)


def test_acgan_losses_are_the_hand_computed_source_and_class_terms():
    import math

    from bagan_lib.gan import losses

    real = np.array([[2.0, 1.0, 0.0, -1.0]], "float32")    # source logit 2, class logits (1, 0, -1)
    fake = np.array([[-1.0, 0.0, 2.0, 0.0]], "float32")

    def ce(logits, label):
        return -(logits[label] - math.log(np.exp(logits).sum()))

    def softplus(v):
        return math.log1p(math.exp(v))

    r, f, aux = losses.acgan_discriminator_loss(real, fake, np.array([0]), np.array([2]))
    assert float(r) == pytest.approx(softplus(-2.0), rel=1e-5) and float(f) == pytest.approx(softplus(-1.0), rel=1e-5)
    assert float(aux) == pytest.approx(ce(real[0, 1:], 0) + ce(fake[0, 1:], 2), rel=1e-5)
    g = losses.acgan_generator_loss(fake, np.array([1]))
    assert float(g) == pytest.approx(softplus(1.0) + ce(fake[0, 1:], 1), rel=1e-5)


@pytest.mark.parametrize("model, shares", [("acgan", [0.5] * 6), ("acgan_v1", [0.25] * 6), ("acgan_v2", [0.75] * 6),
                                           ("acgan_v3", [0.75, 0.75, 0.5, 0.75, 0.75, 0.5])])
def test_acgan_schedules_give_the_stated_real_and_generated_shares_per_critic_batch(model, shares):
    from bagan_lib.models.builders import build_model

    trainer = build_model(model, image_size=32, channels=1, n_classes=N, latent_dim=8, width=0.125, seed=0)
    for epoch, share in enumerate(shares):
        trainer.set_epoch(epoch)
        n_real, n_fake = trainer.critic_batch(64)
        assert (n_real, n_fake) == (round(share * 64), 64 - round(share * 64))


def test_acgan_trains_with_a_retraced_step_when_the_share_changes_and_its_critic_sees_no_label():
    import tensorflow as tf

    from bagan_lib.models.builders import build_model
    from bagan_lib.training.callbacks import RealShareSchedule

    trainer = build_model("acgan_v3", image_size=32, channels=1, n_classes=N, latent_dim=8, width=0.125, seed=0)
    trainer.compile()
    assert len(trainer.critic.inputs) == 1 and trainer.labelled_networks and not trainer.labelled_critic
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (32, 32, 32, 1)).astype("float32")
    y = (np.arange(32) % N).astype("int32")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(self.model.real_share)

    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True).repeat()
    history = trainer.fit(data, epochs=3, steps_per_epoch=1, verbose=0, shuffle=False,
                          callbacks=[RealShareSchedule(), Record()]).history
    assert seen == [0.75, 0.75, 0.5] and all(np.isfinite(history["aux"]))


def test_the_study_budget_sets_each_generators_epochs_and_an_explicit_value_wins():
    from bagan_lib.experiments import augmentation_study
    from bagan_lib.training.config import TrainConfig, resolve_settings
    from bagan_lib.profiles import get_profile

    def run_epochs(profile, epochs):
        config = TrainConfig(dataset="fashion_mnist", model="bagan_gp_v3", profile=profile.name,
                                      epochs=augmentation_study.generator_epochs(profile, epochs))
        return resolve_settings(config).epochs

    teach, paper = get_profile("teach"), get_profile("paper")
    assert run_epochs(teach, None) == 10 < teach.epochs_for("fashion_mnist")
    assert run_epochs(teach, 3) == 3
    # the paper budget hands the choice back to the profile: the BAGAN-GP paper's 15 for Fashion-MNIST
    assert run_epochs(paper, None) == 15


def _study_rows(values):
    """Hand-made CNN rows: {(training set, seed): (recall of class 1, recall of class 2, macro F1)}."""
    return [{"training set": name, "classifier": "CNN", "seed": seed, "accuracy": f1, "macro F1": f1,
             "balanced accuracy": f1, "recall 0": 1.0, "recall 1": r1, "recall 2": r2}
            for (name, seed), (r1, r2, f1) in values.items()]


def test_seed_table_and_verdicts_count_the_seeds_where_a_generator_beats_each_baseline():
    from bagan_lib.experiments import augmentation_study

    rows = _study_rows({("imbalanced", 1): (0.2, 0.4, 0.50), ("imbalanced", 2): (0.4, 0.4, 0.60),
                        ("image transforms", 1): (0.5, 0.5, 0.70), ("image transforms", 2): (0.5, 0.7, 0.70),
                        ("gan", 1): (0.6, 0.6, 0.65), ("gan", 2): (0.7, 0.7, 0.80),
                        ("balanced", 1): (0.9, 0.9, 0.90), ("balanced", 2): (0.9, 0.9, 0.90)})
    rows.append({**rows[0], "classifier": "CNN-SVM", "macro F1": 0.99})  # another classifier: left out
    table = augmentation_study.seed_table(rows, minority=[1, 2]).set_index("training set")
    # imbalanced minority recall: seeds 0.3 and 0.4 -> 0.35 +- 0.05 (population std)
    assert table.loc["imbalanced", "minority recall"] == "0.350 ± 0.050"
    assert table.loc["gan", "macro F1"] == "0.725 ± 0.075" and table.loc["gan", "seeds"] == 2
    verdicts = augmentation_study.verdicts(rows, minority=[1, 2]).set_index(["generator", "baseline"])
    assert list(verdicts.index) == [("gan", "imbalanced"), ("gan", "image transforms")]  # balanced is no generator
    assert verdicts.loc[("gan", "imbalanced"), "seeds where both are higher"] == "2 of 2"
    # seed 1: recall 0.6 > 0.5 but F1 0.65 < 0.70; seed 2: both higher
    assert verdicts.loc[("gan", "image transforms"), "seeds where both are higher"] == "1 of 2"
    assert verdicts.loc[("gan", "image transforms"), "minority recall"] == "0.650 vs 0.550"
    assert bool(verdicts.loc[("gan", "image transforms"), "higher on both means"])  # 0.725 > 0.70 too
    with pytest.raises(KitError, match="no minority classes"):
        augmentation_study.seed_table(rows, minority=[])


def test_combining_run_folders_gives_the_tables_over_seeds_and_refuses_mixed_runs(tmp_path):
    import pandas as pd

    from bagan_lib.experiments import augmentation_study
    from bagan_lib import cli

    values = {("imbalanced", 1): (0.2, 0.4, 0.50), ("image transforms", 1): (0.5, 0.5, 0.70),
              ("gan", 1): (0.6, 0.6, 0.75)}
    folders = []
    for seed in (1, 2):
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        rows = _study_rows({(name, seed): v for (name, _), v in values.items()})
        rows += [{**r, "classifier": "CNN-SVM"} for r in rows]
        pd.DataFrame(rows).to_csv(folder / "results_all_metrics.csv", index=False)
        # class 0 is the majority; classes 1 and 2 the minority (whose recalls the verdicts read)
        pd.DataFrame({"class": [0, 1, 2], "name": list("abc"), "images": [80, 70, 10]}).to_csv(
            folder / "class_counts.csv", index=False)
        pd.DataFrame({"training set": ["gan, generated only"], "accuracy": [0.4 + seed / 10],
                      "macro F1": [0.3]}).to_csv(folder / "generated_only.csv", index=False)
        folders.append(folder)
    out = tmp_path / "combined"
    assert cli.main(["augmentation", "combine", "--runs", *map(str, folders), "--out", str(out)]) == 0
    verdicts = pd.read_csv(out / "verdicts.csv").set_index("baseline")
    assert verdicts.loc["imbalanced", "seeds where both are higher"] == "2 of 2"
    assert verdicts.loc["image transforms", "minority recall"] == "0.600 vs 0.500"
    assert pd.read_csv(out / "generated_only_seeds.csv")["accuracy"].tolist() == ["0.550 ± 0.050"]
    assert (out / "seed_table_cnn_svm.md").exists()

    with pytest.raises(KitError, match="more than one"):
        augmentation_study.summarize_runs([folders[0], folders[0]], out, say=lambda *a, **k: None)
    pd.DataFrame({"class": [0, 1, 2], "name": list("abc"), "images": [80, 80, 10]}).to_csv(
        folders[1] / "class_counts.csv", index=False)
    with pytest.raises(KitError, match="other minority classes"):
        augmentation_study.summarize_runs(folders, out)
    with pytest.raises(KitError, match="no results_all_metrics.csv"):
        augmentation_study.summarize_runs([tmp_path], out)


def test_cgan_is_fully_connected_conditions_by_concatenation_and_trains_on_the_shared_trainer():
    from bagan_lib.models.builders import build_model

    trainer = build_model("cgan", image_size=32, channels=1, n_classes=N, latent_dim=8, width=0.125, seed=0)
    assert trainer.critic_parts is None and trainer.critic_steps == 1 and trainer.gp_lambda == 0
    kinds = {type(layer).__name__ for net in (trainer.generator, trainer.critic) for layer in net.layers}
    assert "Dense" in kinds and not {"Conv2D", "Conv2DTranspose"} & kinds  # CGAN's networks have no convolution
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    same_noise = np.repeat(z[:1], 2, axis=0)
    images = np.asarray(trainer.generator([same_noise, np.array([0, 1], "int32")], training=False))
    assert images.shape == (2, 32, 32, 1) and np.abs(images).max() <= 1.0
    assert not np.allclose(images[0], images[1])  # the label alone changes the image
    x = np.random.default_rng(1).uniform(-1, 1, (64, 32, 32, 1)).astype("float32")
    y = np.arange(64, dtype="int32") % N
    trainer.compile()
    before = [w.copy() for w in trainer.generator.get_weights()]
    history = trainer.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False).history
    assert set(history) >= {"d_loss", "g_loss"} and "gp" not in history and "wrong" not in history
    assert all(np.isfinite(v).all() for v in history.values())
    assert any(not np.array_equal(a, b) for a, b in zip(before, trainer.generator.get_weights()))
