"""Picture quality: writes benchmarks/QUALITY.md and the picture sheets under docs/quality/.

    .venv/bin/python benchmarks/quality.py [--quick]

Measures, on the five shared photos and the ten shared paintings
(../shared/testdata), with the onnx engine (stylizer.measures):

- the strength curve: change from the photo at 0/25/50/75/100 %, over the
  full style's, today's controls against the bottleneck interpolation alone
  (the network as shipped, at the photo's size: how it was before);
- scale consistency: the 2048 and 4096 px results downscaled to 1024 px
  against the 1024 px result (photos upscaled with Lanczos to 4096 px: they
  are 451-1000 px), and the same for the network run at the output size;
- edge keeping: the photo's finest detail carried by the 2048 px result,
  against the 1024 px result upscaled;
- artefacts at 1024 px: the grid share in flat areas and the border's noise,
  with and without the two fixes (bilinear upsampling, the border margin);
- a worker's peak RSS and time for 512-4096 px results through
  ``manage.py stylize`` (the site's code path), from a 20-megapixel JPEG.

Sheets (JPEG): photo and strengths, brush sizes, colours, 1024 px against
2048 px crops at the same scale, and the artefacts before and after at 4x zoom.
``--quick`` uses two photos and three paintings. About 6 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stylizer import engines  # noqa: E402
from stylizer.engines import OnnxEngine, OnnxSession, arrays, mix_bottlenecks  # noqa: E402
from stylizer.measures import (  # noqa: E402
    border_noise,
    edge_keeping,
    grid_share,
    mean_difference,
    resized,
)
from stylizer.painting import BRUSH_SIDES, Controls, paint  # noqa: E402

SHARED = REPO.parent / "shared" / "testdata"
SHEETS = REPO / "docs" / "quality"
STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
LOOKED_AT = "## Looked at"


def load(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def long_side(image: np.ndarray, side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = side / max(height, width)
    return resized(image, (max(1, round(width * scale)), max(1, round(height * scale))))


class Before:
    """The network as it was: nearest-neighbour upsampling, no border margin, run at the output size."""

    def __init__(self) -> None:
        import onnx

        model = engines.make_resolution_independent(
            onnx.load(str(engines.onnx_model_dir() / "arbitrary_transform.onnx"))
        )
        model = engines.fuse_instance_norm(engines.drop_redundant_clips(engines.fold_quantization(model)))
        self.session = OnnxSession(model.SerializeToString(), "openvino", engines.default_intra_op_threads())

    def transfer(self, content: np.ndarray, bottleneck: np.ndarray) -> np.ndarray:
        border = arrays.TRANSFER_BORDER  # read where it is defined, so patched there
        arrays.TRANSFER_BORDER = 0
        try:
            batch, size = engines._content_batch(content)
            content_input, bottleneck_input = self.session.input_names
            feeds = {content_input: batch, bottleneck_input: np.asarray(bottleneck, np.float32).reshape(1, 1, 1, 100)}
            return engines._to_uint8(self.session.run(feeds)[0], size)
        finally:
            arrays.TRANSFER_BORDER = border


def label(image: np.ndarray, text: str) -> np.ndarray:
    canvas = Image.fromarray(image).copy()
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, 8 + 7 * len(text), 16), fill=(255, 255, 255))
    draw.text((4, 3), text, fill=(0, 0, 0))
    return np.asarray(canvas)


def sheet(rows: list[list[np.ndarray]], path: Path, gap: int = 6) -> None:
    height = sum(max(image.shape[0] for image in row) for row in rows) + gap * (len(rows) + 1)
    width = max(sum(image.shape[1] for image in row) + gap * (len(row) + 1) for row in rows)
    canvas = np.full((height, width, 3), 255, np.uint8)
    top = gap
    for row in rows:
        left = gap
        for image in row:
            canvas[top : top + image.shape[0], left : left + image.shape[1]] = image
            left += image.shape[1] + gap
        top += max(image.shape[0] for image in row) + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).save(path, "JPEG", quality=88)


def zoom(image: np.ndarray, top: int, left: int, side: int, factor: int) -> np.ndarray:
    crop = np.ascontiguousarray(image[top : top + side, left : left + side])
    return np.asarray(Image.fromarray(crop).resize((side * factor, side * factor), Image.Resampling.NEAREST))


def flattest(photo: np.ndarray, side: int) -> tuple[int, int]:
    luma = photo.astype(np.float32).mean(2)
    best = None
    for top in range(0, photo.shape[0] - side, side // 2):
        for left in range(0, photo.shape[1] - side, side // 2):
            spread = float(luma[top : top + side, left : left + side].std())
            if best is None or spread < best[0]:
                best = (spread, top, left)
    return best[1], best[2]


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {np.mean(values):.3f} / {max(values):.3f}"


WORKER_CODE = """
import io, json, os, sys, time
sys.path.insert(0, {repo!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "picstylist.settings")
import django
django.setup()
from stylizer.painting import Controls
from stylizer.runtime import get_engine, warm_up
from stylizer.render import encode_result, render
warm_up(get_engine(), 1024)  # as a worker child does when it starts (STYLIZER_WARMUP_SIDE)
rows = []
for path, side in {jobs!r}:
    started = time.perf_counter()
    with open(path, "rb") as photo, open({style!r}, "rb") as style:
        result, _ = render(photo, [style], max_side=side, controls=Controls(strength=0.6))
    encode_result(result, started)  # the result and thumbnail JPEGs, as the task stores them
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    rows.append([os.path.basename(path), side, int(hwm.split()[1]) / 1024, time.perf_counter() - started])
print(json.dumps(rows))
"""


def peak_rss_run(command: list[str]) -> tuple[float, str]:
    """Run ``command`` under ``/usr/bin/time -f %M``; its peak RSS in MB and its stdout.

    (A child's ``ru_maxrss`` from wait4 would carry this process's own peak.)
    """
    process = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, cwd=REPO)
    if process.returncode:
        raise RuntimeError(f"{command} failed: {process.stderr}")
    return int(process.stderr.strip().splitlines()[-1]) / 1024, process.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two photos, three paintings")
    args = parser.parse_args()
    photos = sorted(p for p in (SHARED / "content").iterdir() if p.suffix in {".png", ".jpg"})
    paintings = sorted(p for p in (SHARED / "styles").iterdir() if p.suffix == ".jpg")
    if args.quick:
        photos, paintings = photos[:2], paintings[:3]
    started = time.perf_counter()
    engine, before = OnnxEngine(), Before()
    bottleneck = {p.name: engine.style_bottleneck(load(p)) for p in photos + paintings}
    lines: list[str] = []

    def painted(photo: np.ndarray, photo_name: str, style: str, **controls) -> np.ndarray:
        return paint(
            engine,
            photo,
            Controls(**controls),
            style_bottlenecks=[bottleneck[style]],
            weights=[1.0],
            content_bottleneck=bottleneck[photo_name],
        )

    # 1. Strength
    now_curves, old_curves = [], []
    for photo_path in photos:
        photo = load(photo_path)
        for style_path in paintings:
            b, c = bottleneck[style_path.name], bottleneck[photo_path.name]
            now = [
                mean_difference(painted(photo, photo_path.name, style_path.name, strength=s), photo) for s in STRENGTHS
            ]
            old = [mean_difference(before.transfer(photo, mix_bottlenecks([b], [1], c, s)), photo) for s in STRENGTHS]
            now_curves.append(now)
            old_curves.append(old)
    now_curves, old_curves = np.array(now_curves), np.array(old_curves)
    monotonic = int(sum(all(np.diff(curve) > 0) for curve in now_curves))
    in_band = int(sum(0.3 <= curve[2] / curve[4] <= 0.7 for curve in now_curves))
    lines += [
        "## Strength",
        "",
        f"{len(now_curves)} pairs (every photo at its own size with every painting). Mean absolute difference from",
        "the photo on [0, 1]; min / mean / max over the pairs. *Before*: the bottleneck interpolation alone, the",
        "network at the photo's size (the site until now). *Now*: `stylizer.painting` (medium brush).",
        "",
        "| strength | before: change | now: change | now: change / change at 100 % |",
        "| --- | --- | --- | --- |",
    ]
    for index, strength in enumerate(STRENGTHS):
        ratio = now_curves[:, index] / now_curves[:, -1]
        lines.append(
            f"| {strength:.0%} | {spread(list(old_curves[:, index]))} | {spread(list(now_curves[:, index]))} "
            f"| {spread(list(ratio))} |"
        )
    lines += [
        "",
        f"Now: 0 % differs from the photo by at most {now_curves[:, 0].max() * 255:.2f}/255; the change grows with "
        f"strength in {monotonic} of {len(now_curves)} pairs; 50 % lands within 30-70 % of the full change in "
        f"{in_band} of {len(now_curves)}.",
        "",
    ]

    # 2. Scale consistency, edge keeping, and the sheets of 1024 against 2048 px
    consistency = {2048: [], 4096: []}
    old_consistency, keeping_now, keeping_up = [], [], []
    crops = []
    for photo_path in photos:
        large = long_side(load(photo_path), 4096)
        sized = {side: long_side(large, side) for side in (1024, 2048, 4096)}
        for index, style_path in enumerate(paintings):
            results = {side: painted(sized[side], photo_path.name, style_path.name) for side in sized}
            small = (results[1024].shape[1], results[1024].shape[0])
            for side in (2048, 4096):
                consistency[side].append(mean_difference(resized(results[side], small), results[1024]))
            up = resized(results[1024], (results[2048].shape[1], results[2048].shape[0]))
            keeping_now.append(edge_keeping(results[2048], sized[2048]))
            keeping_up.append(edge_keeping(up, sized[2048]))
            if index < 2:
                b = bottleneck[style_path.name]
                old_2048 = before.transfer(sized[2048], b)
                old_1024 = before.transfer(sized[1024], b)
                old_consistency.append(mean_difference(resized(old_2048, small), old_1024))
                if index == 0:
                    top, left = sized[2048].shape[0] // 2 - 192, sized[2048].shape[1] // 2 - 192
                    crops.append(
                        [
                            label(zoom(up, top, left, 384, 1), "1024 px, upscaled"),
                            label(zoom(results[2048], top, left, 384, 1), "2048 px, now"),
                            label(zoom(old_2048, top, left, 384, 1), "2048 px, before"),
                        ]
                    )
    sheet(crops, SHEETS / "scale-1024-vs-2048.jpg")
    lines += [
        "## Brush size: the same painting at every output size",
        "",
        "Each photo upscaled (Lanczos) to 4096 px on its long side, then fitted to 1024, 2048 and 4096 px and",
        "stylized (medium brush); each large result downscaled to 1024 px and compared with the 1024 px result.",
        "*Before*: the network run at the output size (two paintings per photo).",
        "",
        "| comparison | mean difference, min / mean / max |",
        "| --- | --- |",
        f"| before: 2048 px -> 1024 px against 1024 px | {spread(old_consistency)} |",
        f"| now: 2048 px -> 1024 px against 1024 px | {spread(consistency[2048])} |",
        f"| now: 4096 px -> 1024 px against 1024 px | {spread(consistency[4096])} |",
        "",
        "Edge keeping: correlation of the 2048 px result's finest detail (above 1024 px) with the photo's",
        "(`stylizer.measures.edge_keeping`).",
        "",
        "| result | edge keeping, min / mean / max |",
        "| --- | --- |",
        f"| 2048 px result | {spread(keeping_now)} |",
        f"| 1024 px result upscaled to 2048 px | {spread(keeping_up)} |",
        "",
    ]

    # 3. Artefacts at 1024 px
    grid_before, grid_now, grid_photo, border_before, border_now, border_photo = [], [], [], [], [], []
    artefact_rows = []
    for photo_path in photos:
        photo = long_side(load(photo_path), 1024)
        for index, style_path in enumerate(paintings):
            old = before.transfer(photo, bottleneck[style_path.name])
            now = painted(photo, photo_path.name, style_path.name)
            grid_before.append(grid_share(old, photo))
            grid_now.append(grid_share(now, photo))
            border_before.append(border_noise(old))
            border_now.append(border_noise(now))
            if index == 0:
                grid_photo.append(grid_share(photo, photo))
                border_photo.append(border_noise(photo))
                top, left = flattest(photo, 96)
                artefact_rows.append(
                    [
                        label(zoom(old, top, left, 96, 4), "before (flat area, 4x)"),
                        label(zoom(now, top, left, 96, 4), "now"),
                        label(zoom(old, 0, 0, 96, 4), "before (corner, 4x)"),
                        label(zoom(now, 0, 0, 96, 4), "now"),
                    ]
                )
    sheet(artefact_rows, SHEETS / "artefacts-before-after.jpg")
    lines += [
        "## Artefacts at 1024 px",
        "",
        "Grid share: the share of luminance power at the 4 px grid's frequencies in the photo's 8 flattest 64 px",
        "blocks (`grid_share`). Border noise: high-frequency energy of the outer 4 px over that 8-40 px in",
        "(`border_noise`; about 1 when the edge is like the inside).",
        "",
        "| measure | photo | before | now |",
        "| --- | --- | --- | --- |",
        f"| grid share | {spread(grid_photo)} | {spread(grid_before)} | {spread(grid_now)} |",
        f"| border noise | {spread(border_photo)} | {spread(border_before)} | {spread(border_now)} |",
        "",
    ]

    # 4. Sheets: strengths and brushes
    strength_rows, brush_rows = [], []
    for photo_path, style_path in zip(photos, paintings[:: max(1, len(paintings) // len(photos))], strict=False):
        photo = load(photo_path)
        thumb = (300, round(300 * photo.shape[0] / photo.shape[1]))
        strength_rows.append(
            [label(resized(photo, thumb), photo_path.stem)]
            + [
                label(resized(painted(photo, photo_path.name, style_path.name, strength=s), thumb), f"{s:.0%}")
                for s in STRENGTHS
            ]
        )
        brush_rows.append(
            [label(resized(photo, thumb), style_path.stem[:24])]
            + [
                label(resized(painted(photo, photo_path.name, style_path.name, brush=brush), thumb), brush)
                for brush in BRUSH_SIDES
            ]
        )
    sheet(strength_rows, SHEETS / "strength.jpg")
    sheet(brush_rows, SHEETS / "brush.jpg")
    colour_rows = []
    colour_pairs = (("rocket.jpg", "wheat_field_with_cypresses.jpg"), ("chelsea.png", "starry_night.jpg"))
    for photo_name, style_name in colour_pairs:
        if photo_name not in bottleneck or style_name not in bottleneck:
            continue
        photo = load(SHARED / "content" / photo_name)
        thumb = (360, round(360 * photo.shape[0] / photo.shape[1]))
        colour_rows.append(
            [label(resized(photo, thumb), photo_name.split(".")[0])]
            + [
                label(resized(painted(photo, photo_name, style_name, colors=c), thumb), f"colours {c:.0%}")
                for c in (0.0, 0.5, 1.0)
            ]
        )
    if colour_rows:
        sheet(colour_rows, SHEETS / "colours.jpg")

    # 5. Memory and time through manage.py stylize, and in a worker-like process
    memory_rows, worker_rows = [], []
    style = SHARED / "styles" / "starry_night.jpg"
    with tempfile.TemporaryDirectory() as folder:
        jpeg, png = Path(folder) / "photo.jpg", Path(folder) / "photo.png"
        Image.fromarray(long_side(load(SHARED / "content" / "hubble_deep_field.jpg"), 5472)).save(jpeg, quality=92)
        Image.fromarray(long_side(load(SHARED / "content" / "rocket.jpg"), 8600)).save(png, compress_level=1)
        sizes = {path: Image.open(path).size for path in (jpeg, png)}
        for side in (1024, 512, 1024, 2048, 4096):  # the first run only loads the libraries from disk
            command = [sys.executable, "manage.py", "stylize", str(jpeg), str(style)]
            command += ["--strength", "60", "--max-side", str(side), "-o", str(Path(folder) / f"out{side}.jpg")]
            rss, out = peak_rss_run(command)
            seconds = float(re.search(r"stylized in ([0-9.]+) s", out).group(1))
            memory_rows.append(f"| {side} px | {rss:.0f} MB | {seconds:.2f} s |")
        del memory_rows[0]
        jobs = [(str(jpeg), 1024), (str(jpeg), 4096), (str(png), 4096), (str(jpeg), 2048), (str(jpeg), 4096)]
        code = WORKER_CODE.format(repo=str(REPO), jobs=jobs, style=str(style))
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        if output.returncode:
            raise RuntimeError(f"the worker-like process failed: {output.stderr}")
        for name, side, peak, seconds in json.loads(output.stdout.strip().splitlines()[-1]):
            width, height = sizes[Path(folder) / name]
            photo = f"{name} ({width} x {height}, {width * height / 1e6:.0f} MP)"
            worker_rows.append(f"| {photo} | {side} px | {peak:.0f} MB | {seconds:.2f} s |")
    megapixels = sizes[jpeg][0] * sizes[jpeg][1] / 1e6
    lines += [
        "## Prints: memory and time",
        "",
        f"`manage.py stylize` (the worker's code path, strength 60 %) on a {megapixels:.0f}-megapixel JPEG;",
        "peak RSS of the whole process (Django, both networks, the photo decoded), time from decoding",
        "to the painted array.",
        "",
        "| result's long side | peak RSS | time |",
        "| --- | --- | --- |",
        *memory_rows,
        "",
        "A worker-like process: Django set up, the engine built and warmed up at 1024 px as a worker child",
        "does, then these jobs in turn through `stylizer.render.render` and `encode_result`; its peak RSS",
        "(VmHWM) after each, and each job's time including the JPEG encoding.",
        "",
        "| photo | result | peak RSS so far | time |",
        "| --- | --- | --- | --- |",
        *worker_rows,
        "",
    ]

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    header = [
        "# Picture quality",
        "",
        f"Written by `benchmarks/quality.py` on {time.strftime('%Y-%m-%d')}, {cpu}, {os.cpu_count()} cores, "
        f"in {time.perf_counter() - started:.0f} s. Sheets: `docs/quality/`.",
        "",
    ]
    # What a person saw on the sheets is written by hand below LOOKED_AT and kept on each run.
    target = REPO / "benchmarks" / "QUALITY.md"
    previous = target.read_text() if target.exists() else ""
    looked_at = previous[previous.index(LOOKED_AT) :] if LOOKED_AT in previous else LOOKED_AT + "\n\n(not yet)\n"
    target.write_text("\n".join(header + lines) + "\n" + looked_at)
    print("\n".join(header + lines))


if __name__ == "__main__":
    main()
