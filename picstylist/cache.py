"""The embedded default's cache: Django's file-based cache with atomic counters.

django-ratelimit counts with ``cache.add`` then ``cache.incr``. Django's
``FileBasedCache`` does both as a read then a write with nothing between, so
requests arriving together all read the same count (12 parallel sign-ups from
one address all passed a limit of 10), and its ``incr`` rewrites the entry
with the default timeout, ending an hourly window after five minutes. Here
both run under one exclusive lock (``fcntl.flock`` on a file in the cache
folder, shared by every process and thread on the machine), and ``incr``
keeps the entry's expiry. Production uses Redis (``CACHE_URL``), whose
counters are atomic already.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


class LockedFileBasedCache(FileBasedCache):
    """Django's file cache with ``add`` and ``incr`` atomic across processes (an ``flock`` around each)."""

    if TYPE_CHECKING:  # FileBasedCache's private helpers, which the stubs leave out
        _dir: str

        def _createdir(self) -> None: ...

        def _key_to_file(self, key: str, version: int | None = None) -> str: ...

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._createdir()
        with open(os.path.join(self._dir, "counters.lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta: int = 1, version=None) -> int:
        """Add ``delta`` to the number at ``key``, keeping its expiry; ValueError if it is missing."""
        with self._locked():
            try:
                with open(self._key_to_file(key, version), "rb") as handle:
                    expiry = pickle.load(handle)  # noqa: S301 - our own cache file, as Django reads it
                    value = pickle.loads(zlib.decompress(handle.read()))  # noqa: S301
            except FileNotFoundError:
                value, expiry = None, 0
            remaining = None if expiry is None else expiry - time.time()
            if value is None or (remaining is not None and remaining <= 0):
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            self.set(key, new_value, timeout=None if remaining is None else max(remaining, 1), version=version)
            return new_value
