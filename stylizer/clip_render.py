"""Rendering one clip: decode, paint every frame with one recipe, steady, encode. Free of Django's ORM.

The worker (:mod:`gallery.tasks`) and ``manage.py stylize`` both call
:func:`render_clip`. Settings read here: ``STYLIZER_CLIP_*``,
``STYLIZER_JPEG_QUALITY``, ``STYLIZER_THUMBNAIL_SIDE`` and the engine's.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image

from . import clip_writers, clips, pipeline
from .measures import resized
from .painting import Controls, apply_recipe
from .render import StyleSource, engine_for, prepare_mix
from .steady import DEFAULT_BLEND, Steadier


@dataclass(frozen=True)
class ClipRendering:
    """What :func:`render_clip` made.

    Attributes:
        result: the result file: an MP4 for a video, an animated WebP for an animation.
        animation: a small looping animated WebP (at most ``STYLIZER_THUMBNAIL_SIDE`` px,
            :data:`CARD_SECONDS` s) for gallery cards.
        poster: JPEG of the result's middle frame at the result's size.
        before: JPEG of the same frame of the source, at the result's size.
        thumbnail: JPEG of the poster at ``STYLIZER_THUMBNAIL_SIDE`` px.
        size: (width, height) px. frames: frames written. seconds: time taken.
        encoder: the video encoder used ("libx264"...), or "libwebp_anim".
        new_style_bottlenecks, new_content_bottleneck: as :class:`Painting`; the
            content bottleneck is the middle frame's.
    """

    result: Path
    animation: Path
    poster: bytes
    before: bytes
    thumbnail: bytes
    size: tuple[int, int]
    frames: int
    seconds: float
    encoder: str
    new_style_bottlenecks: list[np.ndarray | None]
    new_content_bottleneck: np.ndarray | None


#: Length (s) and frame rate (frames/s) at most of a clip's looping card animation.
CARD_SECONDS = 4.0
CARD_FRAME_RATE = 10.0


def _middle_frame(source: clips.Source, info: clips.ClipInfo, size: tuple[int, int]) -> clips.ClipFrame:
    middle = None
    for frame in clips.read_frames(source, info, size, clips.limits_from_settings()):
        middle = frame
        if frame.time >= info.seconds / 2:
            break
    if middle is None:
        raise clips.ClipRejected(clips.DAMAGED_CLIP)
    return middle


def render_clip(
    source: clips.Source,
    info: clips.ClipInfo,
    styles: Sequence[StyleSource],
    *,
    max_side: int,
    controls: Controls,
    work_dir: str | Path,
    engine_name: str | None = None,
    content_bottleneck: np.ndarray | None = None,
    blend: float = DEFAULT_BLEND,
    progress: Callable[[int], None] | None = None,
) -> ClipRendering:
    """Stylize a clip frame by frame with one recipe, steadied, and encode it with its sound.

    The recipe (style bottleneck mix, the photo-side bottleneck and the blend
    weight, :func:`prepare_mix`) is measured once, on the middle frame, and
    held for every frame; each frame is painted with
    :func:`stylizer.painting.apply_recipe` and steadied
    (:class:`stylizer.steady.Steadier`: the input's noise averaged along the
    motion before the network and the painting blended after it, each with
    weight ``blend``; 0 turns both off). Frames
    stream from the decoder to the encoders: memory does not grow with the
    clip's length. Files are written into ``work_dir`` (``result.mp4`` or
    ``result.webp``, and ``card.webp``), which the caller removes.

    Args:
        source: the clip file (a path or a binary file object).
        info: its :func:`stylizer.clips.probe_clip`.
        max_side: long side of the result, px (never enlarged).
        progress: called with the count of frames done after each frame; it
            may raise to stop the work (a cancellation).

    Raises:
        stylizer.clips.ClipRejected: the clip cannot be decoded.
        EngineUnavailable, UnsupportedControl, ValueError: as :func:`render_photo`.
    """
    started = time.perf_counter()
    engine = engine_for(engine_name, max_side)
    size = clips.output_size(info, max_side)
    middle = _middle_frame(source, info, size)
    mix = prepare_mix(engine, middle.image, controls, styles, content_bottleneck)
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    card_size = pipeline.fitted_size(size, settings.STYLIZER_THUMBNAIL_SIDE)
    card_size = (card_size[0] - card_size[0] % 2 or 2, card_size[1] - card_size[1] % 2 or 2)
    is_video = info.kind == clips.VIDEO
    result_path = work / ("result.mp4" if is_video else "result.webp")
    steadier = Steadier(blend, denoise=blend)
    poster = before = b""
    frames = 0
    next_card = 0.0
    writer: clip_writers.VideoWriter | clip_writers.AnimationWriter
    if is_video:
        writer = clip_writers.VideoWriter(result_path, size, audio_from=source if info.has_audio else None)
        encoder = writer.encoder
    else:
        writer = clip_writers.AnimationWriter(result_path, size, quality=settings.STYLIZER_JPEG_QUALITY)
        encoder = "libwebp_anim"
    quality = settings.STYLIZER_JPEG_QUALITY
    with writer, clip_writers.AnimationWriter(work / "card.webp", card_size, quality=70) as card:
        for frame in clips.read_frames(source, info, size, clips.limits_from_settings()):
            result = steadier.output(apply_recipe(engine, steadier.input(frame.image), mix.recipe))
            if isinstance(writer, clip_writers.VideoWriter):
                writer.write(result, frame.time)
            else:
                writer.write(result, frame.time, frame.duration)
            if frame.index == middle.index:
                poster = clip_writers.encode_jpeg_frame(result, quality)
                before = clip_writers.encode_jpeg_frame(frame.image, quality)
            if frame.time < CARD_SECONDS:
                if frame.time >= next_card - 1e-6:
                    card.write(resized(result, card_size), frame.time, frame.duration)
                    next_card = frame.time + 1.0 / CARD_FRAME_RATE
                card.extend_to(min(frame.time + frame.duration, CARD_SECONDS))
            frames += 1
            if progress is not None:
                progress(frames)
    if not poster:
        raise clips.ClipRejected(clips.DAMAGED_CLIP)
    poster_image = Image.open(io.BytesIO(poster))
    return ClipRendering(
        result=result_path,
        animation=work / "card.webp",
        poster=poster,
        before=before,
        thumbnail=pipeline.make_thumbnail(poster_image, settings.STYLIZER_THUMBNAIL_SIDE, quality),
        size=size,
        frames=frames,
        seconds=time.perf_counter() - started,
        encoder=encoder,
        new_style_bottlenecks=mix.new_style_bottlenecks,
        new_content_bottleneck=mix.new_content_bottleneck,
    )
