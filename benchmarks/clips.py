"""Clips (issue 18): frames per second end to end, steadiness before and after, and a worker's peak memory.

    DJANGO_SETTINGS_MODULE=picstylist.settings .venv/bin/python benchmarks/clips.py [--seconds 5] [--sheet PATH]
        [--rss-seconds 15]

- **Speed**: ``stylizer.clip_render.render_clip`` (decode, paint each frame with one recipe, steady, encode
  with the sound) on a ``--seconds`` pan over a shared photo at 25 frames/s, with a tone, at 480p
  (854 x 480) and 720p (1280 x 720), for each brush; frames per second over the whole call.
- **Steadiness** on three 2 s clips at 480p (stored losslessly, so the noise reaches the network), medium
  brush, The Starry Night, through the steps ``render_clip`` takes for each frame (``read_frames``, the
  recipe measured once on the middle frame, ``apply_recipe``, ``Steadier``), before the encoder, with
  steadying off (every frame its own painting) and on (the default):
  flicker (mean frame-to-frame change of the result over that of the input) on a still shot with fresh
  noise of sigma 2 grey levels in every frame; the warped difference (each result against the previous one
  carried by the input's optical flow) on a pan; on a moving subject the difference from the frame's own
  painting in the strip the subject has just left (a ghost shows there); and how far each steadied frame
  is from its own single-frame painting.
- **Memory**: ``manage.py stylize`` on a ``--rss-seconds`` 720p clip in a child process; its peak RSS
  (``ru_maxrss``), which includes the engine.

``--sheet`` writes consecutive frames of the moving subject and the noisy shot: input, single-frame
painting, steadied.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "picstylist.settings")
django.setup()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from benchmarks.common import REPO, STYLE, cores, cpu_model  # noqa: E402
from stylizer import clips  # noqa: E402
from stylizer.clip_render import render_clip  # noqa: E402
from stylizer.painting import BRUSH_SIDES, Controls, apply_recipe  # noqa: E402
from stylizer.render import StyleSource, prepare_mix  # noqa: E402
from stylizer.runtime import get_engine  # noqa: E402
from stylizer.steady import DEFAULT_BLEND, FlowEstimator, Steadier, warp  # noqa: E402
from tests import clipmaker  # noqa: E402

SIZES = {"480p": (854, 480), "720p": (1280, 720)}


def style() -> StyleSource:
    return StyleSource(1.0, image=io.BytesIO(STYLE.read_bytes()))


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255)


def render(path: Path, work: Path, brush: str, blend: float, max_side: int) -> tuple[list[np.ndarray], float, int]:
    info = clips.probe_clip(path)
    started = time.perf_counter()
    rendering = render_clip(
        path, info, [style()], max_side=max_side, controls=Controls(brush=brush), work_dir=work, blend=blend
    )
    seconds = time.perf_counter() - started
    frames = clipmaker.read_video(rendering.result)[0]
    return frames, seconds, rendering.frames


def speed(seconds: float, work: Path) -> None:
    print(f"\n## Speed: {seconds:g} s at 25 frames/s, with sound ({cpu_model()}, {cores()} cores)\n")
    print("| size | brush | frames | seconds | frames/s | steadying off: frames/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    count = round(seconds * 25)
    for name, size in SIZES.items():
        path = clipmaker.write_clip(work / f"pan-{name}.mp4", clipmaker.pan(size, count, step=2), audio_seconds=seconds)
        for brush in BRUSH_SIDES:
            if brush == "fine":
                continue  # 2048 px a frame: a print brush, not a clip one
            _, taken, frames = render(path, work / "out", brush, DEFAULT_BLEND, max(size))
            _, plain, _ = render(path, work / "out", brush, 0.0, max(size)) if brush == "medium" else (None, None, None)
            off = f"{frames / plain:.1f}" if plain else ""
            print(f"| {name} | {brush} | {frames} | {taken:.1f} | {frames / taken:.1f} | {off} |", flush=True)


def paint_frames(path: Path, size: tuple[int, int]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The decoded frames, each painted on its own, and the same steadied: render_clip's steps per frame."""
    engine = get_engine()
    info = clips.probe_clip(path)
    inputs = [frame.image for frame in clips.read_frames(path, info, size)]
    recipe = prepare_mix(engine, inputs[len(inputs) // 2], Controls(brush="medium"), [style()]).recipe
    plain = [apply_recipe(engine, frame, recipe) for frame in inputs]
    steadier = Steadier()
    steady = [steadier.output(apply_recipe(engine, steadier.input(frame), recipe)) for frame in inputs]
    return inputs, plain, steady


def flicker(inputs: list[np.ndarray], results: list[np.ndarray]) -> float:
    """Mean frame-to-frame change of the results over that of the input frames."""
    changes = [difference(results[i], results[i - 1]) for i in range(1, len(inputs))]
    return float(np.mean(changes) / np.mean([difference(inputs[i], inputs[i - 1]) for i in range(1, len(inputs))]))


def warped_difference(results: list[np.ndarray], flows: list[np.ndarray]) -> float:
    """Mean difference of each result from the previous one carried by the input's flow."""
    return float(np.mean([difference(results[i], warp(results[i - 1], flows[i - 1])) for i in range(1, len(results))]))


def behind_subject(results: list[np.ndarray], plain: list[np.ndarray], size: tuple[int, int], step: int) -> float:
    """Largest difference from the frame's own painting in the strip a moving subject has just left."""
    side = top = size[1] // 3
    strips = []
    for i in range(5, len(results)):
        left = min(size[0] - side, 8 + i * step)
        strip = np.s_[top : top + side, left - step : left]
        strips.append(difference(results[i][strip], plain[i][strip]))
    return max(strips)


def steadiness(work: Path, sheet: Path | None) -> None:
    size = SIZES["480p"]
    step = 12
    made = {
        "still, noise sigma 2": clipmaker.still_noisy(size, 50, sigma=2.0),
        "pan, 4 px a frame": clipmaker.pan(size, 50, step=4),
        f"moving subject, {step} px a frame": clipmaker.moving_subject(size, 50, step=step),
    }
    flow = FlowEstimator()
    print("\n## Steadiness at 480p, medium brush, before the encoder (2 s, 50 frames)\n")
    print("| clip | measure | steadying off | on | steadied frame vs its own painting |")
    print("| --- | --- | --- | --- | --- |")
    shown = {}
    for name, frames in made.items():
        path = clipmaker.write_clip(work / "steady.mp4", frames, lossless=True)
        inputs, plain, steady = paint_frames(path, size)
        closeness = np.mean([difference(a, b) for a, b in zip(steady, plain, strict=True)])
        if name.startswith("still"):
            label, before, after = "flicker (x the input's change)", flicker(inputs, plain), flicker(inputs, steady)
        elif name.startswith("pan"):
            flows = [flow(inputs[i], inputs[i - 1]) for i in range(1, len(inputs))]
            label = "warped difference"
            before, after = warped_difference(plain, flows), warped_difference(steady, flows)
        else:
            label = "largest difference behind the subject"
            before, after = 0.0, behind_subject(steady, plain, size, step)
        print(f"| {name} | {label} | {before:.4f} | {after:.4f} | {closeness:.4f} |", flush=True)
        shown[name] = (inputs, plain, steady)
    if sheet:
        rows = []
        for name in (f"moving subject, {step} px a frame", "still, noise sigma 2"):
            inputs, plain, steady = shown[name]
            for series in (inputs, plain, steady):
                rows.append(np.concatenate([series[i] for i in range(20, 24)], axis=1))
        Image.fromarray(np.concatenate(rows, axis=0)).save(sheet, quality=90)
        print(f"\nSheet: {sheet} (rows: input, single-frame painting, steadied; moving subject then still noise)")


#: Runs ``manage.py`` with the arguments given and prints the process's own peak RSS (VmHWM, kB) at exit:
#: per address space, so neither the parent's pages at fork nor anything before exec count.
PEAK_WRAPPER = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            print('PEAK_KB', line.split()[1])\n"
    "atexit.register(peak)\n"
    "sys.argv = ['manage.py', *sys.argv[1:]]\n"
    "runpy.run_path('manage.py', run_name='__main__')\n"
)


def peak_memory(seconds: float, work: Path) -> None:
    size = SIZES["720p"]
    count = round(seconds * 25)
    path = clipmaker.write_clip(work / "long.mp4", clipmaker.pan(size, count, step=2), audio_seconds=seconds)
    started = time.perf_counter()
    answer = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, "stylize", str(path), str(STYLE), "-o", str(work / "long-out.mp4")],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    taken = time.perf_counter() - started
    peak = int(answer.stdout.rsplit("PEAK_KB", 1)[1].split()[0]) / 1024
    print(f"\n## Memory: a {seconds:g} s 720p clip ({count} frames), medium brush, manage.py stylize\n")
    print(f"Peak RSS {peak:.0f} MB (VmHWM; engine included); {taken:.0f} s in all, model load included.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rss-seconds", type=float, default=15.0)
    parser.add_argument("--sheet", type=Path)
    parser.add_argument("--skip", nargs="*", default=[], choices=["speed", "steadiness", "memory"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="picstylist-clips-") as folder:
        work = Path(folder)
        if "steadiness" not in args.skip:
            steadiness(work, args.sheet)
        if "speed" not in args.skip:
            speed(args.seconds, work)
        if "memory" not in args.skip:
            peak_memory(args.rss_seconds, work)


if __name__ == "__main__":
    main()
