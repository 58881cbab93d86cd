"""``bench``: FLOP counts against the analytic formulas, timing, the table and the command line."""

from __future__ import annotations

import json

import keras
import pandas as pd
import pytest
import tensorflow as tf

from bagan_lib.perf.bench import COLUMNS
from bagan_lib.perf.sizes import bench_size
from bagan_lib.perf.step_timing import build_bench_trainer, time_calls
from bagan_lib.cli import main
from bagan_lib.errors import KitError
from bagan_lib.perf.flops import function_flops

N, H, W, CI, CO, K, STRIDE = 2, 8, 8, 3, 5, 3, 2
HO, WO = H // STRIDE, W // STRIDE
CONV_FLOPS = 2 * N * HO * WO * CO * K * K * CI   # multiply and add per kernel tap per output element
IMAGES = tf.TensorSpec((N, H, W, CI), tf.float32)


def one_layer_conv():
    keras.utils.set_random_seed(0)
    layer = keras.layers.Conv2D(CO, K, strides=STRIDE, padding="same")
    layer.build((N, H, W, CI))
    return layer


def test_forward_conv_flops_equal_the_analytic_count():
    conv = one_layer_conv()
    count = function_flops(tf.function(lambda x: conv(x)), IMAGES)
    assert count.by_op["Conv2D"] == CONV_FLOPS
    assert count.by_op["BiasAdd"] == N * HO * WO * CO          # one add per output element
    assert count.total == CONV_FLOPS + N * HO * WO * CO


def test_both_conv_gradients_are_counted_and_cost_one_forward_each():
    conv = one_layer_conv()

    def gradients(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(conv(x))
        return tape.gradient(loss, [x, conv.kernel])

    count = function_flops(tf.function(gradients), IMAGES)
    assert count.by_op["Conv2DBackpropInput"] == CONV_FLOPS
    assert count.by_op["Conv2DBackpropFilter"] == CONV_FLOPS


def test_only_ops_that_run_are_counted_nested_xla_calls_included():
    a_spec, b_spec = tf.TensorSpec((4, 8)), tf.TensorSpec((8, 4))
    compiled = tf.function(lambda a, b: tf.matmul(a, b), jit_compile=True)

    def used_and_unused(a, b):
        tf.matmul(b, a)                   # 8x8 output, never used: the runtime prunes it
        return tf.matmul(a, b) + compiled(a, b)

    count = function_flops(tf.function(used_and_unused), a_spec, b_spec)
    assert count.by_op["MatMul"] == 2 * (2 * 4 * 8 * 4)   # two 4x8 @ 8x4 products, one inside XLA

    total = tf.Variable(tf.zeros((4, 4)))

    def side_effect_only(a, b):
        total.assign_add(tf.matmul(a, b))  # no output, but a variable update runs

    assert function_flops(tf.function(side_effect_only), a_spec, b_spec).by_op["MatMul"] == 2 * 4 * 8 * 4


def test_an_unknown_batch_size_is_an_error_not_a_silent_zero():
    conv = one_layer_conv()
    with pytest.raises(KitError, match="fixed batch size"):
        function_flops(tf.function(lambda x: conv(x)), tf.TensorSpec((None, H, W, CI), tf.float32))


def test_time_calls_warms_up_then_times_each_repeat():
    calls = []
    timing = time_calls(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5
    assert 0 <= timing.low <= timing.median <= timing.high
    with pytest.raises(KitError, match="repeats"):
        time_calls(lambda: None, repeats=0)


@pytest.mark.parametrize("model", ["bagan", "cdragan", "bagan_gp_v3"])  # class latents, no autoencoder, one
def test_bench_trainers_build_with_the_models_critic_steps(model):
    size = bench_size(model, "teach", width=0.125, batch_size=4)
    trainer = build_bench_trainer(model, size)
    assert trainer.critic_steps == (1 if model == "bagan" else 2) == size.critic_steps  # teach: 2, BAGAN: 1
    assert (size.image_size, size.batch_size, size.latent_dim) == (32, 4, 64)


def test_the_command_prints_the_table_and_writes_consistent_files(tmp_path, capsys):
    out = tmp_path / "bench"
    code = main(["bench", "--models", "cdragan", "--profiles", "teach", "--width", "0.125", "--batch-size", "8",
                 "--repeats", "1", "--xla", "off", "--json", str(tmp_path / "bench.json"), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    header = printed.splitlines()[0]
    assert all(column in header for column in COLUMNS)
    rows = json.loads((tmp_path / "bench.json").read_text())["rows"]
    assert [(row["model"], row["profile"], row["XLA"]) for row in rows] == [("cdragan", "teach", "off")]
    assert list(pd.read_csv(out / "bench.csv").columns) == list(COLUMNS)
    assert (out / "bench.md").read_text().splitlines()[0] == header
    for row in rows:
        assert row["critic steps"] == 2 and row["batch"] == 8
        assert min(row["critic ms"], row["generator ms"], row["step ms"], row["images/s"]) > 0
        assert min(row["critic GFLOP"], row["generator GFLOP"]) > 0
        # the step is its critic steps and one generator step: the same work, counted separately
        assert row["step GFLOP"] == pytest.approx(2 * row["critic GFLOP"] + row["generator GFLOP"], rel=1e-3)
        # throughput is work over time, up to the rounding of the three printed numbers
        assert _quotient_of_rounded(row["images/s"], 8, 0, row["step ms"] / 1000, 0.05 / 1000, 0.05)
        assert _quotient_of_rounded(row["GFLOP/s"], row["step GFLOP"], 0.0005, row["step ms"] / 1000, 0.05 / 1000,
                                    0.05)


def _quotient_of_rounded(shown, numerator, numerator_half_step, denominator, denominator_half_step, half_step):
    """Whether ``shown`` (rounded to +-half_step) can be numerator/denominator, each rounded to its half step.

    Interval arithmetic on the rounding: a table rounded to 0.1 ms and 0.001 GFLOP can move a
    small model's GFLOP/s by more than 1 %, so a fixed relative tolerance is not the right check.
    """
    low = (numerator - numerator_half_step) / (denominator + denominator_half_step) - half_step
    high = (numerator + numerator_half_step) / (denominator - denominator_half_step) + half_step
    return low <= shown <= high


def test_the_rounding_aware_quotient_check_refuses_a_wrong_throughput():
    # a row like the one that failed CI: 0.159 GFLOP in 28.6 ms gives 5.56, and 5.5 is within rounding
    assert _quotient_of_rounded(5.5, 0.159, 0.0005, 0.0286, 0.00005, 0.05)
    assert not _quotient_of_rounded(5.3, 0.159, 0.0005, 0.0286, 0.00005, 0.05)
    assert not _quotient_of_rounded(5.8, 0.159, 0.0005, 0.0286, 0.00005, 0.05)


@pytest.mark.parametrize("options", [
    ["--repeats", "0"],
    ["--xla", "maybe"],
    ["--models", "gan"],
    ["--profiles", "huge"],
    ["--image-size", "48"],
    ["--width", "-1"],
    ["--versus-reference", "--pairs", "0"],
    ["--versus-reference", "--batch-size", "8"],
    ["--precision", "float16"],
    ["--versus-reference", "--precision", "mixed_bfloat16"],
], ids=lambda options: " ".join(options))
def test_bad_options_exit_2_with_one_error_line(options, capsys):
    assert main(["bench", *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1


def test_bench_times_each_precision_and_prints_its_ratio_to_float32(tmp_path, capsys):
    code = main(["bench", "--models", "cdragan", "--profiles", "teach", "--width", "0.125", "--batch-size", "8",
                 "--repeats", "1", "--xla", "off", "--precision", "float32", "mixed_bfloat16",
                 "--json", str(tmp_path / "bench.json")])
    printed = capsys.readouterr().out
    assert code == 0
    keras.mixed_precision.set_global_policy("float32")  # (bench restores it; other tests rely on it)
    rows = json.loads((tmp_path / "bench.json").read_text())["rows"]
    assert [row["precision"] for row in rows] == ["float32", "mixed_bfloat16"]
    assert rows[0]["step GFLOP"] == pytest.approx(rows[1]["step GFLOP"], rel=1e-3)  # the same work, other dtypes
    ratio = rows[1]["step ms"] / rows[0]["step ms"]
    line = next(line for line in printed.splitlines() if line.startswith("mixed_bfloat16 / float32 step time:"))
    assert float(line.split(":")[1].split()[0]) == pytest.approx(ratio, abs=0.01)
    assert "cdragan, teach" in line
