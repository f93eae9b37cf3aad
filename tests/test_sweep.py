"""One job, one result; no job stuck forever (the claim and the periodic sweep)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Stylization
from gallery.tasks import TOO_MANY_ATTEMPTS, heartbeat, stylize_stylization, sweep_stylizations

from .helpers import CONTENT_DIR, make_stylization


def test_a_second_delivery_of_a_running_job_leaves_it_alone(alice, public_style):
    stylization = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    assert stylization.claim() is True
    assert stylize_stylization(str(stylization.pk)) == "running"
    stylization.refresh_from_db()
    assert (stylization.status, stylization.attempts, bool(stylization.result_image)) == ("running", 1, False)


def test_running_the_same_job_twice_writes_one_result(alice, public_style, media_root):
    stylization = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    assert stylize_stylization(str(stylization.pk)) == "done"
    assert stylize_stylization(str(stylization.pk)) == "done"
    assert len(list((media_root / "private" / "results").iterdir())) == 1


def test_sweep_dispatches_undispatched_and_requeues_dead_jobs(alice, public_style, settings, published_tasks):
    settings.STYLIZER_MAX_ATTEMPTS = 2
    now = timezone.now()
    never_sent = make_stylization(alice, public_style, b"x")
    just_sent = make_stylization(alice, public_style, b"x")
    dead = make_stylization(alice, public_style, b"x")
    dead_twice = make_stylization(alice, public_style, b"x")
    long_ago = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    Stylization.objects.filter(pk=never_sent.pk).update(created=now - timedelta(minutes=5))
    Stylization.objects.filter(pk=just_sent.pk).update(created=now - timedelta(minutes=5), dispatched=now)
    Stylization.objects.filter(pk=dead.pk).update(status="running", started=long_ago, attempts=1)
    Stylization.objects.filter(pk=dead_twice.pk).update(status="running", started=long_ago, attempts=2)
    counts = sweep_stylizations()
    assert counts == {"dispatched": 2, "requeued": 1, "failed": 1}
    # Rows created under 30 s ago wait for their own dispatch, unless they ran before (requeued).
    assert sorted(published_tasks) == sorted([str(never_sent.pk), str(dead.pk)])
    dead.refresh_from_db()
    dead_twice.refresh_from_db()
    assert (dead.status, dead.dispatched is not None) == ("queued", True)
    assert (dead_twice.status, dead_twice.error_message) == ("failed", TOO_MANY_ATTEMPTS)
    never_sent.refresh_from_db()
    assert never_sent.dispatched is not None


def test_a_job_past_its_attempts_ends_failed(alice, public_style, settings):
    stylization = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    Stylization.objects.filter(pk=stylization.pk).update(attempts=settings.STYLIZER_MAX_ATTEMPTS)
    assert stylize_stylization(str(stylization.pk)) == "failed"
    stylization.refresh_from_db()
    assert stylization.error_message == TOO_MANY_ATTEMPTS


def test_only_a_job_whose_worker_stopped_beating_is_taken_again(alice, public_style, settings, published_tasks):
    now = timezone.now()
    quiet = timedelta(seconds=settings.STYLIZER_HEARTBEAT_TIMEOUT + 1)
    alive = make_stylization(alice, public_style, b"x")
    silent = make_stylization(alice, public_style, b"x")
    # Both started long ago (a big job); only one still beats.
    Stylization.objects.filter(pk=alive.pk).update(
        status="running", started=now - 10 * quiet, heartbeat=now - timedelta(seconds=1), task_id="a", attempts=1
    )
    Stylization.objects.filter(pk=silent.pk).update(
        status="running", started=now - 10 * quiet, heartbeat=now - quiet, task_id="s", attempts=1
    )
    assert alive.claim("another-delivery") is False
    assert sweep_stylizations() == {"dispatched": 1, "requeued": 1, "failed": 0}
    alive.refresh_from_db()
    silent.refresh_from_db()
    assert (alive.status, alive.task_id, alive.attempts) == ("running", "a", 1)
    assert (silent.status, published_tasks) == ("queued", [str(silent.pk)])
    assert silent.claim("new") is True
    silent.refresh_from_db()
    assert (silent.status, silent.attempts, silent.heartbeat >= now) == ("running", 2, True)


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_while_it_runs_and_stops_after(alice, public_style, settings):
    settings.STYLIZER_HEARTBEAT_TIMEOUT = 6  # a beat a second
    stylization = make_stylization(alice, public_style, b"x")
    assert stylization.claim("t1") is True
    first = stylization.heartbeat
    with heartbeat(stylization.pk, "t1"):
        time.sleep(2.5)
        stylization.refresh_from_db()
        beaten = stylization.heartbeat
    assert (beaten - first).total_seconds() >= 1.5
    time.sleep(1.5)
    stylization.refresh_from_db()
    assert stylization.heartbeat == beaten, "no beat after the block"
    # A row taken over by another task is not kept alive by the old one.
    Stylization.objects.filter(pk=stylization.pk).update(task_id="t2")
    with heartbeat(stylization.pk, "t1"):
        time.sleep(1.5)
    stylization.refresh_from_db()
    assert stylization.heartbeat == beaten
