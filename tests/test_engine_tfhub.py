"""The tfhub engine, loaded through tensorflow_hub from a tiny SavedModel of the same signature.

The real model cannot be downloaded here, so each test builds a SavedModel
whose ``__call__(content, style)`` returns ``[0.5 * content + 0.5 * mean(style)]``
and loads it the way production does: a local directory handle, or a URL
handle resolved from ``TFHUB_CACHE_DIR``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from stylizer.engines import EngineUnavailable, TfHubEngine, prepare_style_image

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tfhub

HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    class TinyStylizer(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None, None, 3], tf.float32),
                tf.TensorSpec([None, None, None, 3], tf.float32),
            ]
        )
        def __call__(self, content, style):
            return [0.5 * content + 0.5 * tf.reduce_mean(style, axis=[1, 2], keepdims=True)]

    path = tmp_path_factory.mktemp("tiny_stylizer")
    tf.saved_model.save(TinyStylizer(), str(path))
    return path


def expected(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    style_mean = prepare_style_image(style)[0].reshape(-1, 3).mean(axis=0)
    value = 0.5 * content.astype(np.float32) / 255 + 0.5 * style_mean
    return np.clip(np.rint(value * 255), 0, 255).astype(np.uint8)


def test_local_directory_handle(saved_model):
    engine = TfHubEngine(str(saved_model))
    rng = np.random.default_rng(0)
    content = rng.integers(0, 256, (77, 101, 3), dtype=np.uint8)
    style = rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)
    output = engine.stylize(content, style)
    assert output.shape == (77, 101, 3)
    assert output.dtype == np.uint8
    assert np.abs(output.astype(int) - expected(content, style)).max() <= 1


def test_url_handle_resolved_from_tfhub_cache_dir(saved_model, tmp_path, monkeypatch):
    cache = tmp_path / "tfhub_cache"
    shutil.copytree(saved_model, cache / hashlib.sha1(HANDLE.encode()).hexdigest())  # noqa: S324 - hub's own key
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    engine = TfHubEngine(HANDLE)
    content = np.full((40, 60, 3), 100, dtype=np.uint8)
    style = np.full((256, 256, 3), 200, dtype=np.uint8)
    output = engine.stylize(content, style)
    assert output.shape == (40, 60, 3)
    assert set(np.unique(output)) == {150}


def test_unloadable_handle_names_it_and_says_how_to_provide_it(tmp_path, monkeypatch):
    missing = str(tmp_path / "no-such-model")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(EngineUnavailable) as info:
        TfHubEngine(missing)
    message = str(info.value)
    assert missing in message
    assert "STYLIZER_TFHUB_HANDLE" in message
    assert "TFHUB_CACHE_DIR" in message


def test_runtime_builds_the_tfhub_engine_from_settings(saved_model, settings):
    from stylizer.runtime import build_engine

    settings.STYLIZER_TFHUB_HANDLE = str(saved_model)
    engine = build_engine("tfhub")
    assert engine.name == "tfhub"
    assert engine.stylize(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8)).shape == (8, 8, 3)
