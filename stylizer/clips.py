"""Clips: short videos and animated images, checked and decoded. Free of Django's ORM.

Videos (MP4/MOV with H.264 or HEVC, WebM with VP8, VP9 or AV1, and what
else FFmpeg decodes) are read with PyAV (FFmpeg's libraries,
https://pyav.basswood-io.com); animated GIF, WebP and APNG with Pillow,
which reads all three with their frame timings (FFmpeg does not decode
animated WebP). Frames are streamed, one at a time, from the decoder to the
encoder: a clip is never held whole in memory.

- :func:`probe_clip` checks a file against :class:`ClipLimits` before any
  work, reading only the container's packets (no decoding past the first
  frame), and says what is wrong in a sentence (:class:`ClipRejected`).
- :func:`read_frames` yields upright RGB frames at an output size with their
  times: phone clips' rotation (the display matrix) is applied, and variable
  frame rates keep each frame's own time.

Writing them is :mod:`stylizer.clip_writers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import av
import av.error
import numpy as np
from django.conf import settings
from PIL import Image, ImageSequence, UnidentifiedImageError

from . import pipeline

VIDEO = "video"
ANIMATION = "animation"
#: Pillow formats that may hold an animation.
ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
#: Extensions stored for each kind of source, by container (PyAV format names, first match) or Pillow format.
VIDEO_EXTENSIONS = {"mov": "mov", "mp4": "mp4", "matroska": "mkv", "webm": "webm", "avi": "avi"}
#: Codecs a WebM file may hold (https://www.webmproject.org/docs/container/).
WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})
ANIMATION_EXTENSIONS = {"GIF": "gif", "PNG": "png", "WEBP": "webp"}
#: Duration (s) browsers give an animation frame with none or under 20 ms.
DEFAULT_FRAME_SECONDS = 0.1

UPLOAD_CLIPS = "Clips may be MP4, MOV or WebM videos, or animated GIF, WebP or PNG images."
NOT_A_CLIP = f"This file is not a photo or a clip we can read. {pipeline.UPLOAD_FORMATS} {UPLOAD_CLIPS}"
DAMAGED_CLIP = "This clip is damaged or incomplete and cannot be read. Try exporting it again."
NO_VIDEO = "This file has no picture, only sound (or nothing at all). Upload a clip with video."
UNKNOWN_CODEC = "We cannot decode this clip's video ({codec}). Try exporting it as H.264 MP4."
TOO_LONG = "This clip is {seconds} s long; the limit is {limit} s. Trim it and try again."
TOO_LARGE = "This clip is {width} x {height} px; the limit is {long} x {short} px (either way up)."
TOO_MANY_FRAMES = "This clip has {frames} frames; the limit is {limit} ({limit_seconds} s at {fps} frames per second)."
TOO_SMALL = "This clip is {width} x {height} px; each side must be at least {min_side} px."


class ClipRejected(pipeline.ImageRejected):
    """The file is not a clip PicStylist accepts; ``str(exc)`` is shown to the user."""


class NotAClip(ClipRejected):
    """FFmpeg does not recognise the file as a container at all."""


@dataclass(frozen=True)
class ClipLimits:
    """What a clip may be: ``seconds`` long, ``long_side`` x ``short_side`` px either way up,
    ``frames`` frames, each side at least ``min_side`` px."""

    seconds: float = 15.0
    long_side: int = 1920
    short_side: int = 1080
    frames: int = 900
    min_side: int = 32

    def check_size(self, width: int, height: int) -> None:
        if max(width, height) > self.long_side or min(width, height) > self.short_side:
            raise ClipRejected(TOO_LARGE.format(width=width, height=height, long=self.long_side, short=self.short_side))
        if min(width, height) < self.min_side:
            raise ClipRejected(TOO_SMALL.format(width=width, height=height, min_side=self.min_side))

    def check_length(self, seconds: float, frames: int) -> None:
        if seconds > self.seconds + 0.05:
            raise ClipRejected(TOO_LONG.format(seconds=f"{seconds:.1f}", limit=f"{self.seconds:g}"))
        if frames > self.frames:
            raise self.too_many_frames(str(frames))

    def too_many_frames(self, frames: str) -> ClipRejected:
        fps = round(self.frames / self.seconds) if self.seconds > 0 else self.frames
        return ClipRejected(
            TOO_MANY_FRAMES.format(frames=frames, limit=self.frames, limit_seconds=f"{self.seconds:g}", fps=fps)
        )


def limits_from_settings() -> ClipLimits:
    """:class:`ClipLimits` from Django's settings (``STYLIZER_CLIP_MAX_*``, ``STYLIZER_MIN_SIDE``)."""
    return ClipLimits(
        seconds=settings.STYLIZER_CLIP_MAX_SECONDS,
        long_side=settings.STYLIZER_CLIP_MAX_LONG_SIDE,
        short_side=settings.STYLIZER_CLIP_MAX_SHORT_SIDE,
        frames=settings.STYLIZER_CLIP_MAX_FRAMES,
        min_side=settings.STYLIZER_MIN_SIDE,
    )


@dataclass(frozen=True)
class ClipInfo:
    """What :func:`probe_clip` found.

    Attributes:
        kind: :data:`VIDEO` or :data:`ANIMATION`.
        extension: the file extension to store the source under.
        width, height: upright size, px (rotation applied).
        seconds: duration, s.
        frames: frame count (packets counted, not the header's claim).
        codec: the video codec's name ("h264", "vp9", "gif"...).
        has_audio: a sound track is present (videos only).
        rotation: degrees counter-clockwise the stored frames are turned to show upright.
    """

    kind: str
    extension: str
    width: int
    height: int
    seconds: float
    frames: int
    codec: str
    has_audio: bool = False
    rotation: int = 0


@dataclass(frozen=True)
class ClipFrame:
    """One frame: ``image`` uint8 H x W x 3 RGB upright at the output size, ``time`` and
    ``duration`` in s from the clip's first frame, ``index`` from 0."""

    image: np.ndarray
    time: float
    duration: float
    index: int


Source = str | Path | BinaryIO


def _rewind(source: Source) -> Source:
    if hasattr(source, "seek"):
        source.seek(0)
    return source


#: First bytes of the video containers accepted: an ISO BMFF box "ftyp" (MP4, MOV), EBML (Matroska, WebM), RIFF AVI.
def _looks_like_video(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")


def open_video(source: Source) -> Any:
    """The PyAV container of ``source``; raises :class:`DAMAGED_CLIP` for a video container FFmpeg
    cannot open (a truncated MP4 without its index), :class:`NotAClip` for anything else."""
    try:
        return av.open(_rewind(source), "r", timeout=10)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        if isinstance(source, (str, Path)):
            with open(source, "rb") as handle:
                head = handle.read(12)
        else:
            source.seek(0)
            head = source.read(12)
            source.seek(0)
        if _looks_like_video(head):
            raise ClipRejected(DAMAGED_CLIP) from None
        raise NotAClip(NOT_A_CLIP) from None


def _animation(source: Source) -> Image.Image | None:
    """The Pillow image if ``source`` is an animated GIF, WebP or PNG, else None."""
    try:
        image = Image.open(_rewind(source))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    if image.format in ANIMATED_FORMATS and getattr(image, "is_animated", False):
        return image
    return None


def is_animation(source: Source) -> bool:
    """Whether ``source`` is an animated GIF, WebP or PNG (rewound after)."""
    try:
        return _animation(source) is not None
    finally:
        _rewind(source)


def _frame_seconds(image: Image.Image) -> float:
    milliseconds = image.info.get("duration") or 0
    return float(milliseconds) / 1000 if milliseconds >= 20 else DEFAULT_FRAME_SECONDS


def _probe_animation(image: Image.Image, limits: ClipLimits) -> ClipInfo:
    width, height = image.size
    limits.check_size(width, height)
    frames = getattr(image, "n_frames", 1)
    limits.check_length(0.0, frames)
    seconds = 0.0
    try:
        for frame in ImageSequence.Iterator(image):
            frame.load()
            seconds += _frame_seconds(frame)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ClipRejected(DAMAGED_CLIP) from None
    limits.check_length(seconds, frames)
    extension = ANIMATION_EXTENSIONS[image.format or "GIF"]
    return ClipInfo(ANIMATION, extension, width, height, seconds, frames, (image.format or "").lower())


def _video_extension(container: Any) -> str:
    """The extension to store a video under: WebM for Matroska holding only WebM's codecs (browsers play it)."""
    for name in str(container.format.name).split(","):
        if name == "mov":  # the ISO family: QuickTime's own brand, else MP4 (browsers play it)
            return "mov" if str(container.metadata.get("major_brand", "")).strip() == "qt" else "mp4"
        if name == "matroska":
            codecs = {stream.codec_context.codec.canonical_name for stream in container.streams if stream.codec_context}
            return "webm" if codecs <= WEBM_CODECS else "mkv"
        if name in VIDEO_EXTENSIONS:
            return VIDEO_EXTENSIONS[name]
    raise NotAClip(NOT_A_CLIP)


def probe_clip(source: Source, limits: ClipLimits | None = None) -> ClipInfo:
    """Check a clip before any work and say what it is.

    A video's packets are read (not decoded) to count its frames and find
    its true length, whatever the header claims; its first frame is decoded
    to prove the codec and find the rotation. An animation's frames are
    decoded by Pillow (they are small).

    Args:
        source: a path or a binary file object (rewound before and after).
        limits: default :class:`ClipLimits`.

    Raises:
        ClipRejected: not a clip, damaged, no video, unknown codec, or past a limit.
    """
    limits = limits or ClipLimits()
    animation = _animation(source)
    if animation is not None:
        try:
            return _probe_animation(animation, limits)
        finally:
            _rewind(source)
    container = open_video(source)
    try:
        info = _probe_video(container, limits)
    except (av.error.FFmpegError, OSError, EOFError):
        raise ClipRejected(DAMAGED_CLIP) from None
    finally:
        container.close()
    container = open_video(source)
    try:
        rotation = _first_frame_rotation(container, container.streams.video[0])
    finally:
        container.close()
        _rewind(source)
    if rotation % 180:
        return replace(info, width=info.height, height=info.width, rotation=rotation)
    return replace(info, rotation=rotation)


def _probe_video(container: Any, limits: ClipLimits) -> ClipInfo:
    if not container.streams.video:
        raise ClipRejected(NO_VIDEO)
    extension = _video_extension(container)
    stream = container.streams.video[0]
    codec = stream.codec_context.codec.canonical_name if stream.codec_context else "an unknown format"
    if not stream.codec_context or stream.codec_context.type != "video":
        raise ClipRejected(UNKNOWN_CODEC.format(codec=codec))
    width, height = stream.codec_context.width, stream.codec_context.height
    if width <= 0 or height <= 0:
        raise ClipRejected(DAMAGED_CLIP)
    limits.check_size(width, height)
    # Frames and length from the packets themselves: a header may claim anything.
    frames, first, last = 0, None, None
    for packet in container.demux(stream):
        if packet.size == 0 or packet.pts is None:
            continue
        frames += 1
        if frames > limits.frames:
            raise limits.too_many_frames(f"more than {limits.frames}")
        end = packet.pts + (packet.duration or 0)
        first = packet.pts if first is None else min(first, packet.pts)
        last = end if last is None else max(last, end)
        if last is not None and first is not None and float((last - first) * stream.time_base) > limits.seconds + 1:
            # Reading stops here; the container's own duration, where it has one, says how long it is.
            claimed = (container.duration or 0) / 1_000_000
            longer = f"{claimed:.1f}" if claimed > limits.seconds + 1 else f"more than {limits.seconds + 1:g}"
            raise ClipRejected(TOO_LONG.format(seconds=longer, limit=f"{limits.seconds:g}"))
    # Fewer frames than the container's own index lists: the file was cut short.
    if frames == 0 or first is None or last is None or (stream.frames and frames < stream.frames):
        raise ClipRejected(DAMAGED_CLIP)
    seconds = float((last - first) * stream.time_base)
    limits.check_length(seconds, frames)
    return ClipInfo(VIDEO, extension, width, height, seconds, frames, codec, has_audio=bool(container.streams.audio))


def _first_frame_rotation(container: Any, stream: Any) -> int:
    """Decode the first frame (proving the codec and the data) and return its rotation."""
    try:
        for frame in container.decode(stream):
            return _quarter_turns(frame.rotation) * 90
    except av.error.DecoderNotFoundError:
        raise ClipRejected(UNKNOWN_CODEC.format(codec=stream.codec_context.name)) from None
    except (av.error.FFmpegError, ValueError):
        raise ClipRejected(DAMAGED_CLIP) from None
    raise ClipRejected(DAMAGED_CLIP)


def _quarter_turns(rotation: float | int | None) -> int:
    return round((rotation or 0) / 90) % 4


def output_size(info: ClipInfo, max_side: int) -> tuple[int, int]:
    """(width, height) of the result: the clip fitted to ``max_side`` px, never enlarged, even sides
    (H.264's 4:2:0 needs them)."""
    width, height = pipeline.fitted_size((info.width, info.height), max_side)
    return max(2, width - width % 2), max(2, height - height % 2)


def read_frames(
    source: Source, info: ClipInfo, size: tuple[int, int], limits: ClipLimits | None = None
) -> Iterator[ClipFrame]:
    """Yield the clip's frames upright, resized to ``size`` (width, height px), in display order.

    Times are each frame's own presentation time from the first frame, so a
    variable frame rate keeps its timing. Stops with :class:`ClipRejected`
    if the clip has more frames than ``limits`` (a file that lied at probe
    time) or cannot be decoded.
    """
    limits = limits or ClipLimits()
    if info.kind == ANIMATION:
        yield from _animation_frames(source, size, limits)
    else:
        yield from _video_frames(source, size, limits)


def _animation_frames(source: Source, size: tuple[int, int], limits: ClipLimits) -> Iterator[ClipFrame]:
    image = _animation(source)
    if image is None:
        raise ClipRejected(DAMAGED_CLIP)
    time = 0.0
    try:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= limits.frames:
                raise limits.too_many_frames(f"more than {limits.frames}")
            duration = _frame_seconds(frame)
            rgb = pipeline.to_rgb(frame.copy())
            if rgb.size != size:
                rgb = rgb.resize(size, Image.Resampling.LANCZOS)
            yield ClipFrame(pipeline.to_array(rgb), time, duration, index)
            time += duration
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ClipRejected(DAMAGED_CLIP) from None


def _video_frames(source: Source, size: tuple[int, int], limits: ClipLimits) -> Iterator[ClipFrame]:
    container = open_video(source)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start: int | None = None
        previous: tuple[np.ndarray, float, int] | None = None
        index = 0
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                turns = _quarter_turns(frame.rotation)
                width, height = size if turns % 2 == 0 else (size[1], size[0])
                image = frame.to_ndarray(width=width, height=height, format="rgb24", interpolation="AREA")
                if turns:
                    image = np.ascontiguousarray(np.rot90(image, k=turns))
                start = frame.pts if start is None else start
                time = float((frame.pts - start) * stream.time_base)
                if previous is not None:
                    yield ClipFrame(previous[0], previous[1], max(0.0, time - previous[1]), previous[2])
                if index >= limits.frames:
                    raise limits.too_many_frames(f"more than {limits.frames}")
                previous = (image, time, index)
                index += 1
        except (av.error.FFmpegError, ValueError):
            raise ClipRejected(DAMAGED_CLIP) from None
        if previous is None:
            raise ClipRejected(DAMAGED_CLIP)
        last = 1 / float(stream.average_rate) if stream.average_rate else DEFAULT_FRAME_SECONDS
        yield ClipFrame(previous[0], previous[1], last, previous[2])
    finally:
        container.close()
