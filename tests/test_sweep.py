"""One job, one result; no job stuck forever (the claim and the periodic sweep)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gallery.models import Stylization
from stylizer.tasks import TOO_MANY_ATTEMPTS, stylize_stylization, sweep_stylizations

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
    assert counts == {"dispatched": 1, "requeued": 1, "failed": 1}
    assert published_tasks == [str(never_sent.pk)], "rows created under 30 s ago wait for their own dispatch"
    dead.refresh_from_db()
    dead_twice.refresh_from_db()
    assert (dead.status, dead.dispatched) == ("queued", None)
    assert (dead_twice.status, dead_twice.error_message) == ("failed", TOO_MANY_ATTEMPTS)
    never_sent.refresh_from_db()
    assert never_sent.dispatched is not None


def test_a_job_past_its_attempts_ends_failed(alice, public_style, settings):
    stylization = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    Stylization.objects.filter(pk=stylization.pk).update(attempts=settings.STYLIZER_MAX_ATTEMPTS)
    assert stylize_stylization(str(stylization.pk)) == "failed"
    stylization.refresh_from_db()
    assert stylization.error_message == TOO_MANY_ATTEMPTS
