"""The picture: strength, brush size, colours and artefacts, on the shared photos and paintings.

Every figure here is measured on the real network (stylizer.measures); the
values seen are in QUALITY.md (benchmarks/quality.py).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from stylizer import painting
from stylizer.engines import (
    OnnxEngine,
    OnnxSession,
    _content_batch,
    _to_uint8,
    arrays,
    drop_redundant_clips,
    fold_quantization,
    fuse_instance_norm,
    make_resolution_independent,
    onnx_model_dir,
)
from stylizer.measures import border_noise, edge_keeping, grid_share, mean_difference, resized
from stylizer.painting import Controls, bring_to_size, mix_colors, paint, working_size

from .helpers import CONTENT_DIR, STYLES_DIR, load_rgb

PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "rocket.jpg"]
PAIRS = [
    ("astronaut.png", "udnie.jpg"),
    ("chelsea.png", "wheat_field_with_cypresses.jpg"),
    ("coffee.png", "the_scream.jpg"),
    ("hubble_deep_field.jpg", "great_wave_off_kanagawa.jpg"),
    ("rocket.jpg", "starry_night.jpg"),
]


@pytest.fixture(scope="module")
def engine() -> OnnxEngine:
    return OnnxEngine(intra_op_threads=2)


@pytest.fixture(scope="module")
def bottleneck(engine):
    cache: dict[str, np.ndarray] = {}

    def of(name: str) -> np.ndarray:
        if name not in cache:
            folder = STYLES_DIR if (STYLES_DIR / name).exists() else CONTENT_DIR
            cache[name] = engine.style_bottleneck(load_rgb(folder / name))
        return cache[name]

    return of


def painted(engine, bottleneck, photo: np.ndarray, photo_name: str, style: str, **controls) -> np.ndarray:
    return paint(
        engine,
        photo,
        Controls(**controls),
        style_bottlenecks=[bottleneck(style)],
        weights=[1.0],
        content_bottleneck=bottleneck(photo_name),
    )


@pytest.mark.parametrize(("photo_name", "style"), PAIRS)
def test_strength_goes_from_the_photo_to_the_full_style_in_even_steps(engine, bottleneck, photo_name, style):
    photo = load_rgb(CONTENT_DIR / photo_name)
    changes = [
        mean_difference(painted(engine, bottleneck, photo, photo_name, style, strength=strength), photo)
        for strength in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    assert changes[0] < 1 / 255, "0 % is the photo itself"
    assert changes == sorted(changes) and len(set(changes)) == 5, f"the change grows with strength: {changes}"
    assert 0.3 <= changes[2] / changes[4] <= 0.7, f"50 % is halfway: {changes}"
    assert 0.1 <= changes[1] / changes[4] <= 0.4 and 0.6 <= changes[3] / changes[4] <= 0.9, changes


def test_full_strength_is_the_network_at_the_brushs_size(engine, bottleneck):
    photo = resized(load_rgb(CONTENT_DIR / "coffee.png"), (1024, 683))  # the medium brush's own size
    full = painted(engine, bottleneck, photo, "coffee.png", "the_scream.jpg")
    np.testing.assert_array_equal(full, engine.transfer(photo, bottleneck("the_scream.jpg")))
    zero = painted(engine, bottleneck, photo, "coffee.png", "the_scream.jpg", strength=0.0)
    np.testing.assert_array_equal(zero, photo)


@pytest.mark.parametrize(
    ("photo_name", "factor", "style"),
    [("coffee.png", 4, "starry_night.jpg"), ("hubble_deep_field.jpg", 3, "the_scream.jpg")],
)
def test_a_result_looks_the_same_at_1024_and_2048_px_and_keeps_more_edges_at_2048(
    engine, bottleneck, photo_name, factor, style
):
    # The photos are small; upscaled (Lanczos) they stand for a camera's photo.
    original = load_rgb(CONTENT_DIR / photo_name)
    large = resized(original, (original.shape[1] * factor, original.shape[0] * factor))
    height, width = large.shape[:2]
    size_2048 = (2048, round(height * 2048 / width))
    size_1024 = (1024, round(height * 1024 / width))
    photo_2048, photo_1024 = resized(large, size_2048), resized(large, size_1024)
    result_2048 = painted(engine, bottleneck, photo_2048, photo_name, style)
    result_1024 = painted(engine, bottleneck, photo_1024, photo_name, style)
    assert result_2048.shape == (size_2048[1], 2048, 3)
    assert mean_difference(resized(result_2048, size_1024), result_1024) < 0.06
    # the 2048 px result carries the photo's finest edges; the 1024 px one upscaled cannot
    assert edge_keeping(result_2048, photo_2048) > edge_keeping(resized(result_1024, size_2048), photo_2048) + 0.1


@pytest.mark.parametrize("size", [(4096, 128), (128, 4096)])
@pytest.mark.parametrize("brush", ["bold", "fine"])
def test_the_thinnest_photo_the_site_accepts_paints_at_its_own_size(engine, bottleneck, size, brush):
    # 32:1 at 4096 px (gallery.forms.fitted_size_problem); the bold brush paints it at 400 x 12 px
    photo = resized(load_rgb(CONTENT_DIR / "rocket.jpg"), size)
    result = painted(engine, bottleneck, photo, "rocket.jpg", "starry_night.jpg", brush=brush, strength=0.5)
    assert result.shape == (size[1], size[0], 3) and result.dtype == np.uint8
    assert mean_difference(result, photo) > 0.02, "it is painted, not the photo returned"


def test_the_brush_sets_the_stroke_size_relative_to_the_picture(engine, bottleneck):
    photo = load_rgb(CONTENT_DIR / "rocket.jpg")
    results = {
        brush: painted(engine, bottleneck, photo, "rocket.jpg", "starry_night.jpg", brush=brush)
        for brush in painting.BRUSH_SIDES
    }
    assert {result.shape for result in results.values()} == {photo.shape}
    # larger strokes leave less fine texture: the result's high frequencies fall from fine to bold
    texture = [float(np.abs(np.diff(result.astype(np.float32), axis=1)).mean()) for result in results.values()]
    assert texture == sorted(texture, reverse=True), dict(zip(results, texture, strict=True))
    assert working_size((640, 427), "bold") == (400, 267)
    assert working_size((4096, 2731), "medium") == (1024, 683)


def test_colors_go_from_the_photos_chroma_to_the_styles(engine, bottleneck):
    photo = load_rgb(CONTENT_DIR / "chelsea.png")
    full = painted(engine, bottleneck, photo, "chelsea.png", "wheat_field_with_cypresses.jpg")

    def chroma(image: np.ndarray) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.fromarray(image).convert("YCbCr"), dtype=np.float32)[..., 1:]

    distances = []
    for colors in (0.0, 0.5, 1.0):
        result = painted(engine, bottleneck, photo, "chelsea.png", "wheat_field_with_cypresses.jpg", colors=colors)
        distances.append(float(np.abs(chroma(result) - chroma(photo)).mean()))
    assert distances[0] < 2.5 < 8 < distances[2], distances
    assert abs(distances[1] - distances[2] / 2) < 2, distances
    np.testing.assert_array_equal(mix_colors(photo, full, 1.0), full)


def test_bring_to_size_joins_its_strips_exactly(monkeypatch):
    rng = np.random.default_rng(3)
    painted_small = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    photo_small = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    photo = resized(photo_small, (400, 300))
    whole = bring_to_size(painted_small, photo_small, photo, alpha=0.7)
    monkeypatch.setattr(painting, "STRIP_ROWS", 37)
    strips = bring_to_size(painted_small, photo_small, photo, alpha=0.7)
    assert np.abs(whole.astype(int) - strips.astype(int)).max() <= 1
    assert whole.shape == photo.shape


def test_controls_refuse_values_out_of_range():
    for bad in ({"strength": 1.5}, {"colors": -0.1}, {"brush": "huge"}):
        with pytest.raises(ValueError):
            Controls(**bad)


def _nearest_neighbour_engine_output(photo: np.ndarray, style_bottleneck: np.ndarray) -> np.ndarray:
    """The transfer network as shipped (nearest-neighbour upsampling), for the artefact measure's control."""
    model = make_resolution_independent(onnx.load(str(onnx_model_dir() / "arbitrary_transform.onnx")))
    model = fuse_instance_norm(drop_redundant_clips(fold_quantization(model)))
    session = OnnxSession(model.SerializeToString(), "openvino", 2)
    batch, size = _content_batch(photo)
    content_input, bottleneck_input = session.input_names
    return _to_uint8(
        session.run({content_input: batch, bottleneck_input: style_bottleneck.reshape(1, 1, 1, 100)})[0], size
    )


def test_no_grid_in_flat_areas(engine, bottleneck):
    photo = resized(load_rgb(CONTENT_DIR / "coffee.png"), (1024, 683))
    result = painted(engine, bottleneck, photo, "coffee.png", "starry_night.jpg")
    # the shipped network's nearest-neighbour upsampling leaves a 4 px grid; the measure sees it
    nearest = _nearest_neighbour_engine_output(photo, bottleneck("starry_night.jpg"))
    assert grid_share(nearest, photo) > 0.005
    assert grid_share(result, photo) < grid_share(nearest, photo) / 4
    for photo_name, style in PAIRS:
        photo = load_rgb(CONTENT_DIR / photo_name)
        result = painted(engine, bottleneck, photo, photo_name, style)
        assert grid_share(result, photo) < max(0.002, 2 * grid_share(photo, photo)), (photo_name, style)


def _at_side(photo_name: str, side: int) -> np.ndarray:
    original = load_rgb(CONTENT_DIR / photo_name)
    return resized(original, (side, round(original.shape[0] * side / original.shape[1])))


def test_the_border_margin_removes_the_noisy_edge(engine, bottleneck, monkeypatch):
    photo = _at_side("coffee.png", 1024)
    with_margin = engine.transfer(photo, bottleneck("starry_night.jpg"))
    monkeypatch.setattr(arrays, "TRANSFER_BORDER", 0)  # read where it is defined
    without = engine.transfer(photo, bottleneck("starry_night.jpg"))
    assert border_noise(without) > 1.3 > 1.2 > border_noise(with_margin), (border_noise(without), border_noise(photo))


@pytest.mark.parametrize(("side", "limit"), [(1024, 1.2), (2048, 1.3)])
def test_the_border_is_about_as_noisy_as_the_inside(engine, bottleneck, side, limit):
    for photo_name, style in PAIRS[2:]:
        photo = _at_side(photo_name, side)
        # the brush at the output's own size, so the network's border itself is measured
        brush = "fine" if side == 2048 else "medium"
        result = painted(engine, bottleneck, photo, photo_name, style, brush=brush)
        assert border_noise(result) < limit, (photo_name, style, border_noise(result), border_noise(photo))
