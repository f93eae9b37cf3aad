"""The tfhub engine: the TF Hub form of Magenta's network, loaded with ``tensorflow_hub.load``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..registry import BOTTLENECK_ENGINES, ONNX_ENGINE, TFHUB_ENGINE
from .arrays import _content_batch, _to_uint8, prepare_style_image
from .contract import EngineUnavailable, RGBImage
from .process import default_intra_op_threads


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

    name = TFHUB_ENGINE
    supports_bottleneck = TFHUB_ENGINE in BOTTLENECK_ENGINES

    def release_memory(self) -> None:
        """Nothing to do: TensorFlow's allocator keeps its own pool."""

    def __init__(self, handle: str, intra_op_threads: int = 0) -> None:
        self.handle = handle
        cache_dir = os.environ.get("TFHUB_CACHE_DIR", "(not set)")
        how = (
            "Provide it offline: set STYLIZER_TFHUB_HANDLE to a local SavedModel directory, "
            f"or resolve the handle once into TFHUB_CACHE_DIR (now {cache_dir}) on a machine "
            f"with network access, or use STYLIZER_ENGINE={ONNX_ENGINE}."
        )
        try:
            # lazy imports of an optional heavy library
            import tensorflow as tf
            import tensorflow_hub as hub
        except ImportError as exc:
            raise EngineUnavailable(
                f"The {TFHUB_ENGINE} engine needs TensorFlow to load {handle!r}: {exc}. "
                "Install requirements-tfhub.txt. " + how
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
        self._tf: Any = tf

    def stylize(self, content: RGBImage, style: RGBImage) -> RGBImage:
        """Render uint8 H x W x 3 ``content`` in the style of ``style``; uint8 H x W x 3 out.

        Raises:
            ValueError: an image that is not a non-empty uint8 array of 3 channels.
            RuntimeError: the model returned a smaller picture than the content.
        """
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
