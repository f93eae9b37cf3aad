"""Every file of ../shared/testdata/uploads/, uploaded as a photo and as a style."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Photo, Style, Stylization
from gallery.tasks import stylize_stylization

from .helpers import CORPUS_ACCEPTED, CORPUS_REFUSED, UPLOADS_DIR, upload

ACCEPTED, REFUSED = CORPUS_ACCEPTED, CORPUS_REFUSED


def test_the_corpus_is_covered():
    files = {p.name for p in UPLOADS_DIR.iterdir() if p.name != "MANIFEST.md"}
    assert files == set(ACCEPTED) | set(REFUSED)


def stored(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_photo_is_stylized_upright_at_its_size(
    alice_client, public_style, name, django_capture_on_commit_callbacks, published_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("gallery:home"), {"photo": upload(UPLOADS_DIR / name), "style": public_style.pk}, follow=True
        )
    assert response.status_code == 200
    stylization = Stylization.objects.get()
    if name == "chi.gif":  # animated: a clip, for the clip queue (tests/test_clip_worker.py stylizes it)
        assert stylization.photo.kind == "animation" and published_tasks == []
        return
    assert published_tasks == [str(stylization.pk)]
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    assert (stylization.result_width, stylization.result_height) == ACCEPTED[name]
    with Image.open(stylization.photo.image.open("rb")) as stored_photo:
        assert stored_photo.size == ACCEPTED[name]
        assert stored_photo.mode == "RGB"
        assert not stored_photo.getexif()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_photo_shows_its_message_and_leaves_nothing(
    alice_client, public_style, media_root, name, published_tasks
):
    before = stored(media_root)
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(UPLOADS_DIR / name), "style": public_style.pk}
    )
    assert response.status_code == 200
    assert REFUSED[name] in " ".join(response.context["form"].errors["photo"])
    assert REFUSED[name] in response.content.decode().replace("&#x27;", "'")
    assert (Stylization.objects.count(), Photo.objects.count(), published_tasks) == (0, 0, [])
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
