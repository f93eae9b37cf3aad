"""Clips in the stylizer: checks before any work, decoding upright with their timing, encoding with
their sound, one recipe per clip, and steadying (flicker, ghosting, closeness to each frame's own painting)."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from stylizer import clip_writers, clips
from stylizer.clip_render import render_clip
from stylizer.painting import Controls, PaintRecipe, apply_recipe
from stylizer.render import StyleSource, style_array
from stylizer.runtime import get_engine
from stylizer.steady import FlowEstimator, Steadier, warp

from . import clipmaker
from .helpers import SHARED, STYLES_DIR

SMALL = (160, 96)


def starry() -> StyleSource:
    return StyleSource(1.0, image=io.BytesIO((STYLES_DIR / "starry_night.jpg").read_bytes()))


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255)


# --- checks before any work -------------------------------------------------------------------


def test_probe_reads_a_phone_clip_upright_with_its_length_frames_and_sound(tmp_path: Path):
    path = clipmaker.write_clip(tmp_path / "phone.mp4", clipmaker.pan((320, 180), 50), audio_seconds=2.0, rotation=90)
    info = clips.probe_clip(path)
    assert (info.kind, info.codec, info.extension) == ("video", "h264", "mp4")
    assert (info.width, info.height, info.rotation) == (180, 320, 90)  # upright: portrait
    assert info.frames == 50
    assert info.seconds == pytest.approx(2.0, abs=0.01)
    assert info.has_audio


def test_probe_reads_animated_images_with_their_timings(tmp_path: Path):
    frames = clipmaker.pan((120, 80), 4)
    for extension in ("gif", "webp", "png"):
        path = clipmaker.write_animation(tmp_path / f"a.{extension}", frames, [100, 200, 50, 300])
        info = clips.probe_clip(path)
        assert (info.kind, info.extension, info.frames) == ("animation", extension, 4)
        assert info.seconds == pytest.approx(0.65)
        assert (info.width, info.height) == (120, 80)


def _audio_only(path: Path) -> Path:
    output = av.open(str(path), "w", format="mp4")
    stream = output.add_stream("aac", rate=48_000)
    stream.layout = "stereo"
    for index in range(20):
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, index * 1024
        for packet in stream.encode(frame):
            output.mux(packet)
    for packet in stream.encode(None):
        output.mux(packet)
    output.close()
    return path


def _unknown_codec(path: Path, tmp_path: Path) -> Path:
    """An MP4 whose video sample entry names a codec no decoder knows ("zzzz" for "avc1")."""
    source = clipmaker.write_clip(tmp_path / "known.mp4", clipmaker.pan((64, 64), 5))
    data = source.read_bytes()
    assert data.count(b"avc1") >= 1
    path.write_bytes(data.replace(b"avc1", b"zzzz"))
    return path


def _truncated(path: Path, tmp_path: Path, *, index_first: bool = False) -> Path:
    """A clip cut at a third: without its index (at the end), or with it (at the start) and most frames missing."""
    frames = clipmaker.still_noisy((160, 96), 40, sigma=20)  # noise: every frame weighs about the same
    source = clipmaker.write_clip(tmp_path / "whole.mp4", frames, faststart=index_first)
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 3])
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path, tmp: path.write_bytes(b"") and path, clips.NOT_A_CLIP),
        (lambda path, tmp: path.write_bytes(b"I am a text file named like a video\n" * 50) and path, clips.NOT_A_CLIP),
        (lambda path, tmp: _audio_only(path), clips.NO_VIDEO),
        (lambda path, tmp: _unknown_codec(path, tmp), clips.UNKNOWN_CODEC.format(codec="an unknown format")),
        (lambda path, tmp: _truncated(path, tmp), clips.DAMAGED_CLIP),
        (lambda path, tmp: _truncated(path, tmp, index_first=True), clips.DAMAGED_CLIP),
    ],
    ids=["zero-bytes", "not-a-video", "audio-only", "unknown-codec", "truncated", "truncated-index-first"],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, make, message: str):
    path = tmp_path / "clip.mp4"
    make(path, tmp_path)
    with pytest.raises(clips.ClipRejected) as refused:
        clips.probe_clip(path)
    assert str(refused.value) == message


def test_clips_past_the_limits_are_refused_before_any_work(tmp_path: Path):
    path = clipmaker.write_clip(tmp_path / "c.mp4", clipmaker.pan((320, 180), 75), rate=25)  # 3 s
    with pytest.raises(clips.ClipRejected, match=r"^This clip is 3\.0 s long; the limit is 2 s\."):
        clips.probe_clip(path, clips.ClipLimits(seconds=2))
    with pytest.raises(clips.ClipRejected, match=r"^This clip is 320 x 180 px; the limit is 256 x 144 px"):
        clips.probe_clip(path, clips.ClipLimits(long_side=256, short_side=144))
    with pytest.raises(clips.ClipRejected, match=r"^This clip has more than 60 frames; the limit is 60"):
        clips.probe_clip(path, clips.ClipLimits(frames=60))


def test_a_huge_frame_count_in_a_tiny_file_is_refused(tmp_path: Path):
    """2,000 identical 64 px frames at 1,000 frames/s: a few KB, two seconds, and far too many frames."""
    frame = np.full((64, 64, 3), 90, np.uint8)
    path = clipmaker.write_clip(tmp_path / "many.mp4", [frame] * 2000, rate=1000)
    assert path.stat().st_size < 200_000
    with pytest.raises(clips.ClipRejected, match=r"more than 900 frames; the limit is 900"):
        clips.probe_clip(path)


# --- decoding and encoding --------------------------------------------------------------------


def test_frames_come_upright_at_the_output_size_with_their_own_times(tmp_path: Path):
    marked = np.zeros((96, 160, 3), np.uint8)
    marked[:, :40] = 255  # the left quarter white
    times = [0.0, 0.1, 0.133, 0.4, 0.45, 1.0]  # a variable frame rate
    path = clipmaker.write_clip(tmp_path / "r.mp4", [marked] * 6, times=times, rotation=90)
    info = clips.probe_clip(path)
    frames = list(clips.read_frames(path, info, (48, 80)))
    assert [frame.time for frame in frames] == pytest.approx(times, abs=1e-3)
    assert [frame.duration for frame in frames[:-1]] == pytest.approx(np.diff(times), abs=1e-3)
    upright = frames[0].image
    assert upright.shape == (80, 48, 3)
    # Turned 90 degrees counter-clockwise, as players show it: the stored left edge is now the bottom.
    assert upright[-10:].mean() > 200 and upright[:40].mean() < 30


def test_the_mp4_keeps_timing_and_sound(tmp_path: Path):
    times = [0.0, 0.04, 0.08, 0.3, 0.34, 0.9, 1.5]
    source = clipmaker.write_clip(tmp_path / "s.mp4", clipmaker.pan((160, 96), 7), times=times, audio_seconds=1.6)
    info = clips.probe_clip(source)
    with clip_writers.VideoWriter(tmp_path / "out.mp4", (160, 96), audio_from=source) as writer:
        for frame in clips.read_frames(source, info, (160, 96)):
            writer.write(frame.image, frame.time)
    frames, out_times, facts = clipmaker.read_video(tmp_path / "out.mp4")
    assert out_times == pytest.approx(times, abs=2e-3)
    assert facts["codec"] == "h264" and writer.encoder == "libx264"
    assert facts["audio"] == "aac"
    assert facts["audio_seconds"] == pytest.approx(1.6, abs=0.05)
    assert facts["audio_peak_hz"] == pytest.approx(clipmaker.TONE_HZ, abs=5)


def test_the_animated_webp_keeps_every_frame_duration(tmp_path: Path):
    durations = [100, 200, 50, 300, 120]
    source = clipmaker.write_animation(tmp_path / "a.gif", clipmaker.pan((120, 80), 5), durations)
    info = clips.probe_clip(source)
    with clip_writers.AnimationWriter(tmp_path / "out.webp", (120, 80)) as writer:
        for frame in clips.read_frames(source, info, (120, 80)):
            writer.write(frame.image, frame.time, frame.duration)
    image = Image.open(tmp_path / "out.webp")
    written = []
    for index in range(image.n_frames):
        image.seek(index)
        image.load()
        written.append(image.info["duration"])
    assert written == durations
    assert image.info["loop"] == 0


# --- one recipe, steadied ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    return get_engine("onnx")


@pytest.fixture(scope="module")
def bottleneck(engine):
    return engine.style_bottleneck(style_array(io.BytesIO((STYLES_DIR / "starry_night.jpg").read_bytes())))


def _steadied(engine, bottleneck, frames):
    """Each frame's own painting, and the steadied results (input cleaned, painted, blended)."""
    recipe = PaintRecipe(Controls(brush="bold"), bottleneck=bottleneck)
    paintings = [apply_recipe(engine, frame, recipe) for frame in frames]
    steadier = Steadier()
    return paintings, [steadier.output(apply_recipe(engine, steadier.input(frame), recipe)) for frame in frames]


def flicker(frames, results) -> float:
    """Mean frame-to-frame change of the results over that of the input frames."""
    changes = [mean_difference(results[i], results[i - 1]) for i in range(1, len(frames))]
    inputs = [mean_difference(frames[i], frames[i - 1]) for i in range(1, len(frames))]
    return float(np.mean(changes) / np.mean(inputs))


def test_steadying_brings_the_shimmer_of_a_still_noisy_shot_under_1_5_times_the_input(
    django_db_setup, engine, bottleneck
):
    frames = clipmaker.still_noisy((320, 180), 24, sigma=2.0)
    paintings, results = _steadied(engine, bottleneck, frames)
    before, after = flicker(frames, paintings), flicker(frames, results)
    assert before > 2.0  # the network amplifies the noise
    assert after <= 1.5
    # Each result stays nearer its frame's own painting than consecutive paintings are to each other.
    closeness = np.mean([mean_difference(r, p) for r, p in zip(results, paintings, strict=True)])
    assert closeness < np.mean([mean_difference(paintings[i], paintings[i - 1]) for i in range(1, 24)])


def test_steadying_adds_no_ghost_behind_a_moving_subject(engine, bottleneck):
    frames = clipmaker.moving_subject((320, 180), 16, step=8)
    paintings, results = _steadied(engine, bottleneck, frames)
    # The strip the subject has just left shows the background painted afresh, not the subject's trail.
    side, top = 60, 60
    for index in range(4, 16):
        left = min(320 - side, 8 + index * 8)
        vacated = np.s_[top : top + side, max(0, left - 8) : left]
        assert mean_difference(results[index][vacated], paintings[index][vacated]) < 0.03
    # Under the pan the warped difference (result vs. the previous result carried by the flow) falls.
    pan = clipmaker.pan((320, 180), 16)
    pan_paintings, pan_results = _steadied(engine, bottleneck, pan)
    flow = FlowEstimator()

    def warped_difference(results):
        return np.mean(
            [mean_difference(results[i], warp(results[i - 1], flow(pan[i], pan[i - 1]))) for i in range(1, 16)]
        )

    assert warped_difference(pan_results) < 0.5 * warped_difference(pan_paintings)
    # Each result stays nearer its own painting than one painting is to the next, carried by the flow.
    closeness = np.mean([mean_difference(r, p) for r, p in zip(pan_results, pan_paintings, strict=True)])
    assert closeness < min(0.05, warped_difference(pan_paintings))


def test_render_clip_holds_one_recipe_and_writes_the_clip_its_card_and_poster(django_db_setup, tmp_path: Path):
    source = clipmaker.write_clip(tmp_path / "c.mp4", clipmaker.pan((320, 180), 20), audio_seconds=0.8, rotation=270)
    info = clips.probe_clip(source)
    done = []
    rendering = render_clip(
        source,
        info,
        [starry()],
        max_side=160,
        controls=Controls(strength=0.6, brush="bold"),
        work_dir=tmp_path / "out",
        progress=done.append,
    )
    assert done == list(range(1, 21))
    assert rendering.size == (90, 160)  # upright, fitted to 160 px, even sides
    assert rendering.frames == 20 and rendering.encoder == "libx264"
    assert rendering.new_content_bottleneck is not None  # measured once, on the middle frame
    frames, times, facts = clipmaker.read_video(rendering.result)
    assert len(frames) == 20 and (facts["width"], facts["height"]) == (90, 160) and facts["rotation"] == 0
    assert facts["audio"] == "aac"
    card = Image.open(rendering.animation)
    assert card.size == (90, 160) and card.n_frames == 7  # every third frame of 25 a second: 0, 0.12 ... 0.72 s
    shown = []
    for index in range(card.n_frames):
        card.seek(index)
        card.load()
        shown.append(card.info["duration"])
    assert shown == [120] * 6 + [80]  # the last until the clip's end, 0.8 s
    poster = Image.open(io.BytesIO(rendering.poster))
    assert poster.size == (90, 160) and Image.open(io.BytesIO(rendering.before)).size == (90, 160)
    # The poster is the middle frame painted: near the MP4's own frame 10 (after H.264).
    assert mean_difference(np.asarray(poster.convert("RGB")), frames[10]) < 0.06


def test_a_shared_animated_gif_becomes_an_animated_result(django_db_setup, tmp_path: Path):
    source = SHARED / "uploads" / "chi.gif"
    info = clips.probe_clip(source)
    assert (info.frames, info.width, info.height) == (31, 320, 240)
    rendering = render_clip(
        source, info, [starry()], max_side=320, controls=Controls(brush="bold"), work_dir=tmp_path / "out"
    )
    result = Image.open(rendering.result)
    assert result.format == "WEBP" and result.n_frames == 31 and result.size == (320, 240)


@pytest.mark.parametrize(
    ("encoder", "suffix", "decoder"),
    [
        ("libx265", ".mp4", "hevc"),
        ("libvpx", ".webm", "vp8"),
        ("libvpx-vp9", ".webm", "vp9"),
        ("libsvtav1", ".webm", "av1"),
    ],
)
def test_every_codec_a_phone_or_browser_exports_is_read(tmp_path: Path, encoder: str, suffix: str, decoder: str):
    frames = clipmaker.pan((320, 180), 12)
    path = clipmaker.write_clip(tmp_path / f"c{suffix}", frames, codec=encoder, audio_seconds=0.5)
    info = clips.probe_clip(path)
    assert (info.kind, info.codec, info.frames, info.has_audio) == ("video", decoder, 12, True)
    assert info.extension == ("webm" if suffix == ".webm" else "mp4")
    read = list(clips.read_frames(path, info, (160, 90)))
    assert len(read) == 12
    assert mean_difference(read[6].image, np.asarray(Image.fromarray(frames[6]).resize((160, 90)))) < 0.05
