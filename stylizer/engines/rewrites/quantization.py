"""Folding the transfer graph's int8 quantization (QDQ pairs) into float32."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._graph import SHAPE_OPS, consumer_counts, set_nodes

if TYPE_CHECKING:
    from onnx import GraphProto, ModelProto, NodeProto, TensorProto


def fold_quantization(model: ModelProto) -> ModelProto:
    """Replace the int8 quantize/dequantize pairs of a QDQ graph by float32, in place.

    - ``DequantizeLinear`` of an int8/int32 initializer (weights, biases)
      becomes the dequantized float32 initializer ``(q - zero_point) * scale``
      (per-channel along ``axis``).
    - An activation ``QuantizeLinear`` -> ``DequantizeLinear`` pair becomes a
      ``Clip`` to the pair's representable range, ``(qmin - zero_point) *
      scale`` .. ``(qmax - zero_point) * scale``: TFLite folded ReLU-like
      ranges into those pairs, so dropping them would change the output
      (MODEL.md). The rounding to the int8 grid is not kept.

    Measured here at 1024 px: 0.58 s against 0.81 s for the int8 graph, mean
    absolute difference 0.036-0.049 on [0, 1] images over the test photos.

    Args:
        model: an ``onnx.ModelProto`` of the style transfer network.

    Returns:
        The same ``ModelProto``, with unused initializers removed.
    """
    from onnx import helper, numpy_helper  # lazy import of an optional heavy library

    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    _fold_quantized_shape_ops(graph, constants)
    producers = {output: node for node in graph.node for output in node.output}
    nodes: list[NodeProto] = []
    added: list[TensorProto] = []
    for node in graph.node:
        if node.op_type != "DequantizeLinear":
            nodes.append(node)
            continue
        source, scale_name = node.input[0], node.input[1]
        zero_name = node.input[2] if len(node.input) > 2 else ""
        if source in constants:
            values = constants[source].astype(np.float32)
            scale = constants[scale_name].astype(np.float32)
            zero = constants[zero_name].astype(np.float32) if zero_name else np.zeros_like(scale)
            if scale.ndim == 1 and scale.size > 1:
                axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
                shape = [1] * values.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), zero.reshape(shape)
            added.append(numpy_helper.from_array(((values - zero) * scale).astype(np.float32), node.output[0]))
            continue
        quantize = producers.get(source)
        limits = _quantize_limits(constants, quantize) if quantize is not None else None
        if quantize is not None and quantize.op_type == "QuantizeLinear" and limits is not None:
            low, high = f"{node.output[0]}__clip_low", f"{node.output[0]}__clip_high"
            added.append(numpy_helper.from_array(np.array(limits[0], np.float32), low))
            added.append(numpy_helper.from_array(np.array(limits[1], np.float32), high))
            nodes.append(helper.make_node("Clip", [quantize.input[0], low, high], [node.output[0]], name=node.name))
            continue
        nodes.append(node)
    used = {name for node in nodes for name in node.input} | {output.name for output in graph.output}
    nodes = [node for node in nodes if not (node.op_type == "QuantizeLinear" and node.output[0] not in used)]
    set_nodes(graph, nodes, added)
    return model


def _quantize_limits(constants: dict[str, NDArray[Any]], quantize: NodeProto) -> tuple[float, float] | None:
    """The float range a QuantizeLinear node can represent, or None if its parameters are not constants."""
    if len(quantize.input) < 3 or quantize.input[1] not in constants or quantize.input[2] not in constants:
        return None
    zero_point = constants[quantize.input[2]]
    if zero_point.size != 1 or constants[quantize.input[1]].size != 1:
        return None
    limits, scale, zero = np.iinfo(zero_point.dtype), float(constants[quantize.input[1]]), float(zero_point)
    return (limits.min - zero) * scale, (limits.max - zero) * scale


def _fold_quantized_shape_ops(graph: GraphProto, constants: dict[str, NDArray[Any]]) -> None:
    """``QuantizeLinear -> Reshape/Transpose/... -> DequantizeLinear`` (same parameters) to float, in place.

    The quantize becomes a ``Clip`` to its representable range, the shape
    operator then carries float32, and the dequantize becomes ``Identity``
    (removed by onnxruntime). Only where the quantized tensor has no other
    consumer.
    """
    from onnx import helper, numpy_helper  # lazy import of an optional heavy library

    producers = {output: node for node in graph.node for output in node.output}
    consumers = consumer_counts(graph)
    replaced: dict[int, NodeProto] = {}
    for dequantize in graph.node:
        if dequantize.op_type != "DequantizeLinear":
            continue
        middle = producers.get(dequantize.input[0])
        if middle is None or middle.op_type not in SHAPE_OPS:
            continue
        quantize = producers.get(middle.input[0])
        if quantize is None or quantize.op_type != "QuantizeLinear":
            continue
        if consumers.get(quantize.output[0]) != 1 or consumers.get(middle.output[0]) != 1:
            continue
        same = all(
            a in constants and b in constants and np.array_equal(constants[a], constants[b])
            for a, b in zip(quantize.input[1:3], dequantize.input[1:3], strict=False)
        )
        limits = _quantize_limits(constants, quantize)
        if not same or limits is None:
            continue
        low, high = f"{quantize.output[0]}__clip_low", f"{quantize.output[0]}__clip_high"
        graph.initializer.append(numpy_helper.from_array(np.array(limits[0], np.float32), low))
        graph.initializer.append(numpy_helper.from_array(np.array(limits[1], np.float32), high))
        replaced[id(quantize)] = helper.make_node(
            "Clip", [quantize.input[0], low, high], [quantize.output[0]], name=quantize.name
        )
        replaced[id(dequantize)] = helper.make_node(
            "Identity", [dequantize.input[0]], [dequantize.output[0]], name=dequantize.name
        )
    if replaced:
        nodes = [replaced.get(id(node), node) for node in graph.node]
        del graph.node[:]
        graph.node.extend(nodes)
