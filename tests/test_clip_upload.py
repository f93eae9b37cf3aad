"""Clips at the door (no worker): what the form accepts and refuses, what is stored, who may cancel,
the live status of a clip and its wait, the clip size control, and the storage audit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from gallery.estimates import queue_estimates
from gallery.models import Photo, Stylization
from stylizer import clips

from . import clipmaker
from .helpers import SHARED, upload


def post_clip(client, style, data: bytes, name: str, **controls):
    return client.post(
        reverse("gallery:home"), {"photo": upload(data, name=name), "style": style.pk, "brush": "bold", **controls}
    )


@pytest.fixture
def sent_tasks():
    """(task name, queue) of every task this process sends to the broker during the test."""
    from celery.signals import before_task_publish

    sent: list[tuple[str, str]] = []

    def record(sender=None, **kwargs):
        sent.append((sender, kwargs.get("routing_key")))

    names = ("gallery.stylize_clip", "stylizer.stylize_stylization")
    for name in names:
        before_task_publish.connect(record, sender=name)
    yield sent
    for name in names:
        before_task_publish.disconnect(record, sender=name)


@pytest.fixture
def clip_bytes(tmp_path: Path) -> bytes:
    return clipmaker.write_clip(tmp_path / "c.mp4", clipmaker.pan((320, 180), 25), audio_seconds=1.0).read_bytes()


def test_a_clip_is_stored_as_sent_and_queued_on_the_clip_queue(
    alice_client, public_style, clip_bytes, sent_tasks, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_clip(alice_client, public_style, clip_bytes, "holiday.mp4", clip_side=480)
    assert response.status_code == 302
    stylization = Stylization.objects.get()
    photo = stylization.photo
    assert (photo.kind, photo.width, photo.height, photo.frame_count, photo.has_audio) == ("video", 320, 180, 25, True)
    assert photo.seconds == pytest.approx(1.0, abs=0.01)
    assert photo.image.read() == clip_bytes and photo.stored_bytes == len(clip_bytes)
    assert stylization.max_side == 480
    assert sent_tasks == [("gallery.stylize_clip", settings.STYLIZER_CLIP_QUEUE)]


def test_a_photo_still_goes_to_the_photo_queue(
    alice_client, public_style, sent_tasks, django_capture_on_commit_callbacks
):
    photo = upload((SHARED / "content" / "rocket.jpg").read_bytes(), name="r.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("gallery:home"), {"photo": photo, "style": public_style.pk})
    assert response.status_code == 302
    assert Stylization.objects.get().photo.kind == "image"
    assert sent_tasks == [("stylizer.stylize_stylization", "celery")]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("notes.mp4", lambda tmp: b"just some text, named like a video\n" * 40, "is not an image we can read"),
        (
            "cut.mp4",
            lambda tmp: clipmaker.write_clip(tmp / "x.mp4", clipmaker.pan((160, 96), 40)).read_bytes()[:3000],
            clips.DAMAGED_CLIP,
        ),
        (
            "long.mp4",
            lambda tmp: clipmaker.write_clip(tmp / "x.mp4", [clipmaker.pan((64, 64), 1)[0]] * 31, rate=2).read_bytes(),
            "This clip is 15.5 s long; the limit is 15 s. Trim it and try again.",
        ),
        (
            "wide.mp4",
            lambda tmp: clipmaker.write_clip(tmp / "x.mp4", clipmaker.pan((2000, 200), 2)).read_bytes(),
            "This clip is 2000 x 200 px; the limit is 1920 x 1080 px (either way up).",
        ),
    ],
    ids=["not-a-video", "truncated", "too-long", "too-wide"],
)
def test_bad_clips_are_refused_at_the_door_and_nothing_is_stored(
    alice_client, public_style, tmp_path, name, make, message, settings
):
    before = set(Path(settings.MEDIA_ROOT).rglob("*"))
    response = post_clip(alice_client, public_style, make(tmp_path), name)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Photo.objects.exists() and not Stylization.objects.exists()
    assert set(Path(settings.MEDIA_ROOT).rglob("*")) == before


def test_a_clip_over_its_byte_limit_is_refused_in_those_words(alice_client, public_style, clip_bytes, settings):
    settings.STYLIZER_CLIP_MAX_BYTES = len(clip_bytes) - 1
    settings.MAX_UPLOAD_BYTES = 1000
    response = post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    limit = filesizeformat(len(clip_bytes) - 1)
    assert f"This file is {filesizeformat(len(clip_bytes))}; the limit is {limit}." in response.content.decode()
    assert not Photo.objects.exists()


def test_a_still_gif_is_a_photo_and_an_animated_one_a_clip(alice_client, public_style, tmp_path):
    still = clipmaker.write_animation(tmp_path / "still.gif", clipmaker.pan((96, 64), 1), [100])
    animated = SHARED / "uploads" / "chi.gif"
    for path, kind in ((still, "image"), (animated, "animation")):
        response = post_clip(alice_client, public_style, path.read_bytes(), path.name)
        assert response.status_code == 302, response.content.decode()[:500]
        assert Stylization.objects.latest("created").photo.kind == kind


def test_the_owner_alone_cancels_and_a_queued_clip_stops_at_once(alice_client, bob, public_style, clip_bytes):
    from django.test import Client

    post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    stylization = Stylization.objects.get()
    other = Client()
    assert other.post(reverse("gallery:cancel", args=[stylization.pk])).status_code == 302  # to the login page
    other.force_login(bob)
    assert other.post(reverse("gallery:cancel", args=[stylization.pk])).status_code == 404
    assert alice_client.get(reverse("gallery:cancel", args=[stylization.pk])).status_code == 405
    stylization.refresh_from_db()
    assert stylization.status == "queued"
    alice_client.post(reverse("gallery:cancel", args=[stylization.pk]))
    stylization.refresh_from_db()
    assert stylization.status == "cancelled" and stylization.finished is not None
    # A worker that takes its message later leaves it alone.
    assert not stylization.claim("late-task")


def test_a_running_clip_is_flagged_and_its_progress_write_says_stop(alice_client, public_style, clip_bytes):
    post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    stylization = Stylization.objects.get()
    assert stylization.claim("task-1")
    assert stylization.record_progress(5, 25)
    alice_client.post(reverse("gallery:cancel", args=[stylization.pk]))
    stylization.refresh_from_db()
    assert stylization.status == "running" and stylization.cancel_requested
    assert not stylization.record_progress(6, 25)
    status = alice_client.get(reverse("gallery:status"), {"id": str(stylization.pk)}).json()
    info = status["stylizations"][str(stylization.pk)]
    assert (info["kind"], info["frames_done"], info["frames_total"], info["cancelling"]) == ("video", 5, 25, True)


def test_a_clips_wait_comes_from_its_own_pace_and_its_own_queue(alice, public_style, clip_bytes, alice_client):
    for _ in range(2):
        post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    running, queued = Stylization.objects.order_by("created")
    assert running.claim("task-1")
    Stylization.objects.filter(pk=running.pk).update(started=timezone.now() - timedelta(seconds=10))
    running.refresh_from_db()
    running.record_progress(5, 25)  # 5 frames in 10 s: 2 s a frame, 20 frames left
    estimates = queue_estimates([running, queued])
    assert estimates[running.pk]["eta_seconds"] == pytest.approx(40, abs=1)
    # No clip has finished yet, so the queued one's own length is unknown: its place, no wait.
    assert estimates[queued.pk] == {"position": 1, "eta_seconds": None}


def test_the_restyle_of_a_clip_offers_the_clip_size_and_previews_its_middle_frame(
    alice_client, public_style, clip_bytes
):
    post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    stylization = Stylization.objects.get()
    page = alice_client.get(reverse("gallery:restyle", args=[stylization.pk])).content.decode()
    assert 'name="clip_side"' in page and 'name="max_side"' not in page
    assert reverse("gallery:file", args=[stylization.pk, "preview"]) in page
    assert '"photo_is_clip": true' in page


def test_the_storage_audit_counts_a_clips_card_and_poster(alice, public_style, clip_bytes, alice_client, settings):
    from .helpers import png_bytes

    post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    stylization = Stylization.objects.get()
    stylization.claim("task-1")
    files = {
        "result_image": ("result.mp4", b"mp4"),
        "animation": ("card.webp", b"webp"),
        "poster": ("poster.jpg", png_bytes()),
        "preview_image": ("preview.jpg", png_bytes()),
        "thumbnail": ("thumbnail.jpg", png_bytes()),
    }
    stylization.mark_clip_done(files, (320, 180), 25)
    from io import StringIO

    out = StringIO()
    call_command("audit_storage", "--min-age", "0", stdout=out)
    assert "0 orphan objects, 0 rows with missing objects" in out.getvalue(), out.getvalue()
    stylization.set_public(True)
    stylization.refresh_from_db()
    assert all(field.name.startswith("public/") for field in stylization.stored_files())
    stylization.delete()


def test_staff_see_a_clips_kind_and_progress_in_the_admin(admin_client, alice_client, public_style, clip_bytes):
    post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    stylization = Stylization.objects.get()
    stylization.claim("task-1")
    stylization.record_progress(10, 25)
    page = admin_client.get(reverse("admin:gallery_stylization_changelist")).content.decode()
    assert "Video, 10/25 frames, 1.0 s" in page
    filtered = admin_client.get(reverse("admin:gallery_stylization_changelist"), {"photo__kind": "image"})
    assert "Video, 10/25 frames" not in filtered.content.decode()


def test_a_long_clip_is_refused_with_its_own_length_and_a_running_clip_says_clip(
    alice_client, public_style, tmp_path, clip_bytes
):
    frame = clipmaker.pan((64, 64), 1)[0]
    long_clip = clipmaker.write_clip(tmp_path / "long.mp4", [frame] * 40, rate=2).read_bytes()  # 20 s
    response = post_clip(alice_client, public_style, long_clip, "long.mp4")
    assert "This clip is 20.0 s long; the limit is 15 s. Trim it and try again." in response.content.decode()
    post_clip(alice_client, public_style, clip_bytes, "c.mp4")
    stylization = Stylization.objects.get()
    stylization.claim("task-1")
    page = alice_client.get(reverse("gallery:mine")).content.decode()
    assert "Painting your clip…" in page
    stylization.cancel()
    stylization.refresh_from_db()
    assert stylization.cancel_requested
    stylization.mark_cancelled()
    assert "Cancelled" in alice_client.get(reverse("gallery:mine")).content.decode()
