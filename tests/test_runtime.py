"""Engines load once per process, after the fork, never at import."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest

from stylizer import runtime

from .helpers import REPO

#: The optional heavy libraries the engines import only when one is built (each module's own name).
HEAVY_LIBRARIES = ("onnx", "onnxruntime", "openvino", "tensorflow")


def test_importing_the_app_and_its_tasks_loads_no_network():
    code = (
        "import sys, django; django.setup();"
        "from picstylist.celery import app; app.loader.import_default_modules();"
        "import gallery.tasks, stylizer.runtime, stylizer.worker, gallery.forms;"
        f"print(sorted(m for m in {HEAVY_LIBRARIES!r} if m in sys.modules), len(stylizer.runtime._engines))"
    )
    env_code = f"import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'picstylist.settings'); {code}"
    output = subprocess.run(
        [sys.executable, "-c", env_code], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert output.strip() == "[] 0"


def test_the_engines_import_without_django_or_a_network_library():
    code = (
        "import sys; from stylizer.engines import OnnxEngine, TfHubEngine, build_transfer_graph;"
        f"print(sorted(m for m in ('django', *{HEAVY_LIBRARIES!r}) if m in sys.modules))"
    )
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert output.strip() == "[]"


def test_engine_is_built_once_per_process(settings):
    first = runtime.get_engine("onnx")
    assert runtime.get_engine("onnx") is first
    assert runtime.get_engine() is first  # STYLIZER_ENGINE defaults to onnx


def _child_gets_its_own_engine(parent_engine, queue) -> None:
    child_engine = runtime.get_engine("onnx")
    queue.put((child_engine is not parent_engine, child_engine is runtime.get_engine("onnx")))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_builds_its_own_engine():
    parent_engine = runtime.get_engine("onnx")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_gets_its_own_engine, args=(parent_engine, queue))
    child.start()
    result = queue.get(timeout=120)
    child.join(timeout=60)
    assert result == (True, True)
    assert child.exitcode == 0


def test_unknown_engine_name_is_refused():
    with pytest.raises(ValueError, match="Unknown engine 'torch'"):
        runtime.build_engine("torch")
