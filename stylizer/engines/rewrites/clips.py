"""Dropping ``Clip`` and ``Relu`` work that cannot change a value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._graph import SHAPE_OPS, consumer_counts, set_nodes

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto


def drop_redundant_clips(model: ModelProto) -> ModelProto:
    """Remove ``Clip`` and ``Relu`` work that cannot change a value, in place; the output is bit-identical.

    Walks the graph in order, tracking each tensor's known range: a
    ``Clip`` bounds it, ``Relu`` makes it non-negative, and reflect/edge
    ``Pad``, nearest/linear ``Resize`` and shape operators keep it. Then:

    - a ``Clip`` whose input already lies within its bounds is dropped
      (after :func:`fold_quantization`, the clip of a padded tensor repeats
      the clip before the pad);
    - ``Clip(lo <= 0, hi)`` of a ``Relu`` used only there becomes one
      ``Clip(0, hi)``.

    On the transfer network: 15 clips and 10 ReLUs fewer; onnxruntime's
    profile shows Clip time at 1024 px halved (65 -> 33 ms), the whole run
    within this machine's noise (benchmarks/RESULTS.md).

    Args:
        model: an ``onnx.ModelProto`` in topological order (as ONNX requires).

    Returns:
        The same ``ModelProto``, with unused initializers removed.
    """
    from onnx import helper, numpy_helper  # lazy import of an optional heavy library

    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    outputs = {value.name for value in graph.output}
    consumers = consumer_counts(graph)
    producers = {output: node for node in graph.node for output in node.output}

    def attribute(node: NodeProto, name: str, default: bytes) -> Any:
        return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)

    ranges: dict[str, tuple[float, float]] = {}
    renamed: dict[str, str] = {}
    nodes: list[NodeProto] = []
    zero = "__drop_redundant_clips_zero"
    for node in graph.node:
        for index, name in enumerate(node.input):
            node.input[index] = renamed.get(name, name)
        known = ranges.get(node.input[0]) if node.input else None
        if node.op_type == "Clip" and len(node.input) == 3 and all(n in constants for n in node.input[1:]):
            low, high = float(constants[node.input[1]]), float(constants[node.input[2]])
            if known and low <= known[0] and known[1] <= high and node.output[0] not in outputs:
                renamed[node.output[0]] = node.input[0]
                continue
            relu = producers.get(node.input[0])
            if relu is not None and relu.op_type == "Relu" and consumers.get(node.input[0]) == 1 and low <= 0:
                nodes.remove(relu)
                node.input[0], node.input[1], low = relu.input[0], zero, 0.0
                known = ranges.get(relu.input[0])
            ranges[node.output[0]] = (max(low, known[0]), min(high, known[1])) if known else (low, high)
        elif node.op_type == "Relu":
            ranges[node.output[0]] = (max(0.0, known[0]), max(0.0, known[1])) if known else (0.0, float("inf"))
        elif known and (
            node.op_type in SHAPE_OPS
            or (node.op_type == "Pad" and attribute(node, "mode", b"constant") in (b"reflect", b"edge"))
            or (node.op_type == "Resize" and attribute(node, "mode", b"nearest") in (b"nearest", b"linear"))
        ):
            ranges[node.output[0]] = known
        nodes.append(node)
    set_nodes(graph, nodes, [numpy_helper.from_array(np.array(0.0, np.float32), zero)])
    return model
