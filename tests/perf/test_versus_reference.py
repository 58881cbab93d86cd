"""``bench --versus-reference``: the pairing arithmetic, the sizes, and two real worker processes."""

from __future__ import annotations

import pytest

from bagan_lib.errors import KitError
from bagan_lib.perf.sizes import paper_size, versus_sizes
from bagan_lib.perf.versus_reference import (
    KIT, REFERENCE, REFERENCE_ONEDNN, compare, measure_sgemm, pair_ratios, versus_rows, with_settings)


def test_pair_ratios_are_baseline_over_kit_pair_by_pair():
    assert pair_ratios([3.0, 4.0, 9.0], [1.0, 2.0, 3.0]) == [3.0, 2.0, 3.0]
    with pytest.raises(KitError, match="same number"):
        pair_ratios([1.0, 2.0], [1.0])


def test_versus_rows_give_medians_throughput_and_speed_ups():
    result = {"reference": {"gflop": 100.0, "seconds": [4.0, 5.0, 100.0], "cpu_seconds": [8.0, 9.0, 10.0]},
              "reference+oneDNN": {"gflop": 100.0, "seconds": [2.0, 2.5, 50.0], "cpu_seconds": [4.0, 4.0, 4.0]},
              "kit": {"gflop": 100.0, "seconds": [1.0, 1.0, 50.0], "cpu_seconds": [2.0, 2.0, 3.0]}}
    rows = {row["contender"]: row for row in versus_rows(paper_size(32, 64), result, sgemm_gflops=200.0)}
    kit = rows["kit"]
    assert (kit["s/step"], kit["CPU s/step"], kit["GFLOP/s"], kit["% of sgemm"]) == (1.0, 2.0, 100.0, 50.0)
    assert kit["reference GFLOP/s"] == 100.0       # the reference's work over the kit's time
    assert kit["x reference"] == 4.0              # median of 4, 5, 2 (a loaded third pair does not dominate)
    assert kit["pairs x reference"] == "4.00 5.00 2.00"
    assert kit["x reference+oneDNN"] == 2.0       # median of 2, 2.5, 1
    assert rows["reference"]["x reference"] == 1.0 and rows["reference+oneDNN"]["x reference"] == 2.0


def test_versus_sizes_are_the_papers_pairs_unless_one_is_asked_for():
    assert [(s.image_size, s.batch_size, s.width, s.latent_dim, s.critic_steps) for s in versus_sizes()] == [
        (32, 64, 1.0, 128, 5), (64, 128, 1.0, 128, 5)]
    assert [(s.image_size, s.batch_size) for s in versus_sizes(image_size=64)] == [(64, 128)]
    assert versus_sizes(image_size=32, batch_size=8, width=0.25)[0].width == 0.25
    teach = versus_sizes(profiles=["teach"])[0]   # the kit's teach profile: BAGAN-GP v3 as notebook 06 trains it
    assert (teach.image_size, teach.batch_size, teach.width, teach.latent_dim, teach.critic_steps) == (32, 64, 0.5, 64, 2)
    assert versus_sizes(profiles=["teach"], batch_size=8)[0].batch_size == 8
    for bad in (dict(batch_size=8), dict(image_size=48), dict(image_size=32, width=0.0)):
        with pytest.raises(KitError):
            versus_sizes(**bad)


def test_contenders_run_with_their_own_onednn_setting():
    assert REFERENCE.environment()["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert REFERENCE_ONEDNN.environment()["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert KIT.environment()["TF_ENABLE_ONEDNN_OPTS"] == "1" and KIT.design == "kit"
    assert with_settings(KIT, xla=True).name == "kit[xla=True]" and with_settings(KIT, xla=True).xla


def test_two_workers_time_their_steps_in_alternation():
    size = paper_size(32, 4, width=0.125, latent_dim=8, critic_steps=1)
    result = compare(size, [REFERENCE, KIT], pairs=2)
    assert [result[name]["onednn"] for name in ("reference", "kit")] == ["0", "1"]
    # the kit's factored critic runs the real images' conv stack once for two terms (tests/gan/test_critic_parts.py)
    assert 0.5 * result["reference"]["gflop"] < result["kit"]["gflop"] < 0.95 * result["reference"]["gflop"]
    for name in ("reference", "kit"):
        assert len(result[name]["seconds"]) == len(result[name]["cpu_seconds"]) == 2
        assert min(result[name]["seconds"]) > 0 and result[name]["gflop"] > 0


def test_sgemm_throughput_is_measured():
    assert measure_sgemm(n=256, repeats=2) > 0.1
