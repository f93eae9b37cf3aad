"""Clips through a real Celery worker: upload to result with sound and rotation, the gallery and detail
pages, cancellation, a worker killed mid-clip, and photos that never wait behind a clip."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Photo, Stylization
from gallery.tasks import clip_work_dir

from . import clipmaker
from .conftest import _celery_worker
from .helpers import CONTENT_DIR, SHARED, upload, wait_for_status
from .test_worker_faults import worker_children

pytestmark = pytest.mark.worker


def send_clip(client, path: Path, style, **controls) -> Stylization:
    data = {"photo": upload(path.read_bytes(), name=path.name), "style": style.pk, "brush": "bold", **controls}
    response = client.post(reverse("gallery:home"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Stylization.objects.select_related("photo").latest("created")


def stored_files(media_root: Path) -> set[str]:
    return {str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file()}


def test_a_phone_clip_with_sound_comes_back_upright_with_its_sound(
    alice_client, public_style, celery_worker_process, tmp_path, settings
):
    source = clipmaker.write_clip(
        tmp_path / "phone.mp4", clipmaker.pan((320, 180), 50), audio_seconds=2.0, rotation=90, faststart=True
    )
    stylization = send_clip(alice_client, source, public_style, clip_side=720, strength=80)
    photo = stylization.photo
    assert (photo.kind, photo.width, photo.height, photo.frame_count, photo.has_audio) == ("video", 180, 320, 50, True)
    assert photo.image.name.endswith(".mp4") and photo.image.read() == source.read_bytes()  # kept as sent
    wait_for_status(stylization, {"done", "failed", "cancelled"}, timeout=240)
    assert stylization.status == "done", stylization.error_message
    assert (stylization.result_width, stylization.result_height) == (180, 320)  # never enlarged
    assert stylization.frames_done == stylization.frames_total == 50
    frames, times, facts = clipmaker.read_video(stylization.result_image.path)
    assert len(frames) == 50 and times[-1] == pytest.approx(1.96, abs=0.01)
    assert (facts["width"], facts["height"], facts["codec"]) == (180, 320, "h264")
    assert facts["audio"] == "aac" and facts["audio_peak_hz"] == pytest.approx(clipmaker.TONE_HZ, abs=5)
    assert Image.open(stylization.animation.path).n_frames == 17  # every third frame: at most 10 a second
    assert Image.open(stylization.poster.path).size == (180, 320)
    # Its page plays it; the status says how far it got.
    page = alice_client.get(reverse("gallery:detail", args=[stylization.pk])).content.decode()
    assert f'src="{reverse("gallery:file", args=[stylization.pk, "result"])}"' in page and "<video" in page
    status = alice_client.get(reverse("gallery:status"), {"id": str(stylization.pk)}).json()
    info = status["stylizations"][str(stylization.pk)]
    assert (info["kind"], info["frames_done"], info["frames_total"]) == ("video", 50, 50)
    # Private until made public: its files answer 404 to anyone else, then the card shows the loop.
    anonymous = alice_client.__class__()
    for kind in ("result", "animation", "poster", "photo"):
        assert anonymous.get(reverse("gallery:file", args=[stylization.pk, kind])).status_code == 404
    stylization.set_public(True)
    gallery = anonymous.get(reverse("gallery:public")).content.decode()
    assert reverse("gallery:file", args=[stylization.pk, "animation"]) in gallery
    assert anonymous.get(reverse("gallery:file", args=[stylization.pk, "animation"])).status_code == 200
    assert anonymous.get(reverse("gallery:file", args=[stylization.pk, "photo"])).status_code == 404
    # Restyled: the same clip, another strength, without uploading it again.
    response = alice_client.post(
        reverse("gallery:restyle", args=[stylization.pk]),
        {"style": public_style.pk, "strength": 40, "brush": "bold", "clip_side": 360},
    )
    assert response.status_code == 302
    restyle = Stylization.objects.latest("created")
    assert restyle.photo_id == photo.pk and restyle.max_side == 360
    wait_for_status(restyle, {"done", "failed"}, timeout=240)
    assert restyle.status == "done", restyle.error_message
    assert (restyle.result_width, restyle.result_height) == (180, 320)


def test_an_animated_gif_becomes_an_animated_result_with_its_timing(alice_client, public_style, celery_worker_process):
    stylization = send_clip(alice_client, SHARED / "uploads" / "chi.gif", public_style, clip_side=360)
    assert stylization.photo.kind == "animation"
    wait_for_status(stylization, {"done", "failed"}, timeout=240)
    assert stylization.status == "done", stylization.error_message
    result = Image.open(stylization.result_image.path)
    source = Image.open(SHARED / "uploads" / "chi.gif")
    assert (result.format, result.n_frames, result.size) == ("WEBP", 31, (320, 240))
    for index in (0, 15, 30):
        result.seek(index)
        result.load()
        source.seek(index)
        assert result.info["duration"] == source.info["duration"]


def test_the_owner_cancels_a_running_clip_and_nothing_is_left(
    alice_client, public_style, celery_worker_process, tmp_path, settings
):
    source = clipmaker.write_clip(tmp_path / "long.mp4", clipmaker.pan((640, 360), 300, step=1), rate=25)
    before = stored_files(Path(settings.MEDIA_ROOT))
    stylization = send_clip(alice_client, source, public_style, clip_side=720, brush="medium")
    deadline = time.monotonic() + 120
    while stylization.frames_done < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        stylization.refresh_from_db()
    assert stylization.status == "running" and stylization.frames_done >= 2
    response = alice_client.post(reverse("gallery:cancel", args=[stylization.pk]))
    assert response.status_code == 302
    wait_for_status(stylization, {"cancelled", "done", "failed"}, timeout=30)
    assert stylization.status == "cancelled"
    assert stylization.frames_done < 300
    assert not stylization.result_image and not stylization.animation
    # Only the clip itself was stored; the worker's folder for it is gone.
    assert stored_files(Path(settings.MEDIA_ROOT)) - before == {stylization.photo.image.name}
    time.sleep(0.5)
    assert not clip_work_dir(stylization.pk).exists()
    # Another user cannot cancel it; a finished one says so.
    assert alice_client.post(reverse("gallery:cancel", args=[stylization.pk])).status_code == 302
    stylization.refresh_from_db()
    assert stylization.status == "cancelled"


@pytest.fixture
def prompt_redelivery(worker_env: dict[str, str]) -> None:
    worker_env["CELERY_WORKER_LOST_WAIT"] = "1"


def test_a_worker_killed_mid_clip_runs_it_again_and_leaves_no_work_files(
    alice_client, public_style, prompt_redelivery, celery_worker_process, tmp_path
):
    source = clipmaker.write_clip(tmp_path / "c.mp4", clipmaker.pan((320, 180), 75), rate=25)
    main_pid = int(celery_worker_process.with_name("worker.pid").read_text())
    stylization = send_clip(alice_client, source, public_style, clip_side=360)
    deadline = time.monotonic() + 120
    while stylization.frames_done < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        stylization.refresh_from_db()
    assert clip_work_dir(stylization.pk).exists()
    for pid in worker_children(main_pid):
        os.kill(pid, signal.SIGKILL)
    wait_for_status(stylization, {"done", "failed"}, timeout=240)
    assert stylization.status == "done", stylization.error_message
    assert stylization.attempts == 2 and stylization.frames_total == 75
    assert not clip_work_dir(stylization.pk).exists()


@pytest.fixture
def photo_and_clip_workers(transactional_db, settings, tmp_path):
    """Two workers as production runs them: one serving the photo queue, one the clip queue."""
    photos = _celery_worker(tmp_path / "photos" / "worker.log", settings.MEDIA_ROOT, {}, queues="celery")
    clips = _celery_worker(tmp_path / "clips" / "worker.log", settings.MEDIA_ROOT, {}, queues="clips")
    (tmp_path / "photos").mkdir()
    (tmp_path / "clips").mkdir()
    yield next(photos), next(clips)
    for worker in (photos, clips):
        worker.close()


def test_a_photo_never_waits_behind_a_clip(alice_client, public_style, photo_and_clip_workers, tmp_path):
    photo_log, clip_log = photo_and_clip_workers
    source = clipmaker.write_clip(tmp_path / "long.mp4", clipmaker.pan((640, 360), 250, step=1), rate=25)
    clip = send_clip(alice_client, source, public_style, clip_side=720, brush="medium")
    deadline = time.monotonic() + 120
    while clip.frames_done < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
        clip.refresh_from_db()
    assert clip.status == "running"
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(CONTENT_DIR / "rocket.jpg", "rocket.jpg"), "style": public_style.pk}
    )
    assert response.status_code == 302
    photo = Stylization.objects.latest("created")
    assert photo.photo.kind == Photo.Kind.IMAGE
    wait_for_status(photo, {"done", "failed"}, timeout=120)
    assert photo.status == "done", photo.error_message
    clip.refresh_from_db()
    assert clip.status == "running", "the photo finished while the clip was still being painted"
    clip_jobs, photo_jobs = clip_log.read_text(), photo_log.read_text()
    assert "Task gallery.stylize_clip[" in clip_jobs and "Task gallery.stylize_clip[" not in photo_jobs
    assert "Task stylizer.stylize_stylization[" in photo_jobs and "Task stylizer.stylize_stylization[" not in clip_jobs
    clip.cancel()
    wait_for_status(clip, {"cancelled", "done"}, timeout=30)
