"""The whole path through a real Celery worker process (not eager mode)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Style, Stylization

from .helpers import CONTENT_DIR, PASSWORD, STYLES_DIR, UPLOADS_DIR, make_stylization, upload, wait_for_status

pytestmark = pytest.mark.worker


@pytest.fixture
def two_styles(transactional_db):
    styles = []
    for name, title in [("starry_night.jpg", "Starry Night"), ("great_wave_off_kanagawa.jpg", "Great Wave")]:
        with Image.open(STYLES_DIR / name) as image:
            styles.append(Style.objects.create_from_image(image.convert("RGB"), title=title, is_public=True))
    return styles


def test_sign_up_upload_two_photos_and_both_reach_done(client, two_styles, celery_worker_process):
    client.post(
        reverse("signup"),
        {"username": "erin", "email": "", "password1": PASSWORD, "password2": PASSWORD},
    )
    photos = [CONTENT_DIR / "astronaut.png", CONTENT_DIR / "rocket.jpg"]
    for photo, style in zip(photos, two_styles, strict=True):
        response = client.post(reverse("gallery:home"), {"photo": upload(photo), "style": style.pk})
        assert response.status_code == 302

    stylizations = list(Stylization.objects.order_by("created"))
    assert len(stylizations) == 2
    for stylization, photo in zip(stylizations, photos, strict=True):
        wait_for_status(stylization, {"done", "failed"})
        assert stylization.status == "done", stylization.error_message
        with Image.open(photo) as source, Image.open(stylization.result_image.open("rb")) as result:
            assert result.size == source.size
            assert result.format == "JPEG"

    gallery = client.get(reverse("gallery:mine")).content.decode()
    assert len(re.findall(r'data-status="done"', gallery)) == 2
    status = client.get(reverse("gallery:status"), {"id": [str(s.pk) for s in stylizations]}).json()
    assert {info["status"] for info in status["stylizations"].values()} == {"done"}
    log = celery_worker_process.read_text()
    assert log.count("succeeded") == 2, log
    assert re.search(r"Engine onnx warmed up at 1024 px in \d+\.\d\d s", log), log
    assert log.index("warmed up") < log.index("succeeded"), "the warm-up runs before the first job"


def test_photo_the_worker_cannot_decode_ends_failed(alice, two_styles, celery_worker_process):
    from django.db import transaction

    with transaction.atomic():
        data = (UPLOADS_DIR / "truncated_jpeg.jpg").read_bytes()
        stylization = make_stylization(alice, two_styles[0], data, name="p.jpg")
        transaction.on_commit(stylization.enqueue)
    wait_for_status(stylization, {"done", "failed"})
    assert stylization.status == "failed"
    assert "damaged or incomplete" in stylization.error_message
