"""Writing clips: an MP4 with its sound, and animated WebP with each frame's duration. Free of Django.

:class:`VideoWriter` writes an MP4 (H.264 with libx264, else the best
encoder of :data:`VIDEO_ENCODERS` the installed PyAV carries) with the
source's sound re-encoded as AAC, interleaved as the frames come;
:class:`AnimationWriter` writes a looping animated WebP (libwebp through
PyAV). Both take one frame at a time: a clip is never held whole.
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from . import pipeline
from .clips import DEFAULT_FRAME_SECONDS, Source, open_video

#: Encoders tried in turn for the MP4 result: the first the installed FFmpeg carries is used.
VIDEO_ENCODERS = ("libx264", "h264", "libopenh264", "mpeg4")


def _video_stream(container: Any, size: tuple[int, int], rate: int) -> tuple[Any, str]:
    for name in VIDEO_ENCODERS:
        if name not in av.codecs_available:
            continue
        try:
            stream = container.add_stream(name, rate=rate)
        except (av.error.FFmpegError, ValueError):
            continue
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 90_000)
        stream.codec_context.time_base = Fraction(1, 90_000)
        if name == "libx264":
            stream.options = {"crf": "20", "preset": "veryfast", "profile": "high"}
        else:
            stream.bit_rate = 8_000_000
        return stream, name
    raise RuntimeError(f"None of the video encoders {', '.join(VIDEO_ENCODERS)} is available in this FFmpeg")


def video_encoder_name() -> str:
    """The encoder :class:`VideoWriter` uses with the installed PyAV (first of :data:`VIDEO_ENCODERS`)."""
    return next((name for name in VIDEO_ENCODERS if name in av.codecs_available), "none")


class _AudioCopy:
    """The source's first sound track, re-encoded as AAC into ``output``, muxed up to a time on demand."""

    def __init__(self, source: Source, output: Any) -> None:
        self._input = open_video(source)
        audio = self._input.streams.audio[0]
        self._start = audio.start_time or 0
        self._time_base = audio.time_base
        rate = audio.codec_context.sample_rate or 48_000
        self._stream = output.add_stream("aac", rate=rate)
        self._stream.layout = "stereo" if (audio.codec_context.channels or 2) >= 2 else "mono"
        self._stream.bit_rate = 160_000
        self._resampler = av.AudioResampler(format="fltp", layout=self._stream.layout, rate=rate)
        self._frames = self._input.decode(audio)
        self._output = output
        self._done = False

    def pump(self, until: float | None) -> None:
        """Mux sound up to ``until`` s from the clip's start (all of it for None)."""
        while not self._done:
            try:
                frame = next(self._frames)
            except (StopIteration, av.error.FFmpegError):
                self._done = True
                break
            if frame.pts is not None:
                time = float((frame.pts - self._start) * self._time_base)
                if time < 0:
                    continue
            else:
                time = 0.0
            for resampled in self._resampler.resample(frame):
                resampled.pts = None
                for packet in self._stream.encode(resampled):
                    self._output.mux(packet)
            if until is not None and time >= until:
                break

    def close(self) -> None:
        self.pump(None)
        for packet in self._stream.encode(None):
            self._output.mux(packet)
        self._input.close()


class VideoWriter:
    """Writes frames to an MP4 file at ``path`` (``size`` px, even sides), each at its own time.

    With ``audio_from`` (the source clip), its first sound track goes along,
    re-encoded as AAC and interleaved with the frames. Use as a context
    manager; :meth:`write` takes uint8 H x W x 3 RGB frames in display order.
    """

    def __init__(
        self, path: str | Path, size: tuple[int, int], *, audio_from: Source | None = None, rate: int = 30
    ) -> None:
        self.path = Path(path)
        self._container = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        self._stream, self.encoder = _video_stream(self._container, size, rate)
        self._audio = _AudioCopy(audio_from, self._container) if audio_from is not None else None
        self._container.start_encoding()
        self._last_pts = -1

    def write(self, image: np.ndarray, time: float) -> None:
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        pts = max(self._last_pts + 1, round(time * 90_000))
        frame.pts, frame.time_base = pts, self._stream.time_base
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        if self._audio is not None:
            self._audio.pump(time)

    def close(self) -> None:
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.close()
        finally:
            self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AnimationWriter:
    """Writes frames to an animated WebP at ``path`` (looping), each shown for its own duration.

    ``quality`` is libwebp's (0-100). The encoder (libwebp_anim through PyAV)
    takes each frame's duration from the next one's time; the last frame's is
    written into its ANMF chunk after encoding (WebP container specification,
    https://developers.google.com/speed/webp/docs/riff_container).
    """

    def __init__(self, path: str | Path, size: tuple[int, int], *, quality: int = 80) -> None:
        self.path = Path(path)
        self._container = av.open(str(self.path), "w", format="webp", options={"loop": "0"})
        self._stream = self._container.add_stream("libwebp_anim", rate=1000)
        self._stream.width, self._stream.height = size
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = self._stream.codec_context.time_base = Fraction(1, 1000)
        self._stream.options = {"quality": str(quality)}
        self._last_pts = -1
        self._last_duration = round(DEFAULT_FRAME_SECONDS * 1000)
        self.frames = 0

    def write(self, image: np.ndarray, time: float, duration: float) -> None:
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        pts = max(self._last_pts + 1, round(time * 1000))
        frame.pts, frame.time_base = pts, self._stream.time_base
        self._last_pts, self._last_duration = pts, max(1, round(duration * 1000))
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def extend_to(self, end: float) -> None:
        """Show the last frame written until ``end`` s (a sampled animation's frame stands for those after it)."""
        if self.frames:
            self._last_duration = max(1, round(end * 1000) - self._last_pts)

    def close(self) -> None:
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
        if self.frames:
            set_last_frame_duration(self.path, self._last_duration)

    def __enter__(self) -> AnimationWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def set_last_frame_duration(path: str | Path, milliseconds: int) -> None:
    """Set the duration (ms, up to 2^24 - 1) of an animated WebP's last frame, in place.

    Each ANMF chunk holds its frame's duration as 24 bits, little-endian, at
    payload offset 12 (WebP container specification).
    """
    data = bytearray(Path(path).read_bytes())
    offset, last = 12, None
    while offset + 8 <= len(data):
        tag = bytes(data[offset : offset + 4])
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if tag == b"ANMF":
            last = offset + 8
        offset += 8 + length + (length & 1)
    if last is None:
        return
    data[last + 12 : last + 15] = min(milliseconds, 0xFFFFFF).to_bytes(3, "little")
    Path(path).write_bytes(bytes(data))


def encode_jpeg_frame(image: np.ndarray, quality: int) -> bytes:
    """A frame (uint8 H x W x 3) as JPEG bytes (:func:`stylizer.pipeline.encode_jpeg`)."""
    return pipeline.encode_jpeg(pipeline.from_array(image), quality)
