"""Rendering one photo: decode, fit, paint with a mix of styles, encode. Free of Django's ORM.

The worker (:mod:`gallery.tasks`, through :func:`render_photo`) and
``manage.py stylize`` (through :func:`render`) both paint through
:func:`paint_mix`. Settings read here: ``STYLIZER_MAX_PIXELS``,
``STYLIZER_JPEG_QUALITY``, ``STYLIZER_THUMBNAIL_SIDE`` and the engine's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from django.conf import settings
from PIL import Image

from . import pipeline
from .engines import StylizationEngine, has_bottleneck
from .painting import Controls, PaintRecipe, apply_recipe, prepare_recipe
from .runtime import get_engine


@dataclass(frozen=True)
class RenderedImage:
    """A stylization result: JPEG bytes, thumbnail JPEG bytes, size (width, height) in px, seconds."""

    jpeg: bytes
    thumbnail: bytes
    size: tuple[int, int]
    seconds: float


def encode_result(output: np.ndarray, started: float) -> RenderedImage:
    """Encode a painting (uint8 H x W x 3) as the result JPEG and its thumbnail; ``started``: a ``perf_counter``."""
    result: Image.Image = pipeline.from_array(output)
    quality = settings.STYLIZER_JPEG_QUALITY
    return RenderedImage(
        jpeg=pipeline.encode_jpeg(result, quality),
        thumbnail=pipeline.make_thumbnail(result, settings.STYLIZER_THUMBNAIL_SIDE, quality),
        size=result.size,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class StyleSource:
    """One style of a mix.

    ``weight`` > 0 (any scale); ``image`` the encoded style image, needed when
    ``bottleneck`` is None or the engine has no bottleneck; ``bottleneck`` its
    cached style bottleneck (float32, 100 values) or None.
    """

    weight: float
    image: BinaryIO | None = None
    bottleneck: np.ndarray | None = None


@dataclass(frozen=True)
class Painting:
    """What :func:`paint_mix` made: the painting (uint8 H x W x 3) and the bottlenecks it computed
    (None where it used a cached one or needed none), for the caller to keep."""

    image: np.ndarray
    new_style_bottlenecks: list[np.ndarray | None]
    new_content_bottleneck: np.ndarray | None


@dataclass(frozen=True)
class MixRecipe:
    """What :func:`prepare_mix` made: the recipe to paint with, and the bottlenecks it computed
    (as :class:`Painting`)."""

    recipe: PaintRecipe
    new_style_bottlenecks: list[np.ndarray | None]
    new_content_bottleneck: np.ndarray | None


def prepare_mix(
    engine: StylizationEngine,
    content: np.ndarray,
    controls: Controls,
    styles: Sequence[StyleSource],
    content_bottleneck: np.ndarray | None = None,
) -> MixRecipe:
    """The :class:`stylizer.painting.PaintRecipe` for a mix of 1-3 styles, measured on ``content``.

    ``content`` is uint8 H x W x 3 at the output size (a photo, or a clip's
    representative frame). Each bottleneck is computed only when the engine
    needs it and no cached one is given: a style's from its image, the
    photo's own (``content_bottleneck``) only for a strength strictly between
    0 and 1. An engine without a bottleneck gets the first style's image.

    Raises:
        UnsupportedControl: the engine cannot offer the requested controls.
        ValueError: a style needed without its image.
    """
    weights = [style.weight for style in styles]
    new_style: list[np.ndarray | None] = [None] * len(styles)

    def image_of(index: int) -> np.ndarray:
        source = styles[index].image
        if source is None:
            raise ValueError(f"Style {index + 1} of the mix is needed as an image, and none was given")
        return style_array(source)

    if not has_bottleneck(engine):
        recipe = prepare_recipe(engine, content, controls, weights=weights, style_image=image_of(0))
        return MixRecipe(recipe, new_style, None)
    bottlenecks: list[np.ndarray] = []
    for index, style in enumerate(styles):
        bottleneck = style.bottleneck
        if bottleneck is None:
            bottleneck = new_style[index] = engine.style_bottleneck(image_of(index))
        bottlenecks.append(bottleneck)
    new_content = None
    partial_strength = 0.0 < controls.strength < 1.0
    if partial_strength and content_bottleneck is None:
        content_bottleneck = new_content = engine.style_bottleneck(content)
    recipe = prepare_recipe(
        engine,
        content,
        controls,
        style_bottlenecks=bottlenecks,
        weights=weights,
        content_bottleneck=content_bottleneck if partial_strength else None,
    )
    return MixRecipe(recipe, new_style, new_content)


def paint_mix(
    engine: StylizationEngine,
    content: np.ndarray,
    controls: Controls,
    styles: Sequence[StyleSource],
    content_bottleneck: np.ndarray | None = None,
) -> Painting:
    """Paint ``content`` (uint8 H x W x 3) with a mix of 1-3 styles: :func:`prepare_mix`, then
    :func:`stylizer.painting.apply_recipe`.

    Raises:
        UnsupportedControl: the engine cannot offer the requested controls.
        ValueError: a style needed without its image.
    """
    mix = prepare_mix(engine, content, controls, styles, content_bottleneck)
    output = apply_recipe(engine, content, mix.recipe)
    return Painting(output, mix.new_style_bottlenecks, mix.new_content_bottleneck)


def render(
    content_file: BinaryIO,
    style_files: Sequence[BinaryIO],
    *,
    max_side: int,
    weights: Sequence[float] | None = None,
    controls: Controls | None = None,
    engine_name: str | None = None,
) -> tuple[np.ndarray, float]:
    """Decode, fit and paint one photo with a mix of style images. Pure of Django's ORM.

    Args:
        content_file: binary file object of the encoded photo.
        style_files: 1-3 binary file objects of the encoded style images.
        max_side: long side of the result in px (the content is never upscaled).
        weights: one per style (default: equal); normalised to sum to 1.
        controls: strength, colours and brush.
        engine_name: ``onnx`` or ``tfhub``; default ``settings.STYLIZER_ENGINE``.

    Returns:
        The result (uint8 H x W x 3) and the seconds taken.

    Raises:
        pipeline.ImageRejected: a file cannot be decoded or is too large.
        EngineUnavailable: the engine's model cannot be loaded.
        UnsupportedControl: the engine cannot offer the requested controls.
    """
    started = time.perf_counter()
    engine = engine_for(engine_name, max_side)
    content = pipeline.to_array(content_image(content_file, max_side))
    weights = weights or [1.0] * len(style_files)
    styles = [StyleSource(weight, image=style_file) for weight, style_file in zip(weights, style_files, strict=True)]
    painting = paint_mix(engine, content, controls or Controls(), styles)
    return painting.image, time.perf_counter() - started


@dataclass(frozen=True)
class Rendering:
    """What :func:`render_photo` made: the result, the preview JPEG (the photo re-encoded at the
    result's size, no metadata), and the bottlenecks it computed (as :class:`Painting`)."""

    result: RenderedImage
    preview: bytes
    new_style_bottlenecks: list[np.ndarray | None]
    new_content_bottleneck: np.ndarray | None


def render_photo(
    content_file: BinaryIO,
    styles: Sequence[StyleSource],
    *,
    max_side: int,
    controls: Controls,
    engine_name: str | None = None,
    content_bottleneck: np.ndarray | None = None,
) -> Rendering:
    """Decode, fit, paint and encode one photo with a mix of 1-3 styles: the worker's one call.

    ``content_bottleneck`` is the photo's own cached bottleneck (used for
    strength below 1), or None. Bottlenecks are computed only where missing
    and returned for the caller to store, so a restyle costs only the style
    transfer network.

    Raises:
        pipeline.ImageRejected: a file cannot be decoded or is too large.
        EngineUnavailable: the engine's model cannot be loaded.
        UnsupportedControl: the engine cannot offer the requested controls.
        ValueError: a style needed without its image.
    """
    started = time.perf_counter()
    engine = engine_for(engine_name, max_side)
    photo = content_image(content_file, max_side)
    content = pipeline.to_array(photo)
    preview = pipeline.encode_jpeg(photo, settings.STYLIZER_JPEG_QUALITY)
    del photo  # a 4096 px photo is held once, as the array, while it is painted
    painting = paint_mix(engine, content, controls, styles, content_bottleneck)
    return Rendering(
        encode_result(painting.image, started),
        preview,
        painting.new_style_bottlenecks,
        painting.new_content_bottleneck,
    )


#: Results with a long side over this (px) first release the networks' buffers,
#: so a worker never holds them and a large decoded photo at once.
RELEASE_MEMORY_ABOVE_SIDE = 2048


def engine_for(name: str | None, max_side: int) -> StylizationEngine:
    """This process's engine, its buffers released first for a print-size result."""
    engine = get_engine(name)
    if max_side > RELEASE_MEMORY_ABOVE_SIDE:
        engine.release_memory()
    return engine


def content_image(content_file: BinaryIO, max_side: int) -> Image.Image:
    """The decoded, upright RGB content image, downscaled to ``max_side`` px on its long side."""
    image = pipeline.load_image(content_file, settings.STYLIZER_MAX_PIXELS, max_side=max_side)[0]
    return pipeline.fit_long_side(image, max_side)


def style_array(style_file: BinaryIO) -> np.ndarray:
    """The decoded style image (uint8 H x W x 3), at most 1024 px on its long side: the network sees it at 256 px."""
    image = pipeline.load_image(style_file, settings.STYLIZER_MAX_PIXELS, max_side=1024)[0]
    return pipeline.to_array(pipeline.fit_long_side(image, 1024))
