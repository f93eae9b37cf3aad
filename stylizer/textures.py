"""Procedural style images the project makes itself (no third-party paintings).

Each generator is deterministic for a given seed and returns an RGB Pillow
image of ``size`` x ``size`` px, rich in colour and texture so the style
prediction network finds a clear style in it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PALETTES = {
    "mosaic": [(24, 60, 120), (230, 180, 40), (200, 60, 40), (40, 140, 120), (240, 230, 210), (90, 40, 110)],
    "strokes": [(250, 200, 60), (230, 110, 30), (40, 70, 160), (20, 30, 70), (120, 170, 220)],
    "waves": [(10, 40, 90), (30, 110, 170), (120, 190, 220), (240, 245, 250), (200, 150, 80)],
    "dots": [(220, 40, 80), (250, 210, 60), (30, 150, 200), (30, 30, 40), (245, 240, 230)],
}


def mosaic(size: int = 512, seed: int = 1) -> Image.Image:
    """Voronoi-like tiles of bold colours with dark grout."""
    rng = np.random.default_rng(seed)
    palette = np.array(PALETTES["mosaic"], dtype=np.float32)
    count = 180
    # Tiles are drawn at half size and enlarged: the nearest-point search is
    # the costly part, and the tiles are large.
    half = max(1, size // 2)
    points = rng.uniform(0, half, (count, 2))
    colours = palette[rng.integers(0, len(palette), count)] * rng.uniform(0.8, 1.1, (count, 1))
    ys, xs = np.mgrid[0:half, 0:half].astype(np.float32)
    dist = (xs[..., None] - points[:, 0]) ** 2 + (ys[..., None] - points[:, 1]) ** 2
    nearest = np.partition(dist, 1, axis=-1)[..., :2]
    image = colours[np.argmin(dist, axis=-1)]
    grout = (np.sqrt(nearest[..., 1]) - np.sqrt(nearest[..., 0])) < 1.25
    image[grout] = (30, 25, 20)
    tiles = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")
    return tiles.resize((size, size), Image.Resampling.NEAREST)


def strokes(size: int = 512, seed: int = 2) -> Image.Image:
    """Thick, short, swirling brush strokes in warm and cool colours."""
    rng = np.random.default_rng(seed)
    palette = PALETTES["strokes"]
    image = Image.new("RGB", (size, size), palette[3])
    draw = ImageDraw.Draw(image)
    for _ in range(1400):
        x, y = rng.uniform(0, size, 2)
        angle = np.sin(x / size * 6.0) + np.cos(y / size * 5.0) * 1.5
        length = rng.uniform(10, 28)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        colour = palette[int(rng.integers(0, len(palette)))]
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=colour, width=int(rng.integers(3, 8)))
    return image.filter(ImageFilter.SMOOTH)


def waves(size: int = 512, seed: int = 3) -> Image.Image:
    """Bands of blue and foam following interfering sine waves."""
    rng = np.random.default_rng(seed)
    palette = np.array(PALETTES["waves"], dtype=np.float32)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    phase = rng.uniform(0, 2 * np.pi, 3)
    field = (
        np.sin(xs * 18 + np.sin(ys * 7 + phase[0]) * 2.5)
        + 0.6 * np.sin(ys * 25 + np.cos(xs * 9 + phase[1]) * 2.0)
        + 0.3 * np.sin((xs + ys) * 40 + phase[2])
    )
    levels = np.clip(((field - field.min()) / np.ptp(field) * len(palette)).astype(int), 0, len(palette) - 1)
    image = palette[levels]
    return Image.fromarray(image.astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(0.8))


def dots(size: int = 512, seed: int = 4) -> Image.Image:
    """Pointillist dots of saturated colour over a light ground."""
    rng = np.random.default_rng(seed)
    palette = PALETTES["dots"]
    image = Image.new("RGB", (size, size), palette[4])
    draw = ImageDraw.Draw(image)
    for _ in range(2600):
        x, y = rng.uniform(0, size, 2)
        radius = rng.uniform(2, 7)
        colour = palette[int(rng.integers(0, 4))]
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    return image


#: Built-in procedural styles: title -> generator.
GENERATORS: dict[str, Callable[..., Image.Image]] = {
    "Mosaic": mosaic,
    "Strokes": strokes,
    "Waves": waves,
    "Dots": dots,
}
