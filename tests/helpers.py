"""Test helpers: paths of the shared test images and small image makers."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

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


def wait_for_status(stylization, statuses: set[str], timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stylization.refresh_from_db()
        if stylization.status in statuses:
            return stylization
        time.sleep(0.25)
    raise AssertionError(f"{stylization.pk} still {stylization.status} after {timeout} s")


def make_stylization(
    owner,
    styles,
    data: bytes,
    *,
    name: str = "photo.png",
    max_side: int = 1024,
    strength: float = 1.0,
    keep_colors: bool = False,
):
    """A queued stylization of ``data`` (stored as is, unchecked) with ``styles``.

    ``styles`` is one Style or a list of (Style, weight) pairs.
    """
    from django.core.files.base import ContentFile

    from gallery.models import Photo, StyleWeight, Stylization

    pairs = styles if isinstance(styles, list) else [(styles, 1.0)]
    photo = Photo(owner=owner, width=0, height=0)
    photo.image.save(name, ContentFile(data), save=False)
    photo.save()
    stylization = Stylization.objects.create(
        owner=owner,
        photo=photo,
        style=pairs[0][0],
        max_side=max_side,
        engine="onnx",
        strength=strength,
        keep_colors=keep_colors,
    )
    total = sum(weight for _, weight in pairs)
    StyleWeight.objects.bulk_create(
        StyleWeight(stylization=stylization, style=style, weight=weight / total) for style, weight in pairs
    )
    return stylization
