"""Every file of ../shared/testdata/uploads/, uploaded as a photo and as a style."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.urls import reverse
from PIL import Image

from gallery.models import Photo, Style, Stylization
from stylizer.tasks import stylize_stylization

from .helpers import UPLOADS_DIR, upload

#: file -> upright (width, height) of the accepted ones
ACCEPTED = {
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
#: file -> the message the form shows
REFUSED = {
    "truncated_jpeg.jpg": "This image file is damaged or incomplete and cannot be read.",
    "decompression_bomb.gif": "This image has too many pixels to process; the limit is 50 megapixels.",
    "png_bomb_20000x20000_1bit.png": "This image has too many pixels to process; the limit is 50 megapixels.",
    "anchor_horizontal.svg": "This file is not an image we can read.",
    "empty_zero_bytes.jpg": "The submitted file is empty.",
    "hopper_merged.psd": "PSD images are not accepted.",
}


def test_the_corpus_is_covered():
    files = {p.name for p in UPLOADS_DIR.iterdir() if p.name != "MANIFEST.md"}
    assert files == set(ACCEPTED) | set(REFUSED)


def stored(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


@pytest.fixture
def published():
    sent = []

    def record(sender, body, **kwargs):
        sent.append(body[0][0])

    before_task_publish.connect(record, sender="stylizer.stylize_stylization")
    yield sent
    before_task_publish.disconnect(record, sender="stylizer.stylize_stylization")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_photo_is_stylized_upright_at_its_size(
    alice_client, public_style, name, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("gallery:home"), {"photo": upload(UPLOADS_DIR / name), "style": public_style.pk}, follow=True
        )
    assert response.status_code == 200
    stylization = Stylization.objects.get()
    assert published == [str(stylization.pk)]
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    assert (stylization.result_width, stylization.result_height) == ACCEPTED[name]
    notes = [str(m) for m in response.context["messages"]]
    if name == "chi.gif":
        assert "Your photo is animated (31 frames); we used its first frame." in notes
    with Image.open(stylization.photo.image.open("rb")) as stored_photo:
        assert stored_photo.size == ACCEPTED[name]
        assert stored_photo.mode == "RGB"
        assert not stored_photo.getexif()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_photo_shows_its_message_and_leaves_nothing(alice_client, public_style, media_root, name, published):
    before = stored(media_root)
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(UPLOADS_DIR / name), "style": public_style.pk}
    )
    assert response.status_code == 200
    assert REFUSED[name] in " ".join(response.context["form"].errors["photo"])
    assert REFUSED[name] in response.content.decode().replace("&#x27;", "'")
    assert (Stylization.objects.count(), Photo.objects.count(), published) == (0, 0, [])
    assert stored(media_root) == before


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_style_image_becomes_a_private_style(alice_client, alice, name):
    response = alice_client.post(reverse("gallery:style_upload"), {"title": name, "image": upload(UPLOADS_DIR / name)})
    assert response.status_code == 302
    style = Style.objects.get()
    assert (style.owner, style.is_public, (style.width, style.height)) == (alice, False, ACCEPTED[name])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_style_image_shows_its_message_and_leaves_nothing(alice_client, media_root, name):
    response = alice_client.post(reverse("gallery:style_upload"), {"title": name, "image": upload(UPLOADS_DIR / name)})
    assert response.status_code == 200
    assert REFUSED[name] in " ".join(response.context["form"].errors["image"])
    assert Style.objects.count() == 0
    assert stored(media_root) == []


def test_no_metadata_reaches_any_stored_file(alice_client, alice, public_style, django_capture_on_commit_callbacks):
    image = Image.new("RGB", (320, 240), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"private comment")
    with Image.open(io.BytesIO(buffer.getvalue())) as check:
        assert check.getexif().get(0x010F) == "SecretCam"
    alice_client.post(
        reverse("gallery:home"), {"photo": upload(buffer.getvalue(), "gps.jpg"), "style": public_style.pk}
    )
    stylization = Stylization.objects.get()
    stylize_stylization(str(stylization.pk))
    stylization.refresh_from_db()
    for field in [stylization.photo.image, *stylization.stored_files()]:
        data = field.open("rb").read()
        with Image.open(io.BytesIO(data)) as stored_image:
            assert not stored_image.getexif(), field.name
            assert "comment" not in stored_image.info, field.name
        assert b"SecretCam" not in data and b"private comment" not in data, field.name
