"""The names of the stylization engines and of the runtimes of the onnx engine: the one list.

Free of Django and of the engines themselves, so that settings, forms and
commands can check and offer names without loading any network:
:mod:`picstylist.settings` (validation of ``STYLIZER_ENGINE`` and
``STYLIZER_ONNX_RUNTIME``), :mod:`stylizer.runtime`, :mod:`gallery.forms`,
the ``stylize`` management command and :mod:`stylizer.engines` all read it.
"""

from __future__ import annotations

#: The int8 TFLite Magenta networks as ONNX files (:class:`stylizer.engines.OnnxEngine`).
ONNX_ENGINE = "onnx"
#: The TF Hub form of the network (:class:`stylizer.engines.TfHubEngine`).
TFHUB_ENGINE = "tfhub"
#: Every engine ``STYLIZER_ENGINE`` may name, the default first.
ENGINE_NAMES = (ONNX_ENGINE, TFHUB_ENGINE)
DEFAULT_ENGINE = ENGINE_NAMES[0]

#: Engines that expose the style bottleneck, so offer strength and style mixing.
#: Known without loading the engine (the web process never loads one).
BOTTLENECK_ENGINES = frozenset({ONNX_ENGINE})

#: OpenVINO's CPU plugin: the default, 1.2-1.6x faster than onnxruntime on the
#: transfer network in the benchmark runs (benchmarks/RESULTS.md).
OPENVINO = "openvino"
#: Microsoft's onnxruntime, CPU execution provider.
ONNXRUNTIME = "onnxruntime"
#: Runtimes that can run the onnx engine's networks (``STYLIZER_ONNX_RUNTIME``), the default first.
ONNX_RUNTIMES = (OPENVINO, ONNXRUNTIME)
DEFAULT_ONNX_RUNTIME = ONNX_RUNTIMES[0]


def choices(names: tuple[str, ...]) -> str:
    """``names`` for a message, e.g. ``'onnx' or 'tfhub'``."""
    return " or ".join(repr(name) for name in names)


__all__ = [
    "BOTTLENECK_ENGINES",
    "DEFAULT_ENGINE",
    "DEFAULT_ONNX_RUNTIME",
    "ENGINE_NAMES",
    "ONNXRUNTIME",
    "ONNX_ENGINE",
    "ONNX_RUNTIMES",
    "OPENVINO",
    "TFHUB_ENGINE",
    "choices",
]
