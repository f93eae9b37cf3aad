"""Per-process resources of the engines: intra-op threads and freed memory."""

from __future__ import annotations

import os


def return_freed_memory_to_system() -> bool:
    """Make glibc hand large freed blocks back to the system at once (process-wide).

    By default glibc raises its mmap threshold after large frees, so later
    image-sized buffers come from the heap and stay in a worker's RSS. This
    fixes the threshold and the trim threshold at 128 KiB (``mallopt``,
    M_MMAP_THRESHOLD and M_TRIM_THRESHOLD; see mallopt(3)). Returns False
    where the C library is not glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 128 * 1024)) and bool(mallopt(m_trim_threshold, 128 * 1024))


def default_intra_op_threads(concurrency: int = 1) -> int:
    """Threads per process so that threads x worker processes is about the core count (at least 1).

    ``concurrency`` is the number of worker processes sharing the cores; the
    cores are those this process may run on (``sched_getaffinity``), else
    ``os.cpu_count()``.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // max(1, concurrency))
