"""Image pipeline: pure functions on bytes, Pillow images and arrays.

decode (size checked from the header first) -> EXIF orientation -> RGB
(transparency composited on white, 16-bit scaled) -> fit to the network's
long side -> stylize -> JPEG + thumbnail. No Django, no ORM.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

#: Formats accepted as photos and styles (Pillow format names), decided from
#: the decoded content, never from the file name or the browser's Content-Type.
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "MPO"})
#: File extension for each accepted format.
FORMAT_EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
    "HEIF": "heic",
}
WHITE = (255, 255, 255)
# What ImageRejected says (gallery.messages hands the ones the upload page also checks to its script).
UPLOAD_FORMATS = "Upload a JPEG, PNG, WebP, HEIC, GIF, BMP or TIFF."
DAMAGED = "This image file is damaged or incomplete and cannot be read. Try saving it again, or another photo."
#: ``megapixels`` and ``limit`` are rounded to whole megapixels.
TOO_MANY_PIXELS = "This image is {width} x {height} px ({megapixels} megapixels); the limit is {limit} megapixels."


class ImageRejected(ValueError):
    """The file is not an image PicStylist accepts; ``str(exc)`` is shown to the user."""


class NotAnImage(ImageRejected):
    """No image format recognises the file (it may still be a video, :mod:`stylizer.clips`)."""


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: Pillow format name, width and height (px), frames."""

    format: str
    width: int
    height: int
    frames: int

    @property
    def extension(self) -> str:
        return FORMAT_EXTENSIONS[self.format]


def _too_many_pixels(max_pixels: int) -> str:
    return f"This image has too many pixels to process; the limit is {max_pixels / 1e6:.0f} megapixels."


def _open(source: BinaryIO | bytes, max_pixels: int) -> Image.Image:
    """Open ``source`` lazily (header only) and check its format and pixel count."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        image = Image.open(source)
    except UnidentifiedImageError:
        raise NotAnImage(f"This file is not an image we can read. {UPLOAD_FORMATS}") from None
    except Image.DecompressionBombError:
        raise ImageRejected(_too_many_pixels(max_pixels)) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(DAMAGED) from None
    if image.format not in ALLOWED_FORMATS:
        raise ImageRejected(f"{image.format} images are not accepted. {UPLOAD_FORMATS}")
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected("This image has no pixels.")
    if width * height > max_pixels:
        raise ImageRejected(
            TOO_MANY_PIXELS.format(
                width=width, height=height, megapixels=f"{width * height / 1e6:.0f}", limit=f"{max_pixels / 1e6:.0f}"
            )
        )
    return image


def inspect_image(source: BinaryIO | bytes, max_pixels: int) -> ImageInfo:
    """Read an image's header and check it, without decoding its pixels.

    Args:
        source: the encoded file (bytes or a binary file object, left open).
        max_pixels: largest accepted width x height.

    Raises:
        ImageRejected: not an accepted image format, or over ``max_pixels``.
    """
    image = _open(source, max_pixels)
    return ImageInfo(image.format or "", image.width, image.height, getattr(image, "n_frames", 1))


#: Integer grey modes whose values are scaled by their bit depth rather than clipped.
_WIDE_GREY_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
#: Modes whose colour is premultiplied by their alpha band.
_PREMULTIPLIED_MODES = frozenset({"La", "RGBa"})


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB, transparency composited on white.

    Every way of carrying transparency ends on white, partial alpha blended
    (``c * a / 255 + 255 * (1 - a / 255)`` per channel, rounded):

    * an alpha band: LA, PA, RGBA, and the premultiplied La and RGBa;
    * a palette with a transparent index or per-entry alpha (P with an int or
      bytes ``transparency`` key, or an RGBA palette);
    * a transparent colour key (``info["transparency"]``, a PNG tRNS chunk) in
      1, L, RGB and the 16/32-bit grey modes I;16, I;16L, I;16B, I. The key is
      in the image's own pixel units: :func:`load_image` rescales the keys
      Pillow leaves in the file's units (2- and 4-bit grey, 16-bit RGB).

    16- and 32-bit grey (I;16*, I) is scaled by its bit depth (65535 -> 255)
    rather than clipped; float images (F) are taken as 0-1 if their values
    fit, else 0-255; CMYK, YCbCr, LAB, HSV, 1 and L go through Pillow's own
    conversions.

    Args:
        image: a loaded Pillow image of any mode, H x W px.

    Returns:
        An RGB (uint8 per channel) Pillow image of the same size.
    """
    if image.mode in _WIDE_GREY_MODES:
        values = np.asarray(image)
        top = 65535.0 if image.mode != "I" or values.max(initial=0) > 255 else 255.0
        gray = np.clip(np.rint(values.astype(np.float64) / top * 255.0), 0, 255).astype(np.uint8)
        key = image.info.get("transparency")
        if isinstance(key, int):  # a tRNS grey level: fully transparent, so white
            gray[values == key] = 255
        return Image.fromarray(gray).convert("RGB")
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if values.max(initial=0) <= 1.0 else 255.0
        gray = np.clip(np.rint(values / top * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if image.mode in _PREMULTIPLIED_MODES:
        # colour already multiplied by alpha: on white, add what the alpha leaves uncovered
        bands = np.asarray(image).astype(np.uint16)
        colour, alpha = bands[..., :-1], bands[..., -1:]
        blended = np.minimum(colour + (255 - alpha), 255).astype(np.uint8)
        return Image.fromarray(np.repeat(blended, 3, axis=2) if blended.shape[2] == 1 else blended, "RGB")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode == "RGB":
        return image
    return image.convert("RGB")


def _key_in_pixel_units(image: Image.Image) -> None:
    """Rescale a PNG tRNS colour key to the units Pillow decodes the pixels to.

    Pillow keeps the key in the file's sample units, but decodes 2- and 4-bit
    grey to 0-255 (a 2-bit 1 becomes 85) and 16-bit RGB to its high byte
    (0x8012 becomes 0x80). Call before ``image.load()``: the decoder's raw
    mode is read from ``image.tile``. A 16-bit RGB key then matches on the
    high byte of each channel, the precision Pillow decodes to.
    """
    key = image.info.get("transparency")
    tile = getattr(image, "tile", None)  # an ImageFile's decoder list, which Pillow's stubs leave out
    if image.format != "PNG" or key is None or not tile:
        return
    rawmode = tile[0].args
    if rawmode in ("L;2", "L;4") and isinstance(key, int):
        image.info["transparency"] = key * 255 // ((1 << int(rawmode[-1])) - 1)
    elif rawmode == "RGB;16B" and isinstance(key, tuple):
        image.info["transparency"] = tuple(value >> 8 for value in key)


def load_image(
    source: BinaryIO | bytes, max_pixels: int, *, max_side: int | None = None
) -> tuple[Image.Image, ImageInfo]:
    """Decode an uploaded image into an upright RGB Pillow image.

    Checks the format and the pixel count from the header before decoding,
    takes the first frame of an animation, applies the EXIF orientation and
    converts to RGB with :func:`to_rgb`.

    Args:
        source: the encoded file (bytes or a binary file object).
        max_pixels: largest accepted width x height.
        max_side: if given, the caller will fit the image to this long side
            (px), so a JPEG may be decoded at 1/2, 1/4 or 1/8 scale in the DCT
            domain (Pillow's draft mode, libjpeg's scaled decoding), never
            below the fitted size. The image is then smaller than the file
            says; :class:`ImageInfo` still gives the file's own size.

    Returns:
        An RGB ``PIL.Image.Image`` with no metadata, and the :class:`ImageInfo`
        of the file (format, upright width and height in px, frame count).

    Raises:
        ImageRejected: unreadable, truncated, not an accepted format, or too large.
    """
    image = _open(source, max_pixels)
    try:
        frames = getattr(image, "n_frames", 1)
        image.seek(0)
        file_size = image.size
        if max_side is not None and image.format in {"JPEG", "MPO"}:
            image.draft(image.mode, fitted_size(file_size, max_side))
        _key_in_pixel_units(image)
        image.load()
        rotated = image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)  # these swap the sides
        # in place: a 20-megapixel photo is held twice rather than three times
        ImageOps.exif_transpose(image, in_place=True)
        rgb = to_rgb(image)
    except Image.DecompressionBombError:
        raise ImageRejected(_too_many_pixels(max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(DAMAGED) from None
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    width, height = file_size[::-1] if rotated else file_size
    return clean, ImageInfo(image.format or "", width, height, frames)


def decode_image(source: BinaryIO | bytes, max_pixels: int) -> Image.Image:
    """:func:`load_image` without the info: an upright RGB image. Raises ImageRejected."""
    return load_image(source, max_pixels)[0]


def fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(width, height) in px scaled so the long side is at most ``max_side``, aspect ratio kept; never larger."""
    width, height = size
    long_side = max(width, height)
    if long_side <= max_side:
        return size
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def fit_long_side(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale (Lanczos) so the long side is at most ``max_side`` px; never upscale."""
    size = fitted_size(image.size, max_side)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def to_array(image: Image.Image) -> np.ndarray:
    """RGB Pillow image -> uint8 array H x W x 3."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def from_array(array: np.ndarray) -> Image.Image:
    """uint8 array H x W x 3 -> RGB Pillow image."""
    return Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8), "RGB")


#: Formats whose pixels are kept losslessly when an upload is re-encoded.
LOSSLESS_FORMATS = frozenset({"PNG", "BMP", "TIFF", "GIF"})


def encode_original(image: Image.Image, source_format: str) -> tuple[bytes, str]:
    """Re-encode an uploaded image from its pixels, for storage.

    Nothing of the uploaded file but its pixels is kept: no metadata (EXIF,
    GPS, ICC, comments), no second frame, no payload hidden after the image.
    Lossless sources become PNG; lossy ones JPEG at quality 95 without chroma
    subsampling, so little is lost.

    Returns:
        (encoded bytes, extension: "png" or "jpg").
    """
    buffer = io.BytesIO()
    if source_format in LOSSLESS_FORMATS:
        image.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue(), "png"
    image.save(buffer, "JPEG", quality=95, subsampling=0)
    return buffer.getvalue(), "jpg"


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode as JPEG (progressive where it fits) with no metadata and full-resolution colour (4:4:4).

    ``quality`` is 1-95.

    A painting's colour lies in strokes a few pixels wide, which 4:2:0 chroma subsampling (Pillow's
    default at quality 90) smears: it about doubles a result's mean difference from the painting itself.
    4:4:4 costs about 40 % more bytes (measured here: benchmarks/RESULTS.md, "Live preview").
    """
    image = image if image.mode == "RGB" else image.convert("RGB")  # no copy of a 16-megapixel result
    buffer = io.BytesIO()
    try:
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, subsampling=0)
    except OSError:
        # Pillow holds a progressive JPEG in a buffer of one byte per pixel; a picture that compresses worse
        # (noise-like texture at high quality) overflows it. A baseline JPEG is written as it goes.
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, subsampling=0)
    return buffer.getvalue()


def make_thumbnail(image: Image.Image, side: int, quality: int) -> bytes:
    """A JPEG whose long side is at most ``side`` px, aspect ratio kept."""
    return encode_jpeg(fit_long_side(image, side), quality)
