"""Fusing the exported conditional instance norms into ``InstanceNormalization`` operators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._graph import SHAPE_OPS, set_nodes

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto


def fuse_instance_norm(model: ModelProto) -> ModelProto:
    """Replace each conditional instance norm, exported as ~20 elementwise ops, by one ``InstanceNormalization``.

    TFLite exported Dumoulin et al.'s conditional instance normalization
    (arXiv:1610.07629; Ghiasi et al. 2017, section 3) as
    ``x * s + (beta - mean(x) * s)`` with ``s = gamma * rsqrt(var(x) + eps)``:
    GlobalAveragePool, Sub, Mul, Sqrt, Reciprocal and a Clip after nearly
    every op, about 9 passes over the activation. This matches that pattern
    strictly (the mean and variance of the same ``x``, the same ``s`` on both
    sides) and computes it as ``InstanceNormalization(x, gamma, beta, eps)``
    (one pass to reduce, one to write), keeping the Clip after the sum. The
    dropped clips are the int8 ranges of intermediate values; on the test
    photos they change nothing (mean difference 0.0000, hubble_deep_field
    0.005). On degenerate input (one flat colour) the normalization divides
    by a variance near zero and every variant (int8, folded, fused) gives a
    different flat colour (benchmarks/RESULTS.md).

    Args:
        model: an ``onnx.ModelProto`` after :func:`fold_quantization`.

    Returns:
        The same ``ModelProto``, unused nodes and initializers removed.
    """
    from onnx import helper, numpy_helper  # lazy import of an optional heavy library

    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    passthrough = frozenset({"Clip"}) | SHAPE_OPS

    def source(name: str) -> tuple[Any, str]:
        """The first producer of ``name`` that is not a Clip or shape op, and the tensor it makes."""
        node = producers.get(name)
        while node is not None and node.op_type in passthrough:
            name = node.input[0]
            node = producers.get(name)
        return node, name

    def is_op(node: Any, op_type: str) -> bool:
        return node is not None and node.op_type == op_type

    shape = "__fuse_instance_norm_shape"
    replacements: dict[int, list[NodeProto]] = {}
    for add in graph.node:
        if add.op_type != "Add" or len(add.input) != 2:
            continue
        (left, _), (right, _) = source(add.input[0]), source(add.input[1])
        scaled, shifted = (left, right) if is_op(left, "Mul") else (right, left)
        if not (is_op(scaled, "Mul") and is_op(shifted, "Sub")):
            continue
        for x, scale in (tuple(scaled.input), tuple(reversed(scaled.input))):
            mean, _ = source(shifted.input[1])  # beta - mean(x) * s
            if not is_op(mean, "Mul") or scale not in mean.input:
                continue
            pooled, _ = source(next(name for name in mean.input if name != scale))
            if not (is_op(pooled, "GlobalAveragePool") and pooled.input[0] == x):
                continue
            gamma_times, _ = source(scale)  # s = rsqrt(var + eps) * gamma
            if not is_op(gamma_times, "Mul"):
                continue
            parts = {name: source(name)[0] for name in gamma_times.input}
            reciprocal: Any = next((n for n in parts.values() if is_op(n, "Reciprocal")), None)
            gamma = next((name for name, n in parts.items() if not is_op(n, "Reciprocal")), None)
            root: Any = source(reciprocal.input[0])[0] if reciprocal is not None else None
            plus_eps: Any = source(root.input[0])[0] if is_op(root, "Sqrt") else None
            if not is_op(plus_eps, "Add") or gamma is None:
                continue
            eps = [constants[name] for name in plus_eps.input if name in constants and constants[name].size == 1]
            variance: Any = next((source(name)[0] for name in plus_eps.input if name not in constants), None)
            squared: Any = source(variance.input[0])[0] if is_op(variance, "GlobalAveragePool") else None
            centred: Any = source(squared.input[0])[0] if is_op(squared, "Mul") else None
            if not (eps and is_op(centred, "Sub") and centred.input[0] == x and len(set(squared.input)) == 1):
                continue
            gamma_1d, beta_1d = f"{add.output[0]}__gamma", f"{add.output[0]}__beta"
            replacements[id(add)] = [
                helper.make_node("Reshape", [gamma, shape], [gamma_1d]),
                helper.make_node("Reshape", [shifted.input[0], shape], [beta_1d]),
                helper.make_node(
                    "InstanceNormalization", [x, gamma_1d, beta_1d], [add.output[0]], epsilon=float(eps[0].ravel()[0])
                ),
            ]
            break
    if not replacements:
        return model
    nodes = [new for node in graph.node for new in replacements.get(id(node), [node])]
    needed = {value.name for value in graph.output}
    kept: list[NodeProto] = []
    for node in reversed(nodes):  # drop what no longer feeds an output
        if any(output in needed for output in node.output):
            kept.append(node)
            needed.update(node.input)
    kept.reverse()
    set_nodes(graph, kept, [numpy_helper.from_array(np.array([-1], np.int64), shape)])
    return model
