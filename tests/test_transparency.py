"""Transparency comes out white in every mode and every way of carrying it.

Each image is built here: PNGs Pillow cannot write (low-bit grey and palette,
16-bit grey/RGB with tRNS, 16-bit grey+alpha) are written chunk by chunk with
zlib and struct. Files go through :func:`stylizer.pipeline.load_image`, the
path uploads take; modes no file decodes to go through :func:`to_rgb`.
The expected pixels are the opaque colours (8 bits) composited on white by
their alpha (0-255): ``c * a / 255 + 255 * (1 - a / 255)``, within 1.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from stylizer.pipeline import load_image, to_rgb

from .helpers import UPLOADS_DIR

MAX_PIXELS = 1_000_000
#: palette entries used by the palette cases (8-bit RGB)
PALETTE = [(200, 30, 30), (0, 0, 255), (0, 128, 0), (50, 60, 70)]


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def raw_png(samples, bit_depth: int, colour_type: int, *, palette=None, trns: bytes | None = None) -> bytes:
    """A PNG from integer samples (H x W or H x W x C, in the file's units), unfiltered."""
    samples = np.asarray(samples, dtype=np.int64)
    height, width = samples.shape[:2]
    rows = []
    for row in samples.reshape(height, -1):
        if bit_depth == 16:
            packed = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            packed = row.astype(np.uint8).tobytes()
        else:  # 1, 2 or 4 bits: several samples a byte, first in the high bits
            per_byte = 8 // bit_depth
            row = np.concatenate([row, np.zeros(-len(row) % per_byte, np.int64)]).reshape(-1, per_byte)
            shifts = 8 - bit_depth * (np.arange(per_byte) + 1)
            packed = (row << shifts).sum(axis=1).astype(np.uint8).tobytes()
        rows.append(b"\0" + packed)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
    if palette is not None:
        data += png_chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        data += png_chunk(b"tRNS", trns)
    return data + png_chunk(b"IDAT", zlib.compress(b"".join(rows))) + png_chunk(b"IEND", b"")


def saved(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def on_white(colours, alphas) -> np.ndarray:
    """Expected 1 x N x 3 result: 8-bit colours (N x 3 or N grey) over white by alpha (N, 0-255)."""
    colours = np.asarray(colours, dtype=np.float64).reshape(len(alphas), -1) * np.ones((1, 3))
    weight = np.asarray(alphas, dtype=np.float64)[:, None] / 255.0
    return np.rint(colours * weight + 255.0 * (1.0 - weight))[None]


def to8(value: int, bit_depth: int) -> int:
    return round(int(value) * 255 / ((1 << bit_depth) - 1))


# --- cases: name -> () -> (encoded bytes or a Pillow image, expected 1 x N x 3) ---------------


def grey_key(bit_depth: int, key_index: int):
    """Grey PNG (colour type 0) at ``bit_depth`` with a tRNS key on one of its levels."""
    top = (1 << bit_depth) - 1
    levels = sorted({0, top // 3, 2 * top // 3, top})
    key = levels[key_index]
    data = raw_png([levels], bit_depth, 0, trns=struct.pack(">H", key))
    return data, on_white([to8(v, bit_depth) for v in levels], [0 if v == key else 255 for v in levels])


def rgb_key(bit_depth: int):
    """Truecolour PNG (colour type 2) with a tRNS key; the near misses stay opaque."""
    if bit_depth == 8:
        key, pixels = (200, 30, 30), [(200, 30, 30), (200, 30, 31), (0, 0, 255), (30, 30, 200)]
    else:  # Pillow decodes 16-bit RGB to the high byte of each channel
        key = (0x8012, 0x3456, 0x0000)
        pixels = [key, (0x8000, 0x3400, 0x1200), (0x1280, 0x5634, 0x0000), (0xFFFF, 0x0000, 0x8080)]
    data = raw_png([pixels], bit_depth, 2, trns=struct.pack(">HHH", *key))
    colours = [[to8(c, bit_depth) if bit_depth == 8 else c >> 8 for c in p] for p in pixels]
    return data, on_white(colours, [0 if p == key else 255 for p in pixels])


def palette_index(bit_depth: int):
    """Palette PNG with one fully transparent entry (Pillow: an int ``transparency``)."""
    entries = PALETTE[: min(4, 1 << bit_depth)]
    data = raw_png([range(len(entries))], bit_depth, 3, palette=entries, trns=bytes([255, 0]))
    return data, on_white(entries, [255, 0, 255, 255][: len(entries)])


def palette_alpha(bit_depth: int):
    """Palette PNG with alpha per entry (Pillow: bytes ``transparency``); entries past tRNS are opaque."""
    entries = PALETTE[: min(4, 1 << bit_depth)]
    alphas = [128, 0, 64][: len(entries)]
    data = raw_png([range(len(entries))], bit_depth, 3, palette=entries, trns=bytes(alphas))
    return data, on_white(entries, (alphas + [255, 255])[: len(entries)])


def grey_alpha(bit_depth: int):
    """Grey + alpha PNG (colour type 4): LA at 8 bits, decoded to RGBA at 16."""
    top = (1 << bit_depth) - 1
    greys, alphas = [0, top // 3, top, top // 5], [0, top, top // 2, top // 4]
    data = raw_png([list(zip(greys, alphas, strict=True))], bit_depth, 4)
    return data, on_white([to8(g, bit_depth) for g in greys], [to8(a, bit_depth) for a in alphas])


def rgb_alpha(bit_depth: int):
    """RGBA PNG (colour type 6) at 8 or 16 bits."""
    top = (1 << bit_depth) - 1
    pixels = [(top, 0, 0, 0), (0, top // 3, top, top), (top, top // 2, 0, top // 2), (0, 0, 0, top // 4)]
    expected = on_white([[to8(c, bit_depth) for c in p[:3]] for p in pixels], [to8(p[3], bit_depth) for p in pixels])
    return raw_png([pixels], bit_depth, 6), expected


def pillow_key(mode: str, values, key):
    """A Pillow-written PNG with ``transparency=key`` (L, I;16, RGB, 1)."""
    image = Image.new(mode, (len(values), 1))
    image.putdata(values)
    return saved(image, "PNG", transparency=key)


def pillow_cases():
    grey16 = [0, 0x4000, 0xC000, 0xFFFF]
    yield (
        "pillow-png-I;16-key",
        lambda: (
            pillow_key("I;16", grey16, 0x4000),
            on_white([to8(v, 16) for v in grey16], [255, 0, 255, 255]),
        ),
    )
    yield (
        "pillow-png-L-key",
        lambda: (pillow_key("L", [0, 90, 180, 255], 90), on_white([0, 90, 180, 255], [255, 0, 255, 255])),
    )
    rgb = [(10, 20, 30), (200, 100, 0), (200, 100, 1)]
    yield "pillow-png-RGB-key", lambda: (pillow_key("RGB", rgb, (200, 100, 0)), on_white(rgb, [255, 0, 255]))
    yield "pillow-png-1-key-black", lambda: (pillow_key("1", [0, 255], 0), on_white([255, 255], [0, 255]))
    yield "pillow-png-1-key-white", lambda: (pillow_key("1", [0, 255], 255), on_white([0, 255], [255, 0]))

    def rgba_image():
        image = Image.new("RGBA", (4, 1))
        image.putdata([(255, 0, 0, 0), (0, 0, 255, 255), (0, 200, 0, 128), (40, 40, 40, 64)])
        return image

    rgba_expected = on_white([(255, 0, 0), (0, 0, 255), (0, 200, 0), (40, 40, 40)], [0, 255, 128, 64])
    yield "pillow-webp-RGBA", lambda: (saved(rgba_image(), "WEBP", lossless=True, exact=True), rgba_expected)
    yield "pillow-tiff-RGBA", lambda: (saved(rgba_image(), "TIFF"), rgba_expected)
    la_expected = on_white([76, 29, 117, 40], [0, 255, 128, 64])  # Pillow's luma of the RGBA colours
    yield "pillow-png-LA", lambda: (saved(rgba_image().convert("LA"), "PNG"), la_expected)

    def gif():
        image = Image.new("P", (4, 1))
        image.putpalette([c for entry in PALETTE for c in entry])
        image.putdata([0, 1, 2, 3])
        return saved(image, "GIF", transparency=2), on_white(PALETTE, [255, 255, 0, 255])

    yield "pillow-gif-P-index", gif

    def tiff_premultiplied(mode: str, colour, alpha: int):
        """A TIFF with associated (premultiplied) alpha: ExtraSamples 2 patched to 1; Pillow decodes La."""
        image = Image.new(mode, (2, 1), colour + (alpha,))
        image.putpixel((1, 0), colour + (255,))
        data = saved(image, "TIFF")
        unassociated = struct.pack("<HHII", 338, 3, 1, 2)
        assert data.count(unassociated) == 1
        return data.replace(unassociated, struct.pack("<HHII", 338, 3, 1, 1))

    # stored premultiplied: 100 at alpha 128 is colour 199 over white 127 -> 227
    yield "tiff-La-premultiplied", lambda: (tiff_premultiplied("LA", (100,), 128), np.array([[[227] * 3, [100] * 3]]))
    yield (
        "tiff-RGBa-premultiplied",
        lambda: (tiff_premultiplied("RGBA", (100, 50, 0), 128), np.array([[[227, 177, 127], [100, 50, 0]]])),
    )


def memory_cases():
    """Modes no upload decodes to with this Pillow, checked on :func:`to_rgb` directly."""
    grey16 = np.array([[0, 0x4000, 0xC000, 0xFFFF]], dtype=np.uint16)
    expected16 = on_white([to8(v, 16) for v in grey16[0]], [255, 0, 255, 255])
    for mode, dtype in (("I;16", "<u2"), ("I;16B", ">u2"), ("I", "<i4")):

        def wide(mode=mode, dtype=dtype):
            image = Image.fromarray(grey16.astype(dtype))
            assert image.mode == mode
            image.info["transparency"] = 0x4000
            return image, expected16

        yield f"memory-{mode}-key", wide

    def pa():
        image = Image.new("PA", (3, 1))
        image.putpalette([c for entry in PALETTE for c in entry])
        image.putdata([(0, 0), (1, 255), (2, 128)])
        return image, on_white(PALETTE[:3], [0, 255, 128])

    yield "memory-PA", pa

    def rgba_palette():
        image = Image.new("P", (3, 1))
        alphas = [0, 128, 255]  # entry 0 transparent, entry 1 half
        image.putpalette(bytes(c for entry, a in zip(PALETTE[:3], alphas, strict=True) for c in entry + (a,)), "RGBA")
        image.putdata([0, 1, 2])
        return image, on_white(PALETTE[:3], alphas)

    yield "memory-P-rgba-palette", rgba_palette


def all_cases():
    for bit_depth in (1, 2, 4, 8, 16):
        for key_index in (0, 1):
            yield f"png-grey{bit_depth}-tRNS-level{key_index}", lambda b=bit_depth, k=key_index: grey_key(b, k)
    for bit_depth in (8, 16):
        yield f"png-rgb{bit_depth}-tRNS", lambda b=bit_depth: rgb_key(b)
        yield f"png-grey-alpha{bit_depth}", lambda b=bit_depth: grey_alpha(b)
        yield f"png-rgba{bit_depth}", lambda b=bit_depth: rgb_alpha(b)
    for bit_depth in (1, 2, 4, 8):
        yield f"png-palette{bit_depth}-index", lambda b=bit_depth: palette_index(b)
        yield f"png-palette{bit_depth}-alpha", lambda b=bit_depth: palette_alpha(b)
    yield from pillow_cases()
    yield from memory_cases()


CASES = dict(all_cases())


@pytest.mark.parametrize("name", CASES)
def test_transparent_pixels_come_out_white(name):
    source, expected = CASES[name]()
    if isinstance(source, bytes):
        image, _ = load_image(source, MAX_PIXELS)
    else:
        image = to_rgb(source)
    assert image.mode == "RGB"
    pixels = np.asarray(image).astype(np.int64)
    assert pixels.shape == expected.shape
    error = np.abs(pixels - expected).max(axis=2)
    assert (error <= 1).all(), f"got {pixels.tolist()}, expected {expected.astype(int).tolist()}"


def test_a_rotated_16_bit_grey_png_keeps_its_transparency():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    samples = (np.array([[0, 1, 2], [3, 4, 5]], dtype=np.uint16) * 10000).astype(">u2")
    rows = b"".join(b"\0" + row.tobytes() for row in samples)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 16, 0, 0, 0, 0))
        + png_chunk(b"eXIf", exif.tobytes()[6:])  # without the "Exif\0\0" prefix
        + png_chunk(b"tRNS", struct.pack(">H", 10000))
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )
    image, info = load_image(data, MAX_PIXELS)
    assert (info.width, info.height) == (2, 3)
    expected = [[to8(30000, 16), 0], [to8(40000, 16), 255], [to8(50000, 16), to8(20000, 16)]]
    assert np.asarray(image)[..., 0].tolist() == expected


def test_shared_16_bit_grey_trns_png_is_white_where_transparent():
    data = (UPLOADS_DIR / "i_trns.png").read_bytes()
    with Image.open(io.BytesIO(data)) as source:
        assert source.mode == "I;16"
        values = np.asarray(source)
        key = source.info["transparency"]
    transparent = values == key
    assert transparent.sum() == 559
    pixels = np.asarray(load_image(data, MAX_PIXELS)[0]).astype(np.int64)
    assert (pixels[transparent] == 255).all()
    scaled = np.rint(values[~transparent] / 65535 * 255)
    assert (np.abs(pixels[~transparent] - scaled[:, None]) <= 1).all()
