"""What the benchmark suite shares: paths, the machine, timing and the test images."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from .report import Report

REPO = Path(__file__).resolve().parent.parent
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


def median_seconds(function: Callable[[], object], runs: int) -> float:
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


@dataclass
class Bench:
    """What the suite's sections share: the report, runs per median, threads, and the default engine's inputs.

    ``content`` is the 1024 px astronaut photo; the bottlenecks are the
    engine's for The Starry Night (``bottleneck``) and for that photo.
    """

    report: Report
    runs: int
    threads: int
    engine: Any  # stylizer.engines.OnnxEngine, the default one
    style: np.ndarray
    bottleneck: np.ndarray
    content_bottleneck: np.ndarray
    content: np.ndarray
