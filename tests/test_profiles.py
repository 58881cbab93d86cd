"""Size profiles: one definition, environment fallback, explicit overrides win."""

from __future__ import annotations

import pytest

from bagan_lib.errors import KitError
from bagan_lib.profiles import ENV_VAR, PROFILES, get_profile, resolve_profile_name


def test_three_profiles_grow_in_size():
    smoke, teach, paper = (PROFILES[n] for n in ("smoke", "teach", "paper"))
    for field in ("width", "latent_dim", "batch_size", "eval_per_class", "toy_steps"):
        assert getattr(smoke, field) < getattr(teach, field) <= getattr(paper, field), field


def test_paper_profile_is_the_bagan_gp_papers_setting():
    paper = PROFILES["paper"]
    assert (paper.image_size, paper.batch_size, paper.latent_dim, paper.critic_steps, paper.width) == (64, 128, 128, 5, 1.0)
    assert paper.epochs_for("fashion_mnist") == 15 and paper.epochs_for("synthetic_cells") == 100
    assert paper.eval_per_class == 1000


def test_per_dataset_values_apply_to_their_dataset_and_explicit_values_win():
    paper = get_profile("paper", dataset="synthetic_cells")
    assert paper.epochs == 100 and paper.image_size == 64
    assert get_profile("paper", dataset="fashion_mnist").epochs == 15
    assert get_profile("paper", dataset="folder:/x").epochs == PROFILES["paper"].epochs  # no entry: the general value
    assert get_profile("paper").epochs == PROFILES["paper"].epochs                       # no dataset named
    assert get_profile("paper", dataset="synthetic_cells", epochs=3).epochs == 3         # explicit beats per-dataset
    assert get_profile("paper", dataset="cifar10").as_dict()["per_dataset"]["cifar10"] == {"epochs": 30}


def test_resolution_order(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_profile_name() == "teach"
    monkeypatch.setenv(ENV_VAR, "smoke")
    assert resolve_profile_name() == "smoke"
    assert resolve_profile_name("paper") == "paper"  # an explicit name always wins


def test_overrides(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    p = get_profile("smoke", image_size=64, latent_dim=None, epochs=3)
    assert (p.image_size, p.latent_dim, p.epochs) == (64, PROFILES["smoke"].latent_dim, 3)
    assert PROFILES["smoke"].image_size == 32  # the shared definition is untouched


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_size=48), "image_size=48"), (dict(epochs=0), "epochs=0"), (dict(latent_dim=2.5), "latent_dim"),
    (dict(width=0), "width"), (dict(colour="red"), "Unknown profile setting"),
])
def test_bad_overrides(kwargs, message):
    with pytest.raises(KitError, match=message):
        get_profile("smoke", **kwargs)


def test_unknown_profile_names_its_source(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "huge")
    with pytest.raises(KitError, match=f"environment variable {ENV_VAR}"):
        get_profile()
    with pytest.raises(KitError, match="profile argument"):
        get_profile("tiny")


def test_as_dict_is_plain():
    import json

    json.dumps(PROFILES["paper"].as_dict())


def test_capgans_cvae_pretrains_16_epochs_on_the_cells_at_teach_and_ae_epochs_sets_both():
    cells = get_profile("teach", dataset="synthetic_cells")
    assert cells.pretrain_epochs("cvae") == 16 and cells.pretrain_epochs("supervised") == 4
    for dataset in ("fashion_mnist", "synthetic_cells_fine", None):  # elsewhere: the autoencoders' length
        assert get_profile("teach", dataset=dataset).pretrain_epochs("cvae") == 4
    assert get_profile("paper", dataset="synthetic_cells").pretrain_epochs("cvae") == 15
    explicit = get_profile("teach", dataset="synthetic_cells", ae_epochs=7)  # --ae-epochs: every pre-training
    assert explicit.pretrain_epochs("cvae") == explicit.pretrain_epochs("unsupervised") == 7
    assert get_profile("teach", dataset="synthetic_cells", ae_epochs=7, cvae_epochs=9).pretrain_epochs("cvae") == 9
    with pytest.raises(KitError, match="cvae_epochs=0"):
        get_profile("teach", cvae_epochs=0)
