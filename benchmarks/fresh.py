"""Measurements in a fresh Python process: cold start, first call after a warm-up, worker RSS, gallery pages."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

from .common import REPO
from .report import Report

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


def memory(report: Report, threads: int) -> None:
    """Worker peak RSS over 50 stylizations of random sizes, tiled (the default) and not, in each runtime."""
    row = report.row
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


def gallery(report: Report) -> None:
    """A gallery page's time with 10,000 stylizations in the database."""
    for url, seconds in gallery_pages().items():
        report.row(f"gallery page {url} with 10,000 stylizations (median of 20)", f"{seconds * 1000:.1f} ms", "≤ 50 ms")
