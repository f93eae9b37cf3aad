"""Picture measures: how far a result is from its photo, its artefacts, its fine edges.

Plain NumPy on uint8 arrays H x W x 3 (RGB, 0-255), used by the tests and by
``benchmarks/quality.py``, which records their values in QUALITY.md.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: ITU-R BT.601 luma weights.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def luminance(image: np.ndarray) -> np.ndarray:
    """float32 H x W luma (BT.601) of a uint8 or float H x W x 3 image, in the image's own units."""
    return np.asarray(image, dtype=np.float32) @ _LUMA


def mean_difference(first: np.ndarray, second: np.ndarray) -> float:
    """Mean absolute difference of two uint8 images of one size, on a [0, 1] scale."""
    if first.shape != second.shape:
        raise ValueError(f"sizes differ: {first.shape} and {second.shape}")
    return float(np.abs(first.astype(np.float32) - second.astype(np.float32)).mean() / 255.0)


def resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A uint8 H x W x 3 image resized (Lanczos) to ``size`` = (width, height) px."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize(size, Image.Resampling.LANCZOS))


def _flattest_blocks(photo: np.ndarray, side: int, count: int) -> list[tuple[int, int]]:
    luma = luminance(photo)
    height, width = luma.shape
    blocks = []
    for top in range(0, height - side + 1, side // 2):
        for left in range(0, width - side + 1, side // 2):
            blocks.append((float(luma[top : top + side, left : left + side].std()), top, left))
    blocks.sort()
    return [(top, left) for _, top, left in blocks[:count]]


def grid_share(image: np.ndarray, photo: np.ndarray, side: int = 64, count: int = 8) -> float:
    """Share of luminance power at the 2 and 4 px grid frequencies in the photo's flattest blocks.

    Takes the ``count`` blocks of ``side`` x ``side`` px where the photo
    varies least, and for each the power of the 2-D DFT of ``image``'s
    luminance (mean removed, Hann-windowed) at the frequencies of a 4 px period and its
    harmonics (the bins u, v in {0, side/4, side/2, 3 side/4} but (0, 0)),
    over the block's whole power; the mean over blocks. A grid left by the transfer
    network's 2x upsampling shows as a large share; the shared test
    photos' own flattest blocks hold at most 0.4 % there (QUALITY.md).

    Args:
        image: uint8 H x W x 3, the result.
        photo: uint8 H x W x 3, the photo it was made from (to find flat areas).
        side: block side, px, a multiple of 4 (at most the image's short side).

    Returns:
        A share in [0, 1].
    """
    if image.shape != photo.shape:
        raise ValueError(f"sizes differ: {image.shape} and {photo.shape}")
    bins = [0, side // 4, side // 2, 3 * side // 4]
    window = np.outer(np.hanning(side), np.hanning(side))  # a smooth gradient leaks into no grid bin
    shares = []
    for top, left in _flattest_blocks(photo, side, count):
        block = luminance(image[top : top + side, left : left + side])
        power = np.abs(np.fft.fft2((block - block.mean()) * window)) ** 2
        total = float(power.sum())
        if total > 0:
            shares.append(float(sum(power[u, v] for u in bins for v in bins if u or v)) / total)
    return float(np.mean(shares)) if shares else 0.0


def _laplacian(image: np.ndarray) -> np.ndarray:
    luma = luminance(image)
    laplacian: np.ndarray = np.abs(
        4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2] - luma[1:-1, 2:]
    )
    return laplacian


def border_noise(image: np.ndarray, border: int = 4, inner: tuple[int, int] = (8, 40)) -> float:
    """High-frequency energy of the outer ``border`` px over that of a ring further in.

    The mean absolute Laplacian of the luminance within ``border`` px of
    the edge, divided by its mean over the ring from ``inner[0]`` to
    ``inner[1]`` px in. About 1 for a picture whose edge is like its inside
    (the test photos: 0.96-1.07).
    """
    laplacian = _laplacian(image)

    def ring(start: int, stop: int) -> float:
        mask = np.zeros(laplacian.shape, dtype=bool)
        height, width = laplacian.shape[:2]
        mask[start : height - start, start : width - start] = True
        mask[stop : height - stop, stop : width - stop] = False
        return float(laplacian[mask].mean())

    return ring(0, border) / ring(*inner)


def fine_detail(image: np.ndarray) -> np.ndarray:
    """float32 H x W: the luminance detail above half the image's resolution.

    The luminance minus itself downscaled 2x and brought back (bicubic):
    what a result at this size holds that one at half its size cannot.
    """
    luma = luminance(image)
    height, width = luma.shape
    half = Image.fromarray(luma, "F").resize((max(1, width // 2), max(1, height // 2)), Image.Resampling.BICUBIC)
    detail: np.ndarray = luma - np.asarray(half.resize((width, height), Image.Resampling.BICUBIC))
    return detail


def edge_keeping(image: np.ndarray, photo: np.ndarray) -> float:
    """Correlation of the result's fine detail with the photo's (:func:`fine_detail`), -1 to 1.

    How much of the photo's finest edges (those above half this size) the
    result carries. A result made at half size and upscaled has almost none.
    """
    first, second = fine_detail(image).ravel(), fine_detail(photo).ravel()
    first, second = first - first.mean(), second - second.mean()
    norm = float(np.sqrt((first * first).sum() * (second * second).sum()))
    return float((first * second).sum() / norm) if norm else 0.0
