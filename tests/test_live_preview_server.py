"""The live preview's server side: the styles' bottlenecks (public styles for all, private ones for their
owner), the pages' settings for the script, a Content-Security-Policy that allows WebAssembly on those pages
only, and the browser's files, fetched by the lock file's integrity (stylizer.browser_assets)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from gallery.models import Style
from stylizer import browser_assets
from stylizer.painting import BRUSH_SIDES

from .helpers import make_stylization, png_bytes

ROOT = Path(__file__).resolve().parent.parent


def test_a_style_bottleneck_is_given_to_who_may_see_the_style(alice_client, alice, public_style, bob):
    client = Client()
    url = f"/styles/{public_style.pk}/bottleneck/"
    answer = client.get(url).json()
    assert answer == {"bottleneck": None, "image": f"/styles/{public_style.pk}/image/"}
    assert client.get(url)["Cache-Control"] == "no-store"  # asked again once the worker has computed it

    values = [round(0.01 * i, 2) for i in range(100)]
    Style.objects.filter(pk=public_style.pk).update(bottleneck=values)
    response = client.get(url)
    assert response.json()["bottleneck"] == values
    assert response["Cache-Control"] == "private, max-age=3600"

    private = Style.objects.create_from_image(public_style_image(), title="Mine", owner=bob, is_public=False)
    assert client.get(f"/styles/{private.pk}/bottleneck/").status_code == 404
    assert alice_client.get(f"/styles/{private.pk}/bottleneck/").status_code == 404
    assert alice_client.post(url).status_code == 405


def public_style_image():
    from PIL import Image

    return Image.new("RGB", (300, 200), (200, 120, 40))


def test_webassembly_is_allowed_on_the_preview_pages_only(alice_client, alice, public_style):
    row = make_stylization(alice, public_style, png_bytes())
    for path in ("/", "/camera/", f"/s/{row.pk}/restyle/"):
        policy = alice_client.get(path)["Content-Security-Policy"]
        assert "script-src 'self' 'wasm-unsafe-eval'" in policy, path
        assert "unsafe-inline" not in policy and "'unsafe-eval'" not in policy
    for path in ("/gallery/", "/mine/", f"/s/{row.pk}/", "/styles/"):
        assert "wasm" not in alice_client.get(path)["Content-Security-Policy"], path
    assert "wasm" not in Client().get("/")["Content-Security-Policy"]  # the visitors' welcome page


def test_the_pages_give_the_script_what_the_worker_paints_with(alice_client, alice, public_style):
    page = alice_client.get("/").content.decode()
    config = json.loads(page.split('id="preview-config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["brush_sides"] == BRUSH_SIDES
    assert (config["probe_side"], config["preview_side"], config["default_max_side"]) == (384, 384, 1024)
    assert config["runtime"].startswith("/static/browser/onnxruntime-web/ort.wasm.min")
    assert config["enabled"] is True and config["photo"] is None
    assert "data-live-preview" in page
    row = make_stylization(alice, public_style, png_bytes())
    page = alice_client.get(f"/s/{row.pk}/restyle/").content.decode()
    assert f'"photo": "/s/{row.pk}/photo/"' in page
    assert alice_client.get("/camera/").status_code == 200


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_the_runtime_is_taken_only_when_its_integrity_matches(tmp_path):
    data = _tarball({name: name.encode() for name in browser_assets.RUNTIME_FILES})
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    browser_assets.check_integrity(data, integrity)
    with pytest.raises(browser_assets.AssetError, match="integrity mismatch"):
        browser_assets.check_integrity(data + b"x", integrity)
    with pytest.raises(browser_assets.AssetError, match="integrity mismatch"):
        # a weaker hash of the right bytes is not taken in place of sha512
        browser_assets.check_integrity(data, "sha1-" + base64.b64encode(hashlib.sha1(data).digest()).decode())  # noqa: S324

    browser_assets.unpack(data, tmp_path / "ort")
    assert (tmp_path / "ort" / "ort.wasm.min.mjs").read_bytes() == b"dist/ort.wasm.min.mjs"
    with pytest.raises(browser_assets.AssetError, match="not in the onnxruntime-web tarball"):
        browser_assets.unpack(_tarball({"dist/other.js": b""}), tmp_path / "other")


def test_the_lock_file_pins_the_runtime_with_an_integrity():
    package = browser_assets.locked_package(ROOT / "package-lock.json")
    declared = json.loads((ROOT / "package.json").read_text())["dependencies"]["onnxruntime-web"]
    assert package["version"] == declared  # an exact version, no range
    assert package["resolved"] == f"https://registry.npmjs.org/onnxruntime-web/-/onnxruntime-web-{declared}.tgz"
    assert package["integrity"].startswith("sha512-")


def test_the_built_files_are_the_graph_the_worker_runs():
    """bin/test runs ``manage.py browser_assets`` first; the graph served is the engine's own."""
    import onnx

    from stylizer.engines.rewrites import build_transfer_graph

    folder = Path(settings.BROWSER_ASSETS_DIR)
    served = onnx.load(str(folder / browser_assets.TRANSFER_NAME))
    assert served.SerializeToString() == build_transfer_graph().SerializeToString()
    assert [i.name for i in served.graph.input][1] == "mobilenet_conv/Conv/BiasAdd"
    stamp = json.loads((folder / browser_assets.STAMP_NAME).read_text())
    assert stamp["package"] == browser_assets.locked_package(ROOT / "package-lock.json")
    assert (folder / "onnxruntime-web" / "ort-wasm-simd-threaded.wasm").stat().st_size > 1_000_000


def test_pages_are_cross_origin_isolated_unless_turned_off(alice_client, settings):
    response = alice_client.get("/")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Embedder-Policy"] == "credentialless"
    assert Client().get("/healthz")["Cross-Origin-Embedder-Policy"] == "credentialless"
    settings.CROSS_ORIGIN_EMBEDDER_POLICY = ""
    assert "Cross-Origin-Embedder-Policy" not in alice_client.get("/")
