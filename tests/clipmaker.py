"""Small test clips made with PyAV: a pan over a shared photo, a still noisy shot, a moving subject;
with a tone for sound, a rotation, a variable frame rate. Used by the tests and ``benchmarks/clips.py``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from .helpers import SHARED

TONE_HZ = 440.0


def photo(name: str = "rocket.jpg") -> np.ndarray:
    """A shared test photo (uint8 H x W x 3)."""
    return np.asarray(Image.open(SHARED / "content" / name).convert("RGB"))


def _scaled(image: np.ndarray, scale: float) -> np.ndarray:
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def pan(size: tuple[int, int], count: int, step: int = 4, name: str = "rocket.jpg") -> list[np.ndarray]:
    """``count`` frames of ``size`` (width, height) panning right over a photo, ``step`` px a frame."""
    width, height = size
    source = photo(name)
    big = _scaled(source, max(height * 1.4 / source.shape[0], (width + count * step) / source.shape[1]))
    top = (big.shape[0] - height) // 2
    return [np.ascontiguousarray(big[top : top + height, i * step : i * step + width]) for i in range(count)]


def still_noisy(size: tuple[int, int], count: int, sigma: float = 2.0, seed: int = 0) -> list[np.ndarray]:
    """``count`` frames of one still shot with fresh Gaussian noise (``sigma`` grey levels) in each."""
    base = pan(size, 1)[0].astype(np.float32)
    rng = np.random.default_rng(seed)
    return [np.clip(np.rint(base + rng.normal(0, sigma, base.shape)), 0, 255).astype(np.uint8) for _ in range(count)]


def moving_subject(size: tuple[int, int], count: int, step: int = 8) -> list[np.ndarray]:
    """A still background with a square subject (the astronaut) crossing it left to right."""
    background = pan(size, 1)[0]
    side = size[1] // 3
    subject = np.asarray(Image.fromarray(photo("astronaut.png")).resize((side, side), Image.Resampling.LANCZOS))
    frames = []
    for i in range(count):
        frame = background.copy()
        left, top = min(size[0] - side, 8 + i * step), size[1] // 3
        frame[top : top + side, left : left + side] = subject
        frames.append(frame)
    return frames


def write_clip(
    path: str | Path,
    frames: Iterable[np.ndarray],
    *,
    times: Sequence[float] | None = None,
    rate: int = 25,
    audio_seconds: float = 0.0,
    rotation: int = 0,
    codec: str = "libx264",
    container_format: str | None = None,
    faststart: bool = False,
    lossless: bool = False,
) -> Path:
    """Encode ``frames`` (uint8 H x W x 3, even sides) to ``path``.

    ``times`` (s) gives each frame's time (a variable frame rate), else
    ``rate`` frames/s. ``audio_seconds`` > 0 adds a stereo 440 Hz tone (AAC,
    or Opus in WebM). ``rotation``: degrees counter-clockwise in the display matrix.
    ``faststart``: the MP4's index before its data (as phones and web exports write it).
    ``lossless``: H.264 at quantiser 0 in 4:4:4, so per-frame noise survives the encoding.
    """
    path = Path(path)
    frames = list(frames)
    options = {"movflags": "+faststart"} if faststart else {}
    output = av.open(str(path), "w", format=container_format, options=options)
    video = output.add_stream(codec, rate=rate)
    video.height, video.width = frames[0].shape[:2]
    video.pix_fmt = "yuv444p" if lossless else "yuv420p"
    if lossless:
        video.options = {"qp": "0", "preset": "ultrafast"}
    # Matroska keeps milliseconds, and libvpx writes its packets in the codec's time base unchanged.
    tick = Fraction(1, 1000) if path.suffix == ".webm" else Fraction(1, 90_000)
    video.time_base = video.codec_context.time_base = tick
    if rotation:
        video.set_display_rotation(rotation)
    audio = None
    if audio_seconds > 0:
        audio = output.add_stream("libopus" if path.suffix == ".webm" else "aac", rate=48_000)
        audio.layout = "stereo"
    output.start_encoding()
    for index, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = round((times[index] if times else index / rate) / tick)
        frame.time_base = video.time_base
        for packet in video.encode(frame):
            output.mux(packet)
    for packet in video.encode(None):
        output.mux(packet)
    if audio is not None:
        samples, chunk = 0, 960
        total = int(audio_seconds * 48_000)
        while samples < total:
            t = (np.arange(chunk) + samples) / 48_000
            tone = (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48_000, samples
            samples += chunk
            for packet in audio.encode(frame):
                output.mux(packet)
        for packet in audio.encode(None):
            output.mux(packet)
    output.close()
    return path


def write_animation(path: str | Path, frames: Sequence[np.ndarray], durations_ms: Sequence[int]) -> Path:
    """An animated GIF, WebP or PNG (by ``path``'s extension) with each frame's duration (ms), looping."""
    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=list(durations_ms), loop=0)
    return Path(path)


def read_video(path: str | Path) -> tuple[list[np.ndarray], list[float], dict[str, object]]:
    """Decode a video: its frames (as stored, no rotation applied), their times (s) and facts
    (codec, width, height, rotation, audio codec, audio seconds, tone level)."""
    container = av.open(str(path))
    stream = container.streams.video[0]
    frames, times, rotation = [], [], 0
    for frame in container.decode(stream):
        frames.append(frame.to_ndarray(format="rgb24"))
        times.append(float(frame.time or 0.0))
        rotation = int(frame.rotation or 0)
    facts: dict[str, object] = {
        "codec": stream.codec_context.name,
        "width": stream.codec_context.width,
        "height": stream.codec_context.height,
        "rotation": rotation,
        "audio": None,
    }
    container.close()
    container = av.open(str(path))
    if container.streams.audio:
        audio = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(audio)]
        samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((1, 0))
        facts["audio"] = audio.codec_context.name
        facts["audio_seconds"] = samples.shape[1] / audio.codec_context.sample_rate
        spectrum = np.abs(np.fft.rfft(samples[0]))
        freqs = np.fft.rfftfreq(samples.shape[1], 1 / audio.codec_context.sample_rate)
        facts["audio_peak_hz"] = float(freqs[int(np.argmax(spectrum))])
    container.close()
    return frames, times, facts
