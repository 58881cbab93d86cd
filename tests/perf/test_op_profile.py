"""``bench --ops``: kernel names mapped to graph op types, kernel times summed per type, a real profile."""

from __future__ import annotations


import keras
import pytest
import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2

from bagan_lib.cli import main
from bagan_lib.perf.flops import function_flops
from bagan_lib.perf.op_profile import graph_op_type, kernel_times, op_table, profile_function


@pytest.mark.parametrize("kernel, op", [
    ("_MklNativeFusedConv2D", "Conv2D"), ("_MklNativeConv2DBackpropFilterWithBias", "Conv2DBackpropFilter"),
    ("_MklMatMul", "MatMul"), ("_FusedMatMul", "MatMul"), ("LeakyReluGrad", "LeakyReluGrad"),
    ("Conv2DBackpropInput", "Conv2DBackpropInput")])
def test_kernel_names_map_to_the_graph_op_types_flops_counts(kernel, op):
    assert graph_op_type(kernel) == op


def test_kernel_times_sum_executor_kernels_per_type_and_skip_bookkeeping():
    space = xplane_pb2.XSpace()
    plane = space.planes.add()
    for i, name in enumerate(["a/conv:_MklNativeFusedConv2D", "b/conv:Conv2D", "ExecutorState::Process"]):
        plane.event_metadata[i + 1].name = name
    compute, other = plane.lines.add(), plane.lines.add()
    compute.name, other.name = "tf_Compute/1", "python"
    for metadata_id, picoseconds in ((1, 2e9), (2, 3e9), (3, 50e9)):
        event = compute.events.add()
        event.metadata_id, event.duration_ps = metadata_id, int(picoseconds)
    stray = other.events.add()
    stray.metadata_id, stray.duration_ps = 1, int(9e9)   # not an executor thread: not counted
    assert kernel_times(space) == {"Conv2D": (2, pytest.approx(5e-3))}


def test_op_table_gives_throughput_and_shares():
    table = op_table({"Conv2D": (2, 0.5), "Mul": (10, 0.5)}, {"Conv2D": 100e9})
    conv = table.set_index("op").loc["Conv2D"]
    assert (conv["calls"], conv["ms"], conv["% of kernel time"], conv["GFLOP/s"]) == (2, 500.0, 50.0, 200.0)


def test_a_real_profile_finds_the_convolutions_it_counts():
    keras.utils.set_random_seed(0)
    conv = keras.layers.Conv2D(16, 3, padding="same")
    x = tf.random.normal((8, 32, 32, 8))
    function = tf.function(lambda images: tf.reduce_sum(conv(images)))
    function(x)
    times, wall = profile_function(function, x)
    assert wall > 0 and times["Conv2D"][0] >= 1 and times["Conv2D"][1] > 0
    table = op_table(times, function_flops(function, x).by_op).set_index("op")
    assert table.loc["Conv2D", "GFLOP"] == pytest.approx(2 * 8 * 32 * 32 * 16 * 9 * 8 / 1e9, abs=0.01)


def test_the_command_profiles_both_designs(tmp_path, capsys):
    assert main(["bench", "--ops", "--image-size", "32", "--batch-size", "4", "--width", "0.125",
                 "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "kit step, 32x32x1, batch 4" in printed and "reference step, 32x32x1, batch 4" in printed
    for design in ("kit", "reference"):
        assert "Conv2DBackpropFilter" in (tmp_path / f"ops_{design}_32.md").read_text()
