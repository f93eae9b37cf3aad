"""The shape of the code: one direction from the site down to the network, and no import circle.

Every import of ``gallery``, ``stylizer`` and ``picstylist`` is read from the
source (AST), imports inside functions included. See docs/architecture.md.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gallery", "stylizer", "picstylist")
#: What a stylizer library module (engines, pipeline, painting, rendering) never imports:
#: the site, and Django's ORM, HTTP, files, forms and templates. Reading django.conf.settings is fine.
FORBIDDEN_IN_LIBRARY = (
    "gallery",
    "django.db",
    "django.http",
    "django.core.files",
    "django.forms",
    "django.template",
    "django.shortcuts",
    "django.views",
    "django.urls",
    "django.contrib",
)
#: stylizer's Django glue, outside its library: the app config, system checks, commands.
STYLIZER_GLUE = ("stylizer.apps", "stylizer.checks", "stylizer.management")
#: Libraries that may be imported inside a function: optional and heavy, loaded only where used.
LAZY_LIBRARIES = {
    "onnx": "graph rewrites, only when an engine is built",
    "onnxruntime": "one of two runtimes, only when chosen",
    "openvino": "one of two runtimes, only when chosen",
    "tensorflow": "the optional TF Hub engine",
    "tensorflow_hub": "the optional TF Hub engine",
    "botocore": "only with a Spaces bucket",
    "ctypes": "glibc's malloc_trim, only in a worker",
}
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (first-party: resolved to a module that exists)
    line: int
    in_function: bool
    function: str


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path) -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def is_module(name: str, root: Path) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every import in ``path``, relative ones resolved; ``from pkg import name`` names ``pkg.name``
    where that is a module of ours."""
    source = module_name(path, root)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))

    def visit(node: ast.AST, function: str) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(source, alias.name, child.lineno, bool(function), function)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    target = candidate if is_module(candidate, root) else base
                    yield Import(source, target, child.lineno, bool(function), function)
            yield from visit(child, name)

    yield from visit(tree, "")


def first_party(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def all_imports(root: Path) -> list[Import]:
    return [found for path in source_files(root) for found in imports_of(path, root)]


def circles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself), Tarjan."""
    graph: dict[str, set[str]] = {}
    for found in imports:
        if first_party(found.target):
            graph.setdefault(found.source, set()).add(found.target)
            graph.setdefault(found.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found_circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found_circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found_circles


def in_library(module: str) -> bool:
    return module.startswith("stylizer") and not module.startswith(STYLIZER_GLUE)


def layering_faults(imports: list[Import]) -> list[str]:
    """Imports that go the wrong way: stylizer up into gallery (anywhere), or a stylizer library
    module into Django's ORM, HTTP, files, forms or templates."""
    faults = []
    for found in imports:
        if not found.source.startswith("stylizer"):
            continue
        forbidden = FORBIDDEN_IN_LIBRARY if in_library(found.source) else ("gallery",)
        if any(found.target == name or found.target.startswith(name + ".") for name in forbidden):
            faults.append(f"{found.source}:{found.line} imports {found.target}")
    return faults


def function_level_faults(imports: list[Import]) -> list[str]:
    """Imports inside functions that are neither an app's ``ready()`` registering its receivers
    nor a lazy import of an optional heavy library (:data:`LAZY_LIBRARIES`)."""
    faults = []
    for found in imports:
        if not found.in_function:
            continue
        if first_party(found.target) and found.source.endswith(".apps") and found.function == "ready":
            continue
        if found.target.split(".")[0] in LAZY_LIBRARIES:
            continue
        faults.append(f"{found.source}:{found.line} imports {found.target} inside {found.function}()")
    return faults


def test_no_import_circle_anywhere():
    imports = all_imports(ROOT)
    assert len({found.source for found in imports}) > 40  # the walk saw the packages' modules
    assert circles(imports) == []


def test_stylizer_never_imports_the_site_nor_djangos_web_parts():
    assert layering_faults(all_imports(ROOT)) == []


def test_no_function_level_import_but_lazy_heavy_libraries_and_app_ready():
    assert function_level_faults(all_imports(ROOT)) == []


def test_every_module_reads_in_one_sitting():
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in source_files(ROOT)}
    assert {path: lines for path, lines in lengths.items() if lines > MAX_LINES} == {}


def test_the_engines_load_without_django():
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys; from stylizer.engines import OnnxEngine; import stylizer.pipeline, stylizer.painting;"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# The checks themselves, on small trees written here: each fails on what it names.


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A circle through a function-level import counts.
        (
            {
                "gallery/models.py": "def enqueue():\n    from stylizer.tasks import send\n",
                "stylizer/tasks.py": "from gallery.models import Stylization\n",
            },
            [["gallery.models", "stylizer.tasks"]],
        ),
        # Relative imports resolve; a three-module ring is one circle.
        (
            {
                "gallery/a.py": "from .b import x\n",
                "gallery/b.py": "from . import c\n",
                "gallery/c.py": "from gallery import a\n",
            },
            [["gallery.a", "gallery.b", "gallery.c"]],
        ),
        ({"gallery/a.py": "from .b import x\n", "gallery/b.py": "import stylizer.pipeline\n"}, []),
    ],
)
def test_circle_check_finds_circles(tmp_path, files, expected):
    write_tree(tmp_path, files)
    assert circles(all_imports(tmp_path)) == expected


def test_layering_check_finds_wrong_way_imports(tmp_path):
    write_tree(
        tmp_path,
        {
            "stylizer/render.py": "from django.db import models\nfrom django.conf import settings\n",
            "stylizer/engines/onnx.py": "def f():\n    from gallery.models import Style\n",
            "stylizer/management/commands/stylize.py": "from django.core.management.base import BaseCommand\n",
            "stylizer/checks.py": "from django.db import connection\n",
        },
    )
    assert layering_faults(all_imports(tmp_path)) == [
        "stylizer.engines.onnx:2 imports gallery.models",
        "stylizer.render:1 imports django.db",
    ]


def test_function_level_check_allows_only_lazy_libraries_and_ready(tmp_path):
    write_tree(
        tmp_path,
        {
            "gallery/apps.py": "class C:\n    def ready(self):\n        from . import signals\n",
            "gallery/signals.py": "",
            "gallery/views.py": "def view():\n    from .models import Style\n    import json\n",
            "stylizer/engines.py": "def build():\n    import onnx\n    from openvino import Core\n",
        },
    )
    assert function_level_faults(all_imports(tmp_path)) == [
        "gallery.views:2 imports gallery.models inside view()",
        "gallery.views:3 imports json inside view()",
    ]
