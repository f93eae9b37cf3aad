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
the content's own size. This package is free of Django: engines are plain
objects, built once per process by :mod:`stylizer.runtime`. OpenVINO,
onnxruntime, onnx and TensorFlow are imported only when an engine or a graph
rewrite needs them.

Engines are not fork-safe (OpenVINO, onnxruntime and TensorFlow hold threads):
build them in the process that uses them, after any fork.

Modules, one concern each:

- :mod:`.contract`: the :class:`StylizationEngine` and :class:`BottleneckEngine` protocols and the errors;
- :mod:`.arrays`: images in and out of the networks, :func:`mix_bottlenecks`;
- :mod:`.rewrites`: the rewrites of the ONNX transfer graph, applied in order
  by :func:`build_transfer_graph`;
- :mod:`.sessions`: :class:`OnnxSession`, one network in OpenVINO or onnxruntime;
- :mod:`.tiling`: the transfer network run in tiles;
- :mod:`.process`: threads and freed memory per process;
- :mod:`.onnx_engine` and :mod:`.tfhub_engine`: the engines.

The names below are re-exported from those modules; a module-level constant
such as ``TRANSFER_BORDER`` is read where it is defined (patch
``stylizer.engines.arrays.TRANSFER_BORDER``, not this package's copy).
"""

from __future__ import annotations

from ..registry import ONNX_RUNTIMES
from .arrays import (
    BOTTLENECK_SIZE,
    STYLE_IMAGE_SIDE,
    TRANSFER_BORDER,
    TRANSFER_MIN_SIDE,
    TRANSFER_SIZE_MULTIPLE,
    mix_bottlenecks,
    prepare_style_image,
)
from .arrays import _content_batch as _content_batch
from .arrays import _to_uint8 as _to_uint8
from .contract import (
    BottleneckEngine,
    EngineUnavailable,
    Float32Array,
    RGBImage,
    StylizationEngine,
    UnsupportedControl,
    has_bottleneck,
)
from .onnx_engine import OnnxEngine
from .process import default_intra_op_threads, return_freed_memory_to_system
from .rewrites import (
    PREDICT_FILE,
    TRANSFER_FILE,
    build_transfer_graph,
    drop_redundant_clips,
    fold_quantization,
    fuse_instance_norm,
    make_resolution_independent,
    onnx_model_dir,
    smooth_upsampling,
)
from .sessions import OnnxSession
from .tfhub_engine import TfHubEngine
from .tiling import TILE_HALO, instance_norm_statistics_graph, tile_spans, tiled_graph

__all__ = [
    "has_bottleneck",
    "BOTTLENECK_SIZE",
    "ONNX_RUNTIMES",
    "PREDICT_FILE",
    "STYLE_IMAGE_SIDE",
    "TILE_HALO",
    "TRANSFER_BORDER",
    "TRANSFER_FILE",
    "TRANSFER_MIN_SIDE",
    "TRANSFER_SIZE_MULTIPLE",
    "BottleneckEngine",
    "EngineUnavailable",
    "Float32Array",
    "OnnxEngine",
    "OnnxSession",
    "RGBImage",
    "StylizationEngine",
    "TfHubEngine",
    "UnsupportedControl",
    "build_transfer_graph",
    "default_intra_op_threads",
    "drop_redundant_clips",
    "fold_quantization",
    "fuse_instance_norm",
    "instance_norm_statistics_graph",
    "make_resolution_independent",
    "mix_bottlenecks",
    "onnx_model_dir",
    "prepare_style_image",
    "return_freed_memory_to_system",
    "smooth_upsampling",
    "tile_spans",
    "tiled_graph",
]
