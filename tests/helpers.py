"""Test helpers: paths of the shared test images and small image makers."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, UnidentifiedImageError

REPO = Path(__file__).resolve().parent.parent
# The shared test images live beside the checkout, in ../shared/testdata.
SHARED = Path(os.environ.get("PICSTYLIST_TESTDATA", REPO.parent / "shared" / "testdata"))
CONTENT_DIR = SHARED / "content"
STYLES_DIR = SHARED / "styles"
UPLOADS_DIR = SHARED / "uploads"
PASSWORD = "a-Long-enough-passw0rd"


def png_bytes(width: int = 64, height: int = 48, colour=(200, 30, 30), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def noise_jpeg(width: int, height: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(path_or_bytes: Path | bytes, name: str = "photo.png") -> SimpleUploadedFile:
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    if isinstance(path_or_bytes, Path):
        name = path_or_bytes.name
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def load_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def wait_for_status(stylization, statuses: set[str], timeout: float = 120.0, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stylization.refresh_from_db()
        if stylization.status in statuses:
            return stylization
        time.sleep(interval)
    raise AssertionError(f"{stylization.pk} still {stylization.status} after {timeout} s")


def make_stylization(
    owner,
    styles,
    data: bytes,
    *,
    name: str = "photo.png",
    max_side: int = 1024,
    strength: float = 1.0,
    colors: float = 1.0,
    brush: str = "medium",
):
    """A queued stylization of ``data`` (stored as is, unchecked) with ``styles``.

    ``styles`` is one Style or a list of (Style, weight) pairs. The photo's
    width and height are the ones its header gives, as an upload's would be.
    """
    from django.core.files.base import ContentFile

    from gallery.models import Photo, StyleWeight, Stylization

    pairs = styles if isinstance(styles, list) else [(styles, 1.0)]
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except UnidentifiedImageError:  # bytes that are no image: a photo the worker must refuse
        width = height = 0
    photo = Photo(owner=owner, width=width, height=height)
    photo.image.save(name, ContentFile(data), save=False)
    photo.save()
    stylization = Stylization.objects.create(
        owner=owner,
        photo=photo,
        style=pairs[0][0],
        max_side=max_side,
        engine="onnx",
        strength=strength,
        colors=colors,
        brush=brush,
    )
    total = sum(weight for _, weight in pairs)
    StyleWeight.objects.bulk_create(
        StyleWeight(stylization=stylization, style=style, weight=weight / total) for style, weight in pairs
    )
    return stylization


def finish_stylization(stylization, public: bool = False):
    """Mark a stylization done with small stand-in files (no network run), optionally public."""
    stylization.mark_running()
    stylization.mark_done(png_bytes(60, 40, (1, 2, 3)), (60, 40), png_bytes(30, 20), png_bytes(60, 40, (9, 9, 9)))
    if public:
        stylization.set_public(True)
    return stylization


#: The upload corpus (../shared/testdata/uploads/): accepted files -> upright (width, height) px.
CORPUS_ACCEPTED = {
    "hopper_orientation_2.jpg": (128, 128),
    "hopper_orientation_3.jpg": (128, 128),
    "hopper_orientation_4.jpg": (128, 128),
    "hopper_orientation_6.jpg": (128, 128),
    "hopper_orientation_7.jpg": (128, 128),
    "pil_sample_cmyk.jpg": (100, 100),
    "app13-multiple.jpg": (256, 160),
    "rgb.jpg": (100, 100),
    "hopper_gray.jpg": (128, 128),
    "pil123p.png": (162, 150),
    "transparent.png": (200, 150),
    "i_trns.png": (64, 64),
    "hopper_bw_500.png": (500, 500),
    "chi.gif": (320, 240),
    "hopper.webp": (128, 128),
    "hopper_lzw.tif": (128, 128),
    "hopper.bmp": (128, 128),
    "zPug_3.heic": (64, 64),
}
#: Refused files -> the message shown.
CORPUS_REFUSED = {
    "truncated_jpeg.jpg": "This image file is damaged or incomplete and cannot be read.",
    "decompression_bomb.gif": "This image has too many pixels to process; the limit is 50 megapixels.",
    "png_bomb_20000x20000_1bit.png": "This image has too many pixels to process; the limit is 50 megapixels.",
    "anchor_horizontal.svg": "This file is not an image we can read.",
    "empty_zero_bytes.jpg": "This file is empty.",  # the upload page's words too (gallery.messages)
    "hopper_merged.psd": "PSD images are not accepted.",
}
