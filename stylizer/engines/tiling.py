"""Running the transfer network in tiles: the graphs for it, the tile spans, and the tile loop.

Instance normalization (13 layers in the transfer network) needs each
channel's mean and variance over the whole image. With those statistics
measured first (:func:`instance_norm_statistics_graph`) and given as inputs
(:func:`tiled_graph`), every output pixel depends only on the input within
the network's receptive field, so a large photo can be run tile by tile
(:meth:`stylizer.engines.OnnxEngine.transfer_tiled`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .arrays import TRANSFER_SIZE_MULTIPLE
from .contract import Float32Array, RGBImage
from .rewrites._graph import copied

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto

#: Context read around each tile of a tiled transfer (px): more than the
#: transfer network's receptive field reaches (tested against untiled runs).
TILE_HALO = 64


def instance_norm_statistics_graph(model: ModelProto) -> ModelProto:
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
    from onnx import TensorProto, helper  # lazy import of an optional heavy library

    copy = copied(model)
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


def tiled_graph(model: ModelProto) -> ModelProto:
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
    from onnx import TensorProto, helper, numpy_helper  # lazy import of an optional heavy library

    copy = copied(model)
    graph = copy.graph
    channel_shape = "instance_norm_channel_shape"
    graph.initializer.append(numpy_helper.from_array(np.array([1, -1, 1, 1], np.int64), channel_shape))
    nodes: list[NodeProto] = []
    index = 0
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


def instance_norm_epsilons(model: ModelProto) -> list[float]:
    """Each ``InstanceNormalization``'s epsilon, in graph order (ONNX's default 1e-5 where unset)."""
    return [
        next((attribute.f for attribute in node.attribute if attribute.name == "epsilon"), 1e-5)
        for node in model.graph.node
        if node.op_type == "InstanceNormalization"
    ]


def statistics_feeds(measured: Mapping[str, NDArray[Any]], epsilons: Sequence[float]) -> dict[str, NDArray[Any]]:
    """The :func:`tiled_graph` inputs from the :func:`instance_norm_statistics_graph` outputs (by name).

    ``instance_norm_mean_k`` is passed on; ``instance_norm_inv_std_k`` is
    ``1 / sqrt(instance_norm_var_k + epsilon_k)``, float32 [1, C, 1, 1].
    """
    feeds: dict[str, NDArray[Any]] = {}
    for k, epsilon in enumerate(epsilons):
        feeds[f"instance_norm_mean_{k}"] = measured[f"instance_norm_mean_{k}"]
        feeds[f"instance_norm_inv_std_{k}"] = 1.0 / np.sqrt(measured[f"instance_norm_var_{k}"] + epsilon)
    return feeds


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


def run_in_tiles(padded: RGBImage, tile_side: int, run_tile: Callable[[Float32Array], NDArray[Any]]) -> RGBImage:
    """Stylize a padded uint8 [H', W', 3] image tile by tile; uint8 [H', W', 3] out.

    Each tile reads at most ``tile_side`` px a side, :data:`TILE_HALO` px of
    them context on every inner edge (:func:`tile_spans`). ``run_tile`` maps
    a float32 [1, h, w, 3] batch in [0, 1] to the network's float [h, w, 3]
    output in [0, 1]; the kept part is rounded to uint8.
    """
    stylized = np.empty_like(padded)
    core = tile_side - 2 * TILE_HALO
    for top, bottom, keep_top, keep_bottom in tile_spans(padded.shape[0], core, TILE_HALO):
        for left, right, keep_left, keep_right in tile_spans(padded.shape[1], core, TILE_HALO):
            tile = run_tile((padded[top:bottom, left:right].astype(np.float32) / 255.0)[np.newaxis])
            tile = tile[keep_top - top : keep_bottom - top, keep_left - left : keep_right - left]
            stylized[keep_top:keep_bottom, keep_left:keep_right] = np.clip(np.rint(tile * 255.0), 0, 255)
    return stylized
