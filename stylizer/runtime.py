"""One engine per process, built on first use after any fork.

Celery's prefork pool forks children from a parent that imports the tasks;
onnxruntime and TensorFlow sessions must not cross that fork. The cache is
keyed by process id, so a child never reuses an engine its parent built.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
from django.conf import settings

from .engines import (
    OnnxEngine,
    StylizationEngine,
    TfHubEngine,
    default_intra_op_threads,
    return_freed_memory_to_system,
)
from .registry import ENGINE_NAMES, ONNX_ENGINE, TFHUB_ENGINE

_lock = threading.Lock()
_engines: dict[tuple[int, str], StylizationEngine] = {}


def build_engine(name: str) -> StylizationEngine:
    """Build a new engine from settings. Raises :class:`stylizer.engines.EngineUnavailable` or ValueError."""
    return_freed_memory_to_system()  # a worker's image buffers go back after each photo
    threads = settings.STYLIZER_INTRA_OP_THREADS or default_intra_op_threads(settings.CELERY_WORKER_CONCURRENCY)
    if name == ONNX_ENGINE:
        return OnnxEngine(
            intra_op_threads=threads,
            float_weights=settings.STYLIZER_ONNX_FLOAT_WEIGHTS,
            runtime=settings.STYLIZER_ONNX_RUNTIME,
            tile_side=settings.STYLIZER_TILE_SIDE,
        )
    if name == TFHUB_ENGINE:
        return TfHubEngine(settings.STYLIZER_TFHUB_HANDLE, intra_op_threads=threads)
    raise ValueError(f"Unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")


def get_engine(name: str | None = None) -> StylizationEngine:
    """The engine ``name`` (default ``settings.STYLIZER_ENGINE``) of this process."""
    name = name or settings.STYLIZER_ENGINE
    key = (os.getpid(), name)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = build_engine(name)
        return engine


def warm_up(engine: StylizationEngine, side: int) -> float:
    """Run ``engine`` once on a gray ``side`` x ``side`` px photo and a gray 256 px style; seconds taken.

    onnxruntime (and TensorFlow) set up kernels and buffers on the first
    call; doing it at worker start spares the first user's job.
    """
    started = time.perf_counter()
    gray = np.full((side, side, 3), 128, dtype=np.uint8)
    engine.stylize(gray, np.full((256, 256, 3), 128, dtype=np.uint8))
    return time.perf_counter() - started


__all__ = ["build_engine", "get_engine", "warm_up"]
