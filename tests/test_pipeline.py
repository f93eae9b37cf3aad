"""The image pipeline on generated images and on the shared upload corpus."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from stylizer.pipeline import (
    ImageRejected,
    decode_image,
    encode_jpeg,
    fit_long_side,
    inspect_image,
    load_image,
    make_thumbnail,
    to_rgb,
)

from .helpers import CONTENT_DIR, CORPUS_ACCEPTED, CORPUS_REFUSED, UPLOADS_DIR

MAX_PIXELS = 50_000_000

ACCEPTED = CORPUS_ACCEPTED
#: the pipeline's own wording (the form adds its own for empty files)
REFUSED = {**CORPUS_REFUSED, "empty_zero_bytes.jpg": "not an image we can read"}


def encoded(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "size"), sorted(ACCEPTED.items()))
def test_accepted_uploads_decode_to_upright_rgb(name, size):
    image, info = load_image((UPLOADS_DIR / name).read_bytes(), MAX_PIXELS)
    assert image.mode == "RGB"
    assert image.size == size
    assert (info.width, info.height) == size
    assert not image.info.get("exif")


@pytest.mark.parametrize(("name", "message"), sorted(REFUSED.items()))
def test_refused_uploads_raise_a_readable_message(name, message):
    with pytest.raises(ImageRejected, match=re.escape(message) if name != "empty_zero_bytes.jpg" else message):
        decode_image((UPLOADS_DIR / name).read_bytes(), MAX_PIXELS)


def test_pixel_cap_is_checked_from_the_header():
    info = inspect_image((UPLOADS_DIR / "hopper.bmp").read_bytes(), MAX_PIXELS)
    assert (info.format, info.width, info.height, info.extension) == ("BMP", 128, 128, "bmp")
    with pytest.raises(ImageRejected, match="limit is 50 megapixels"):
        inspect_image((UPLOADS_DIR / "png_bomb_20000x20000_1bit.png").read_bytes(), MAX_PIXELS)
    with pytest.raises(ImageRejected, match=r"128 x 128 px"):
        inspect_image((UPLOADS_DIR / "hopper.bmp").read_bytes(), 128 * 128 - 1)


@pytest.mark.parametrize("orientation", [2, 3, 4, 6, 7])
def test_exif_orientation_is_applied(orientation):
    upright = np.asarray(decode_image((UPLOADS_DIR / "hopper.bmp").read_bytes(), MAX_PIXELS), dtype=np.float64)
    raw_bytes = (UPLOADS_DIR / f"hopper_orientation_{orientation}.jpg").read_bytes()
    decoded = np.asarray(decode_image(raw_bytes, MAX_PIXELS), dtype=np.float64)
    raw = np.asarray(Image.open(io.BytesIO(raw_bytes)).convert("RGB"), dtype=np.float64)
    assert np.abs(decoded - upright).mean() < 12, "decoded image should match the upright reference"
    assert np.abs(raw - upright).mean() > 30, "the stored pixels are not upright, so the test can tell"


def test_rotated_jpeg_reports_its_upright_size():
    image = Image.new("RGB", (40, 20), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW
    decoded, info = load_image(encoded(image, "JPEG", exif=exif), MAX_PIXELS)
    assert decoded.size == (20, 40)
    assert (info.width, info.height) == (20, 40)


@pytest.mark.parametrize("orientation", [1, 6])
def test_large_jpeg_decoded_at_reduced_scale_matches_full_decode(orientation):
    """Draft-mode (DCT-scaled) decoding of a 4032 x 3024 px JPEG, fitted to 1024 px, against a full decode."""
    photo = Image.open(CONTENT_DIR / "chelsea.png").convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(photo, "JPEG", quality=95, exif=exif)
    upright = (4032, 3024) if orientation == 1 else (3024, 4032)

    draft, info = load_image(data, MAX_PIXELS, max_side=1024)
    full, full_info = load_image(data, MAX_PIXELS)

    assert (info.width, info.height) == (full_info.width, full_info.height) == upright
    assert full.size == upright
    assert draft.size == (upright[0] // 2, upright[1] // 2), "decoded at half scale: the smallest not below 1024 px"
    fitted_draft = np.asarray(fit_long_side(draft, 1024), dtype=np.float64) / 255
    fitted_full = np.asarray(fit_long_side(full, 1024), dtype=np.float64) / 255
    assert fitted_draft.shape == fitted_full.shape == (upright[1] * 1024 // 4032, upright[0] * 1024 // 4032, 3)
    assert np.abs(fitted_draft - fitted_full).mean() < 0.002  # measured 0.0007


def test_draft_decoding_never_goes_below_the_fitted_size():
    data = encoded(Image.new("RGB", (1100, 900), (200, 100, 50)), "JPEG")
    image, _ = load_image(data, MAX_PIXELS, max_side=1024)
    assert image.size == (1100, 900), "half scale would be 550 px, below 1024: decoded in full"
    image, _ = load_image(data, MAX_PIXELS, max_side=300)
    assert image.size == (550, 450)


def test_transparency_is_composited_on_white():
    rgba = Image.new("RGBA", (2, 1))
    rgba.putpixel((0, 0), (255, 0, 0, 0))  # fully transparent red
    rgba.putpixel((1, 0), (0, 0, 255, 255))  # opaque blue
    pixels = np.asarray(decode_image(encoded(rgba), MAX_PIXELS))
    assert pixels[0, 0].tolist() == [255, 255, 255]
    assert pixels[0, 1].tolist() == [0, 0, 255]

    half = Image.new("LA", (1, 1), (0, 128))  # black at half opacity
    assert np.asarray(to_rgb(half))[0, 0].tolist() == [127, 127, 127]


def test_palette_transparency_is_composited_on_white():
    pixels = np.asarray(decode_image((UPLOADS_DIR / "pil123p.png").read_bytes(), MAX_PIXELS))
    with Image.open(UPLOADS_DIR / "pil123p.png") as source:
        alpha = np.asarray(source.convert("RGBA"))[..., 3]
    assert (alpha == 0).any()
    assert (pixels[alpha == 0] == 255).all()


def test_16_bit_grayscale_is_scaled_not_clipped():
    values = np.array([[0, 32896, 65535]], dtype=np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    pixels = np.asarray(decode_image(encoded(image), MAX_PIXELS))
    assert pixels[0, :, 0].tolist() == [0, 128, 255]
    assert (pixels[..., 0] == pixels[..., 2]).all()


def test_cmyk_becomes_rgb_with_true_colours():
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # pure red ink: no cyan, full magenta + yellow
    pixels = np.asarray(decode_image(encoded(cmyk, "JPEG", quality=95), MAX_PIXELS))
    red, green, blue = pixels.reshape(-1, 3).mean(axis=0)
    assert red > 230 and green < 25 and blue < 25


def test_animation_uses_the_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in [(255, 0, 0), (0, 255, 0)]]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    image, info = load_image(data, MAX_PIXELS)
    assert info.frames == 2
    assert np.asarray(image)[0, 0].tolist() == [255, 0, 0]


def test_fit_long_side_downscales_only():
    assert fit_long_side(Image.new("RGB", (4032, 3024)), 1024).size == (1024, 768)
    assert fit_long_side(Image.new("RGB", (3024, 4032)), 1024).size == (768, 1024)
    assert fit_long_side(Image.new("RGB", (600, 400)), 1024).size == (600, 400)


def test_jpeg_and_thumbnail_carry_no_metadata():
    image = Image.new("RGB", (1000, 500), (12, 34, 56))
    jpeg = Image.open(io.BytesIO(encode_jpeg(image, 90)))
    assert jpeg.format == "JPEG" and jpeg.size == (1000, 500)
    assert not jpeg.getexif()
    thumbnail = Image.open(io.BytesIO(make_thumbnail(image, 320, 85)))
    assert thumbnail.size == (320, 160)


def test_results_keep_their_colour_at_full_resolution():
    """A painting's colour strokes, one pixel wide here, survive: 4:4:4, not 4:2:0 chroma subsampling."""
    from PIL import JpegImagePlugin

    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[:, 0::2] = (220, 40, 40)  # red and blue columns of one pixel, of about the same luminance
    stripes[:, 1::2] = (40, 40, 220)
    jpeg = Image.open(io.BytesIO(encode_jpeg(Image.fromarray(stripes), 90)))
    assert JpegImagePlugin.get_sampling(jpeg) == 0  # 4:4:4
    decoded = np.asarray(jpeg.convert("RGB")).astype(float)
    assert np.abs(decoded - stripes).mean() < 12  # 4:2:0 averages each pair toward purple: about 65 off


def test_a_picture_that_compresses_badly_is_still_encoded():
    """Noise at quality 95, 4:4:4, needs more than the byte per pixel Pillow gives a progressive JPEG."""
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    data = encode_jpeg(Image.fromarray(noise), 95)
    assert len(data) > 256 * 256  # more than one byte per pixel
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(float)
    assert np.abs(decoded - noise).mean() < 12
