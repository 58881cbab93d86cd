"""Floating-point operations of a traced TensorFlow function, counted on the ops that actually run.

``bench`` reports GFLOP per step and achieved GFLOP/s from these counts, so
speed is measured against the work done, not guessed.

How an op is counted
--------------------
Each op gets TensorFlow's own registered ``"flops"`` statistic (the rules the
``tf.compat.v1.profiler`` uses): ``2 * N * Ho * Wo * Co * kh * kw * Ci`` for
``Conv2D``, the same product for its two gradients ``Conv2DBackpropInput``
(also the op behind ``Conv2DTranspose``) and ``Conv2DBackpropFilter``,
``2 * M * K * N`` for ``MatMul``, one per output element for most elementwise
ops and reductions. Ops with no registered rule (``LeakyRelu``, ``Softplus``,
``Sqrt``, random draws, copies) count 0: they are a fraction of a percent of
a GAN step, which is convolutions and matrix products.

Which ops are counted
---------------------
Only those that run. When TensorFlow builds a gradient it also builds gradients
nobody asked for (the penalty's ``tape.gradient(score, x_hat)`` creates the
critic's weight gradients too); the function runtime prunes them before
running, but the profiler, which reads the whole graph, would count them (about
7 % of a BAGAN-GP step). So the count walks back from the function's outputs
and its side effects (variable updates) and counts only what they depend on,
descending into nested functions (an XLA-compiled critic update is one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tensorflow.python.framework import ops as tf_ops

from bagan_lib.errors import KitError

# Ops whose count must never be silently zero: an unknown shape here would undercount the step.
HEAVY_OPS = ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MatMul", "BatchMatMulV2")
CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


@dataclass
class FlopCount:
    """Total floating-point operations and their split by op type."""

    total: float = 0.0
    by_op: dict = field(default_factory=dict)

    def add(self, op_type: str, flops: float) -> None:
        if flops:
            self.total += flops
            self.by_op[op_type] = self.by_op.get(op_type, 0.0) + flops

    def merge(self, other: "FlopCount") -> None:
        for op_type, flops in other.by_op.items():
            self.add(op_type, flops)


def op_flops(op) -> float:
    """TensorFlow's registered flop count of one graph op (0 when it has no rule)."""
    try:
        stats = tf_ops.get_stats_for_node_def(op.graph, op.node_def, "flops")
    except ValueError as exc:  # a rule exists but a shape is unknown
        if op.type in HEAVY_OPS:
            raise KitError(f"Cannot count the flops of {op.type} {op.name!r}: {exc}",
                           "trace the function with fully known input shapes (a fixed batch size).") from exc
        return 0.0
    return float(stats.value or 0)


def live_ops(graph, roots) -> list:
    """The ops ``roots`` depend on through data and control edges (the ops the runtime keeps)."""
    seen, stack, order = set(), list(roots), []
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        order.append(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return order


def graph_flops(graph, outputs=None) -> FlopCount:
    """Flops of the live ops of a ``FuncGraph`` (its outputs and side effects), nested calls included."""
    roots = [t.op for t in (graph.outputs if outputs is None else outputs)] + list(graph.control_outputs)
    count = FlopCount()
    for op in live_ops(graph, roots):
        if op.type in CALL_OPS:
            count.merge(graph_flops(graph._get_function(op.get_attr("f").name).graph))
        else:
            count.add(op.type, op_flops(op))
    return count


def function_flops(function, *args) -> FlopCount:
    """Flops of one call of ``function`` (a ``tf.function``) with arguments like ``args``."""
    return graph_flops(function.get_concrete_function(*args).graph)
