"""The style controls: strength, brush size and colours, around the networks.

One function, :func:`paint`, turns a photo at its output size into the
painting, for the site's worker and ``manage.py stylize`` alike:

1. **Brush size.** The transfer network paints strokes of a fixed size in
   pixels, so on its own a bigger output is finer noise, not a bigger
   painting. The photo is therefore painted at a *working size* set by the
   brush (:data:`BRUSH_SIDES`, long side in px, whatever the output size),
   then brought to the output size: the painting resampled (bicubic) plus
   the photo's own detail above the working resolution, scaled by how much
   the painting follows the photo there (the local linear gain of the guided
   filter; He, Sun, Tang, "Guided Image Filtering", TPAMI 2013, eq. 5; its
   use for upsampling: He and Sun, "Fast Guided Filter", arXiv:1505.00996).
   A result's look then does not depend on its output size, and a large
   result keeps the photo's fine edges where the painting follows them.
2. **Strength.** The style bottleneck is interpolated from the photo's own
   (Ghiasi et al. 2017, section 4) and the painting blended toward the
   photo, the blend weight chosen so the change from the photo is about
   ``strength`` times the full style's (:func:`blend_weight`): 0 is the
   photo itself, 1 the full style, in even steps. Interpolation alone never
   reaches the photo (the photo's own bottleneck repaints it), and a blend
   alone shows the painting as a ghost over the photo.
3. **Colours.** The painting's chroma and tones mixed with the photo's in
   YCbCr (:func:`mix_colors`): 0 keeps the photo's colours, 1 the style's.

Measured figures (strength curve, scale consistency, edge keeping) are in
QUALITY.md, written by ``benchmarks/quality.py``. No Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .engines import BottleneckEngine, StylizationEngine, UnsupportedControl, has_bottleneck, mix_bottlenecks
from .measures import luminance, resized

#: Brush sizes: the long side (px) the photo is painted at. Smaller sides
#: give larger strokes relative to the picture. "medium" is the look of the
#: network at 1024 px, the site's default output size.
BRUSH_SIDES = {"fine": 2048, "medium": 1024, "broad": 640, "bold": 400}
DEFAULT_BRUSH = "medium"
#: Long side (px) of the copies that measure a strength's blend weight (the
#: transfer network's training size).
STRENGTH_PROBE_SIDE = 384
#: Guided-filter window radius (px, at the working size) and regulariser
#: (on [0, 1] luminance) of the detail gain.
DETAIL_RADIUS = 2
DETAIL_EPSILON = 1e-3
#: The detail gain is kept within these bounds.
DETAIL_GAIN_RANGE = (0.0, 2.0)
#: Rows of the output brought to size at once (bounds the memory of 4096 px results).
STRIP_ROWS = 256


@dataclass(frozen=True)
class Controls:
    """The style controls of one stylization.

    Attributes:
        strength: 0-1, from the photo (0) to the full style (1).
        colors: 0-1, from the photo's colours (0) to the style's (1).
        brush: a key of :data:`BRUSH_SIDES`.

    Raises:
        ValueError: a value out of its range, or an unknown brush.
    """

    strength: float = 1.0
    colors: float = 1.0
    brush: str = DEFAULT_BRUSH

    def __post_init__(self) -> None:
        for name in ("strength", "colors"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if self.brush not in BRUSH_SIDES:
            raise ValueError(f"Unknown brush {self.brush!r}; choose one of {', '.join(BRUSH_SIDES)}")


def _size_for_long_side(size: tuple[int, int], side: int) -> tuple[int, int]:
    """(width, height) scaled, up or down, to a long side of ``side`` px."""
    width, height = size
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def working_size(size: tuple[int, int], brush: str) -> tuple[int, int]:
    """(width, height) in px at which a photo of ``size`` is painted with ``brush``; up or down."""
    return _size_for_long_side(size, BRUSH_SIDES[brush])


def at_working_size(photo: np.ndarray, brush: str) -> np.ndarray:
    """``photo`` (uint8 H x W x 3) resized (Lanczos) to :func:`working_size`; itself if already there."""
    size = working_size((photo.shape[1], photo.shape[0]), brush)
    return photo if (photo.shape[1], photo.shape[0]) == size else resized(photo, size)


def mix_colors(photo: np.ndarray, painted: np.ndarray, colors: float) -> np.ndarray:
    """The painting's brush work with its colours mixed toward the photo's.

    In ITU-R BT.601 YCbCr (Pillow's), each mixed ``colors * painted + (1 -
    colors) * photo``: Cb and Cr as they are, and Y after the painting's
    luminance is matched to the photo's mean and standard deviation, so the
    photo's tones (a night sky stays dark) come back with its hues (Gatys,
    Bethge, Hertzmann, Shechtman, "Preserving Color in Neural Artistic Style
    Transfer", arXiv:1606.05897, section 2.2, which matches luminance by mean
    and variance; here made continuous).

    Args:
        photo, painted: uint8 H x W x 3 of one size.
        colors: 0 (the photo's colours) to 1 (the style's: ``painted`` unchanged).

    Returns:
        uint8 H x W x 3.
    """
    if photo.shape != painted.shape:
        raise ValueError(f"photo {photo.shape} and painting {painted.shape} differ in size")
    if colors >= 1.0:
        return painted
    photo_ycc = np.asarray(Image.fromarray(photo).convert("YCbCr"), dtype=np.float32)
    painted_ycc = np.asarray(Image.fromarray(painted).convert("YCbCr"), dtype=np.float32)
    luma, photo_luma = painted_ycc[..., 0], photo_ycc[..., 0]
    matched = (luma - luma.mean()) / max(float(luma.std()), 1e-3) * photo_luma.std() + photo_luma.mean()
    painted_ycc[..., 0] = colors * luma + (1.0 - colors) * matched
    painted_ycc[..., 1:] = colors * painted_ycc[..., 1:] + (1.0 - colors) * photo_ycc[..., 1:]
    mixed = np.clip(np.rint(painted_ycc), 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(mixed, "YCbCr").convert("RGB"))


def blend_weight(
    engine: BottleneckEngine, photo: np.ndarray, full: np.ndarray, partial: np.ndarray, strength: float
) -> float:
    """How much of the painting at ``strength`` to blend over the photo (0-1).

    ``strength * d(full) / d(partial)``, at most 1, where ``d(b)`` is the
    mean difference from the photo of the transfer network's painting with
    bottleneck ``b``, both measured on a copy of :data:`STRENGTH_PROBE_SIDE`
    px: the result then differs from the photo about ``strength`` times as
    much as the full style does.

    Args:
        engine: an engine with ``transfer`` (uint8 H x W x 3, bottleneck (100,)).
        photo: uint8 H x W x 3, at the working size.
        full, partial: the style bottlenecks (100,) at strength 1 and at ``strength``.
        strength: 0-1.
    """
    if strength <= 0.0:
        return 0.0
    if strength >= 1.0:
        return 1.0
    probe = resized(photo, _size_for_long_side((photo.shape[1], photo.shape[0]), STRENGTH_PROBE_SIDE))
    reference = probe.astype(np.float32)
    full_change = float(np.abs(engine.transfer(probe, full).astype(np.float32) - reference).mean())
    partial_change = float(np.abs(engine.transfer(probe, partial).astype(np.float32) - reference).mean())
    if partial_change <= 0.0:
        return strength
    return min(1.0, strength * full_change / partial_change)


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2 radius + 1) px square window, mirrored at the edges (OpenCV's box filter); float64."""
    side = 2 * radius + 1
    mean: np.ndarray = cv2.boxFilter(
        image.astype(np.float64), -1, (side, side), normalize=True, borderType=cv2.BORDER_REFLECT_101
    )
    return mean


def detail_gain(photo: np.ndarray, painted: np.ndarray) -> np.ndarray:
    """float32 H x W x 3: how much each painted channel follows the photo's luminance locally.

    The guided filter's linear coefficient ``a = cov(I, p) / (var(I) + eps)``
    over windows of :data:`DETAIL_RADIUS`, averaged over the same windows
    (He et al. 2013, eq. 5 and 8), with ``I`` the photo's luminance and ``p``
    each channel of the painting on [0, 1]; clipped to :data:`DETAIL_GAIN_RANGE`.
    """
    guide = luminance(photo).astype(np.float64) / 255.0
    values = painted.astype(np.float64) / 255.0
    mean_guide = _box(guide, DETAIL_RADIUS)
    variance = _box(guide * guide, DETAIL_RADIUS) - mean_guide**2
    covariance = _box(guide[..., None] * values, DETAIL_RADIUS) - mean_guide[..., None] * _box(values, DETAIL_RADIUS)
    gain = _box(covariance / (variance[..., None] + DETAIL_EPSILON), DETAIL_RADIUS)
    clipped: np.ndarray = np.clip(gain, *DETAIL_GAIN_RANGE).astype(np.float32)
    return clipped


def _resampled_rows(planes: list[Image.Image], size: tuple[int, int], top: int, bottom: int) -> np.ndarray:
    """Rows ``top:bottom`` of float planes ('F' images) resampled (bicubic) to ``size``; float32 rows x W x n."""
    width, height = size
    source_width, source_height = planes[0].size
    scale = source_height / height
    box = (0.0, top * scale, float(source_width), bottom * scale)
    rows = [plane.resize((width, bottom - top), Image.Resampling.BICUBIC, box=box) for plane in planes]
    return np.stack([np.asarray(row, dtype=np.float32) for row in rows], axis=2)


def bring_to_size(painted: np.ndarray, photo_work: np.ndarray, photo: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The painting at the photo's size, with the photo's detail, blended toward the photo.

    ``out = (1 - alpha) * photo + alpha * (up(painted) + up(gain) * (Y(photo) - up(Y(photo_work))))``
    where ``up`` is bicubic resampling to the photo's size, ``Y`` luminance
    and ``gain`` :func:`detail_gain`. Worked in strips of
    :data:`STRIP_ROWS` rows, so a 4096 px result needs a few MB beyond its
    own pixels.

    Args:
        painted: uint8 h x w x 3, the painting at the working size.
        photo_work: uint8 h x w x 3, the photo at the working size.
        photo: uint8 H x W x 3, the photo at the output size.
        alpha: 0-1, the painting's share (see :func:`blend_weight`).

    Returns:
        uint8 H x W x 3.
    """
    height, width = photo.shape[:2]
    if painted.shape == photo.shape:
        result = painted
        if alpha < 1.0:
            result = alpha * painted.astype(np.float32) + (1.0 - alpha) * photo.astype(np.float32)
            result = np.clip(np.rint(result), 0, 255).astype(np.uint8)
        return result
    gain = detail_gain(photo_work, painted)
    planes = [Image.fromarray(np.ascontiguousarray(painted[..., c], dtype=np.float32), "F") for c in range(3)]
    planes += [Image.fromarray(np.ascontiguousarray(gain[..., c]), "F") for c in range(3)]
    planes.append(Image.fromarray(luminance(photo_work), "F"))
    out = np.empty_like(photo)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        rows = _resampled_rows(planes, (width, height), top, bottom)
        original = photo[top:bottom].astype(np.float32)
        detail = luminance(original) - rows[..., 6]
        strip = rows[..., :3] + rows[..., 3:6] * detail[..., None]
        if alpha < 1.0:
            strip = alpha * strip + (1.0 - alpha) * original
        out[top:bottom] = np.clip(np.rint(strip), 0, 255)
    return out


@dataclass(frozen=True)
class PaintRecipe:
    """Everything :func:`apply_recipe` needs besides the photo, fixed once per picture or per clip.

    Attributes:
        controls: the style controls.
        bottleneck: float32 (100,), the style bottleneck interpolated toward the
            photo's for the strength (bottleneck engines), else None.
        alpha: 0-1, the painting's share over the photo (:func:`blend_weight`).
        style_image: uint8 h x w x 3 for an engine without a bottleneck, else None.
    """

    controls: Controls
    bottleneck: np.ndarray | None = None
    alpha: float = 1.0
    style_image: np.ndarray | None = None


def prepare_recipe(
    engine: StylizationEngine,
    photo: np.ndarray,
    controls: Controls,
    *,
    style_bottlenecks: Sequence[np.ndarray] = (),
    weights: Sequence[float] = (),
    content_bottleneck: np.ndarray | None = None,
    style_image: np.ndarray | None = None,
) -> PaintRecipe:
    """The recipe of :func:`paint` for ``photo`` (uint8 H x W x 3 at the output size).

    The blend weight is measured on ``photo`` (two probe runs of the style
    transfer network); a clip prepares it once, on one frame, and paints every
    frame with it, so the strength cannot drift from frame to frame.

    Raises:
        UnsupportedControl: strength below 1 or a mix on an engine without a bottleneck.
        ValueError: bad weights, or a missing bottleneck or style image.
    """
    if not has_bottleneck(engine):
        if len(style_bottlenecks) > 1 or len(weights) > 1 or controls.strength < 1.0:
            raise UnsupportedControl(f"The {engine.name} engine cannot mix styles or change the strength.")
        if style_image is None:
            raise ValueError(f"the {engine.name} engine needs the style image")
        return PaintRecipe(controls, style_image=style_image)
    full = mix_bottlenecks(style_bottlenecks, weights)
    if controls.strength <= 0.0:
        return PaintRecipe(controls, bottleneck=full, alpha=0.0)
    partial = mix_bottlenecks(style_bottlenecks, weights, content_bottleneck, controls.strength)
    alpha = 1.0
    if controls.strength < 1.0:
        photo_work = at_working_size(photo, controls.brush)
        alpha = blend_weight(engine, photo_work, full, partial, controls.strength)
    return PaintRecipe(controls, bottleneck=partial, alpha=alpha)


def apply_recipe(engine: StylizationEngine, photo: np.ndarray, recipe: PaintRecipe) -> np.ndarray:
    """Paint ``photo`` (uint8 H x W x 3 at the output size) with a prepared recipe; uint8 H x W x 3 out.

    At strength 0, a copy of the photo. One run of the style transfer network
    at the brush's working size.
    """
    controls = recipe.controls
    if controls.strength <= 0.0:
        return photo.copy()
    photo_work = at_working_size(photo, controls.brush)
    if recipe.bottleneck is not None and has_bottleneck(engine):
        painted = engine.transfer(photo_work, recipe.bottleneck)
    elif recipe.style_image is not None:
        painted = engine.stylize(photo_work, recipe.style_image)
    else:
        raise ValueError(f"the recipe has neither a bottleneck nor a style image for the {engine.name} engine")
    painted = mix_colors(photo_work, painted, controls.colors)
    return bring_to_size(painted, photo_work, photo, recipe.alpha)


def paint(
    engine: StylizationEngine,
    photo: np.ndarray,
    controls: Controls,
    *,
    style_bottlenecks: Sequence[np.ndarray] = (),
    weights: Sequence[float] = (),
    content_bottleneck: np.ndarray | None = None,
    style_image: np.ndarray | None = None,
) -> np.ndarray:
    """Paint ``photo`` with the controls; the result has the photo's size.

    :func:`prepare_recipe` then :func:`apply_recipe`.

    Args:
        engine: a stylization engine. With ``engine.supports_bottleneck``,
            give ``style_bottlenecks`` and ``weights`` (a mix of 1-3 styles)
            and, for strength below 1, the photo's ``content_bottleneck``;
            otherwise give ``style_image`` (uint8 h x w x 3) and full strength.
        photo: uint8 H x W x 3 at the output size.
        controls: strength, colours and brush.

    Returns:
        uint8 H x W x 3. At strength 0, the photo itself.

    Raises:
        UnsupportedControl: strength below 1 or a mix on an engine without a bottleneck.
        ValueError: bad weights, or a missing bottleneck or style image.
    """
    if controls.strength <= 0.0:
        return photo.copy()
    recipe = prepare_recipe(
        engine,
        photo,
        controls,
        style_bottlenecks=style_bottlenecks,
        weights=weights,
        content_bottleneck=content_bottleneck,
        style_image=style_image,
    )
    return apply_recipe(engine, photo, recipe)
