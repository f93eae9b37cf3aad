"""Faults with real processes: a worker child killed mid-stylization, a soft time limit, a broker down."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time

import pytest
from django.db import transaction
from django.urls import reverse
from PIL import Image

from gallery.models import Stylization
from gallery.tasks import TOO_MANY_ATTEMPTS, sweep_stylizations
from picstylist.celery import app

from .helpers import CONTENT_DIR, make_stylization, png_bytes, upload, wait_for_status

pytestmark = pytest.mark.worker


@pytest.fixture(autouse=True)
def prompt_redelivery(worker_env: dict[str, str]) -> None:
    """The worker hands a killed child's job back after 1 s instead of Celery's 10 s: what is
    tested is that it comes back, and each kill here would otherwise wait 10 s."""
    worker_env["CELERY_WORKER_LOST_WAIT"] = "1"


def big_photo(side: int = 2048) -> bytes:
    """A ``side`` x ``side`` photo: the transfer network takes a couple of seconds on it at 2048 px."""
    buffer = io.BytesIO()
    Image.open(CONTENT_DIR / "astronaut.png").convert("RGB").resize((side, side)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def queue_big_job(owner, style, side: int = 2048, brush: str = "medium") -> Stylization:
    with transaction.atomic():
        stylization = make_stylization(owner, style, big_photo(side), name="big.jpg", max_side=side, brush=brush)
        transaction.on_commit(stylization.enqueue)
    return stylization


def worker_children(main_pid: int) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(main_pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in output.split()]


def kill_child_while_running(stylization: Stylization, main_pid: int, attempt: int, timeout: float = 90) -> None:
    """Wait until the job runs its ``attempt``-th time, then SIGKILL the child running it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stylization.refresh_from_db()
        if stylization.status == "running" and stylization.attempts == attempt:
            time.sleep(0.3)  # inside the network by now
            for pid in worker_children(main_pid):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)
    raise AssertionError(f"attempt {attempt} never started: {stylization.status}, {stylization.attempts}")


@pytest.fixture
def worker_pid(celery_worker_process) -> int:
    """The main pid of this test's worker (never another worker running on the machine)."""
    pid = int(celery_worker_process.with_name("worker.pid").read_text())
    assert worker_children(pid), celery_worker_process.read_text()
    return pid


def test_a_worker_killed_mid_stylization_gets_the_job_delivered_again(
    alice, public_style, celery_worker_process, worker_pid
):
    stylization = queue_big_job(alice, public_style)
    kill_child_while_running(stylization, worker_pid, attempt=1)
    wait_for_status(stylization, {"done", "failed"}, timeout=180)
    assert stylization.status == "done", stylization.error_message
    assert stylization.attempts == 2
    assert "WorkerLostError" in celery_worker_process.read_text()


def test_a_job_that_kills_the_worker_every_time_ends_failed(
    alice, public_style, celery_worker_process, worker_pid, settings
):
    stylization = queue_big_job(alice, public_style)
    for attempt in range(1, settings.STYLIZER_MAX_ATTEMPTS + 1):
        kill_child_while_running(stylization, worker_pid, attempt=attempt)
    wait_for_status(stylization, {"done", "failed"}, timeout=180)
    assert stylization.status == "failed"
    assert stylization.error_message == TOO_MANY_ATTEMPTS
    assert not stylization.result_image


@pytest.fixture
def one_second_soft_limit(worker_env, settings):
    """A 1 s soft time limit, for the worker and for the tasks this process sends."""
    worker_env.update({"CELERY_TASK_SOFT_TIME_LIMIT": "1", "CELERY_TASK_TIME_LIMIT": "60"})
    settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT = 1, 60


def test_a_soft_time_limit_ends_the_job_failed_with_a_message(
    transactional_db, alice, public_style, one_second_soft_limit, celery_worker_process
):
    # A print with the finest brush: the network paints 2048 px, in tiles, and the result is brought
    # to 4096 px; several seconds on any machine, so always past a 1 s limit (2048 px once took under 1 s).
    stylization = queue_big_job(alice, public_style, side=4096, brush="fine")
    wait_for_status(stylization, {"done", "failed"}, timeout=180)
    assert stylization.status == "failed"
    assert stylization.error_message == "This stylization took too long and was stopped. Try a smaller output size."
    assert not stylization.result_image


def use_broker_for_sending(url: str | None) -> None:
    """Send this process's tasks to ``url`` (None: the configured broker), dropping pooled connections.

    ``broker_write_url`` is set rather than ``broker_url``: Celery reads
    ``CELERY_BROKER_URL`` from the environment before its own setting.
    """
    app._pool = None  # pooled connections stay open for when the URL comes back
    app.amqp._producer_pool = None
    app.conf.broker_write_url = url


@pytest.fixture
def broker_down():
    """This (web) process's broker is unreachable: nothing listens on port 1."""
    use_broker_for_sending("redis://127.0.0.1:1/0")
    yield
    use_broker_for_sending(None)


def test_an_upload_while_the_broker_is_down_is_kept_and_dispatched_once_it_is_back(
    transactional_db, client, alice, public_style, celery_worker_process, broker_down
):
    client.force_login(alice)
    response = client.post(
        reverse("gallery:home"), {"photo": upload(png_bytes(320, 240)), "style": public_style.pk}, follow=True
    )
    assert response.status_code == 200
    stylization = Stylization.objects.get()
    assert (stylization.status, stylization.dispatched) == ("queued", None)
    assert "Queued" in response.content.decode()
    assert stylization.photo.image.storage.exists(stylization.photo.image.name)

    Stylization.objects.filter(pk=stylization.pk).update(created=stylization.created.replace(year=2000))
    assert sweep_stylizations()["dispatched"] == 0, "still down: the sweep keeps it queued"

    use_broker_for_sending(None)  # the broker is back
    assert sweep_stylizations()["dispatched"] == 1
    wait_for_status(stylization, {"done", "failed"})
    assert stylization.status == "done", stylization.error_message
