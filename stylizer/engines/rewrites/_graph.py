"""Small helpers shared by the graph rewrites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onnx import GraphProto, ModelProto, NodeProto, TensorProto

#: Operators that move values without changing them (a quantized tensor may pass through them).
SHAPE_OPS = frozenset({"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Identity"})


def set_nodes(graph: GraphProto, nodes: Sequence[NodeProto], added: Sequence[TensorProto] = ()) -> None:
    """Put ``nodes`` in ``graph``, keeping only the initializers (old and ``added``) they use."""
    used = {name for node in nodes for name in node.input}
    kept = [init for init in [*graph.initializer, *added] if init.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)


def consumer_counts(graph: GraphProto) -> dict[str, int]:
    """How many node inputs read each tensor of ``graph``, by tensor name."""
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    return consumers


def copied(model: ModelProto) -> ModelProto:
    """A deep copy of an ``onnx.ModelProto``."""
    import onnx  # lazy import of an optional heavy library

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy
