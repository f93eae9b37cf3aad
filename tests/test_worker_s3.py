"""A real worker process on S3 storage, with real storage faults in between."""

from __future__ import annotations

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Style, Stylization
from gallery.tasks import STORAGE_UNAVAILABLE

from .faults import FaultyProxy
from .helpers import CONTENT_DIR, STYLES_DIR, upload, wait_for_status

pytestmark = pytest.mark.worker


@pytest.fixture
def proxy(s3):
    """The worker reaches the bucket through a proxy that can fail requests on purpose."""
    port = int(s3.endpoint.rsplit(":", 1)[1])
    with FaultyProxy(port) as faulty:
        s3.configure(f"http://127.0.0.1:{faulty.port}")
        yield faulty


@pytest.fixture
def style(s3, transactional_db) -> Style:
    with Image.open(STYLES_DIR / "starry_night.jpg") as image:
        return Style.objects.create_from_image(image.convert("RGB"), title="Starry Night", is_public=True)


def upload_photo(client, user, style) -> Stylization:
    client.force_login(user)
    response = client.post(reverse("gallery:home"), {"photo": upload(CONTENT_DIR / "rocket.jpg"), "style": style.pk})
    assert response.status_code == 302
    return Stylization.objects.get()


def test_upload_to_done_with_s3_as_the_only_shared_storage(client, alice, s3, style, celery_worker_process, media_root):
    stylization = upload_photo(client, alice, style)
    wait_for_status(stylization, {"done", "failed"})
    assert stylization.status == "done", stylization.error_message
    assert set(s3.keys()) == {
        stylization.photo.image.name,
        stylization.result_image.name,
        stylization.thumbnail.name,
        stylization.preview_image.name,
        style.image.name,
        style.thumbnail.name,
    }
    result = s3.client.get_object(Bucket=s3.name, Key=stylization.result_image.name)
    assert result["ContentType"] == "image/jpeg"
    with Image.open(result["Body"]) as image:
        assert image.size == (640, 427)
    assert not media_root.exists() or not any(media_root.rglob("*.*")), "nothing went to local disk"


def test_a_storage_error_on_the_first_attempt_is_retried_and_ends_done(
    client, alice, s3, proxy, style, celery_worker_process
):
    proxy.fail("GET", "/private/photos/", failures=1)
    stylization = upload_photo(client, alice, style)
    wait_for_status(stylization, {"done", "failed"})
    assert stylization.status == "done", stylization.error_message
    assert proxy.injected == 1
    log = celery_worker_process.read_text()
    assert "retry 1 in 0.2 s" in log
    assert "Retry in" in log


def test_storage_failing_past_the_last_retry_ends_failed_and_keeps_the_upload(
    client, alice, s3, proxy, style, celery_worker_process
):
    proxy.fail("GET", "/private/photos/", failures=100)
    stylization = upload_photo(client, alice, style)
    wait_for_status(stylization, {"done", "failed"})
    assert stylization.status == "failed"
    assert stylization.error_message == STORAGE_UNAVAILABLE
    assert proxy.injected == 4, "the first attempt and 3 retries"
    assert stylization.photo.image.name in s3.keys()


def test_a_clip_on_s3_keeps_the_private_and_public_rules_and_leaves_no_orphans(
    client, alice, s3, style, celery_worker_process, tmp_path
):
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    from . import clipmaker

    source = clipmaker.write_clip(tmp_path / "c.mp4", clipmaker.pan((320, 180), 25), audio_seconds=1.0)
    client.force_login(alice)
    response = client.post(
        reverse("gallery:home"),
        {"photo": upload(source.read_bytes(), name="c.mp4"), "style": style.pk, "brush": "bold", "clip_side": 360},
    )
    assert response.status_code == 302
    stylization = Stylization.objects.get()
    wait_for_status(stylization, {"done", "failed"}, timeout=180)
    assert stylization.status == "done", stylization.error_message
    files = [stylization.photo.image, *stylization.stored_files()]
    assert len(files) == 6 and all(field.name.startswith("private/") for field in files)
    assert set(s3.keys()) == {field.name for field in files} | {style.image.name, style.thumbnail.name}
    result = s3.client.get_object(Bucket=s3.name, Key=stylization.result_image.name)
    assert result["ContentType"] == "video/mp4"
    anonymous = Client()
    assert anonymous.get(reverse("gallery:file", args=[stylization.pk, "result"])).status_code == 404
    stylization.set_public(True)
    stylization.refresh_from_db()
    assert all(field.name.startswith("public/") for field in stylization.stored_files())
    assert stylization.photo.image.name.startswith("private/")  # the original clip stays private
    answer = anonymous.get(reverse("gallery:file", args=[stylization.pk, "animation"]))
    assert answer.status_code == 302 and stylization.animation.name in answer["Location"]
    out = StringIO()
    call_command("audit_storage", "--min-age", "0", stdout=out)
    assert "0 orphan objects, 0 rows with missing objects" in out.getvalue(), out.getvalue()
    stylization.delete()
    assert set(s3.keys()) == {style.image.name, style.thumbnail.name}
