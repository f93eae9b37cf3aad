"""The admin: every action, the dashboard's figures on known rows, access and page cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gallery.dashboard import dashboard_figures, percentile, queue_length
from gallery.models import Photo, Report, Style, Stylization
from picstylist.celery import app

from .helpers import STYLES_DIR, finish_stylization, make_stylization, png_bytes


def act(client, model: str, action: str, objects) -> object:
    url = reverse(f"admin:gallery_{model}_changelist")
    data = {"action": action, "_selected_action": [str(o.pk) for o in objects]}
    if action == "delete_selected":
        data["post"] = "yes"
    return client.post(url, data)


@pytest.fixture
def submitted_style(alice) -> Style:
    with Image.open(STYLES_DIR / "udnie.jpg") as image:
        return Style.objects.create_from_image(image.convert("RGB"), title="Alice's", owner=alice, is_submitted=True)


ADMIN_PAGES = [
    ("admin:index", []),
    ("admin:dashboard", []),
    ("admin:gallery_style_changelist", []),
    ("admin:gallery_stylization_changelist", []),
    ("admin:gallery_report_changelist", []),
    ("admin:auth_user_changelist", []),
]


@pytest.mark.parametrize("persona", ["anonymous", "bob"])
def test_non_staff_cannot_reach_any_admin_page(client, bob, public_style, alice, persona):
    stylization = make_stylization(alice, public_style, png_bytes())
    if persona == "bob":
        client.force_login(bob)
    pages = [reverse(name, args=args) for name, args in ADMIN_PAGES]
    pages += [
        reverse("admin:gallery_stylization_change", args=[stylization.pk]),
        reverse("admin:gallery_style_change", args=[public_style.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    assert act(client, "stylization", "delete_selected", [stylization]).status_code == 302
    assert Stylization.objects.filter(pk=stylization.pk).exists()


def test_staff_reach_every_admin_page(admin_client, public_style, alice):
    stylization = finish_stylization(make_stylization(alice, public_style, png_bytes()))
    for name, args in ADMIN_PAGES:
        assert admin_client.get(reverse(name, args=args)).status_code == 200, name
    page = admin_client.get(reverse("admin:gallery_stylization_change", args=[stylization.pk]))
    assert page.status_code == 200


def test_style_actions_approve_reject_feature_hide(
    admin_client, submitted_style, public_style, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "style", "approve", [submitted_style])
    submitted_style.refresh_from_db()
    assert submitted_style.is_public and submitted_style.image.name.startswith("public/")

    act(admin_client, "style", "feature", [submitted_style])
    submitted_style.refresh_from_db()
    assert submitted_style.is_featured
    styles = list(admin_client.get(reverse("gallery:styles")).context["page"].object_list)
    assert styles[0] == submitted_style, "featured styles come first"

    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "style", "hide", [submitted_style])
    submitted_style.refresh_from_db()
    assert (submitted_style.is_public, submitted_style.is_featured) == (False, False)
    assert submitted_style.image.name.startswith("private/")

    act(admin_client, "style", "reject", [submitted_style])
    submitted_style.refresh_from_db()
    assert (submitted_style.is_public, submitted_style.is_submitted) == (False, False)


def test_style_list_shows_uses_and_can_be_searched(admin_client, alice, public_style, submitted_style):
    for _ in range(3):
        make_stylization(alice, public_style, png_bytes())
    page = admin_client.get(reverse("admin:gallery_style_changelist"))
    uses = {style.title: style.use_count for style in page.context["cl"].result_list}
    assert uses == {"Starry Night": 3, "Alice's": 0}
    found = admin_client.get(reverse("admin:gallery_style_changelist") + "?q=alice").context["cl"].result_list
    assert list(found) == [submitted_style]


def test_requeue_takes_failed_and_stuck_jobs_only(
    admin_client, alice, public_style, settings, published_tasks, django_capture_on_commit_callbacks
):
    settings.STYLIZER_STUCK_AFTER = 600
    failed = make_stylization(alice, public_style, png_bytes())
    failed.mark_failed("boom")
    stuck = make_stylization(alice, public_style, png_bytes())
    Stylization.objects.filter(pk=stuck.pk).update(created=timezone.now() - timedelta(seconds=601))
    fresh = make_stylization(alice, public_style, png_bytes())
    done = finish_stylization(make_stylization(alice, public_style, png_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "stylization", "requeue", [failed, stuck, fresh, done])
    assert sorted(published_tasks) == sorted([str(failed.pk), str(stuck.pk)])
    failed.refresh_from_db()
    assert (failed.status, failed.error_message, failed.finished) == ("queued", "", None)
    done.refresh_from_db()
    assert done.status == "done"


def test_hide_from_public_and_delete(admin_client, alice, public_style, django_capture_on_commit_callbacks):
    shown = finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True)
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "stylization", "hide_from_public", [shown])
    shown.refresh_from_db()
    assert not shown.is_public and all(f.name.startswith("private/") for f in shown.stored_files())
    names = [f.name for f in shown.stored_files()] + [shown.photo.image.name]
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "stylization", "delete_selected", [shown])
    assert not Stylization.objects.exists() and not Photo.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_stylization_list_shows_timings_controls_and_filters(admin_client, alice, public_style):
    done = finish_stylization(
        make_stylization(alice, [(public_style, 1.0)], png_bytes(), strength=0.6, colors=0.4, brush="broad")
    )
    queued = make_stylization(alice, public_style, png_bytes())
    changelist = reverse("admin:gallery_stylization_changelist")
    assert list(admin_client.get(changelist + "?status__exact=queued").context["cl"].result_list) == [queued]
    assert list(admin_client.get(changelist + "?engine__exact=onnx&q=alice").context["cl"].result_list) == [
        queued,
        done,
    ]
    html = admin_client.get(changelist).content.decode()
    assert "60 %, broad brush, 1024 px, colours 40 %" in html
    assert reverse("gallery:file", args=[done.pk, "thumbnail"]) in html


def test_user_admin_counts_and_storage_and_deactivate(admin_client, alice, bob, public_style):
    finish_stylization(make_stylization(alice, public_style, png_bytes()))
    finish_stylization(make_stylization(alice, public_style, png_bytes()))
    Photo.objects.filter(owner=alice).update(stored_bytes=1000)
    Stylization.objects.filter(owner=alice).update(stored_bytes=500)
    page = admin_client.get(reverse("admin:auth_user_changelist"))
    rows = {user.username: (user.stylization_total, user.bytes_total) for user in page.context["cl"].result_list}
    assert rows["alice"] == (2, 2 * 1000 + 2 * 500)
    assert rows["bob"] == (0, 0)
    admin_client.post(
        reverse("admin:auth_user_changelist"), {"action": "deactivate", "_selected_action": [str(bob.pk)]}
    )
    bob.refresh_from_db()
    assert not bob.is_active


def test_reports_queue_hide_and_dismiss(
    client, admin_client, alice, bob, public_style, django_capture_on_commit_callbacks
):
    shown = finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True)
    private = finish_stylization(make_stylization(alice, public_style, png_bytes()))
    client.force_login(bob)
    assert client.get(reverse("gallery:report", args=["stylization", private.pk])).status_code == 404
    response = client.post(reverse("gallery:report", args=["stylization", shown.pk]), {"reason": "Not theirs"})
    assert response.status_code == 302
    client.post(reverse("gallery:report", args=["style", public_style.pk]), {"reason": "Spam"})
    about_photo, about_style = Report.objects.get(stylization=shown), Report.objects.get(style=public_style)
    queue = admin_client.get(reverse("admin:gallery_report_changelist") + "?resolved__isempty=1")
    assert set(queue.context["cl"].result_list) == {about_photo, about_style}

    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "report", "hide_item", [about_photo])
    shown.refresh_from_db()
    about_photo.refresh_from_db()
    assert not shown.is_public and about_photo.resolution == "hidden" and about_photo.resolved
    act(admin_client, "report", "dismiss", [about_style])
    about_style.refresh_from_db()
    public_style.refresh_from_db()
    assert about_style.resolution == "dismissed" and public_style.is_public


def test_percentile_is_nearest_rank():
    assert percentile([], 0.95) is None
    assert percentile([1, 2, 3, 4, 10], 0.95) == 10
    assert percentile(list(range(1, 101)), 0.95) == 95


def test_dashboard_figures_on_known_rows(admin_client, alice, public_style):
    now = timezone.now()

    def row(
        status: str,
        *,
        created_ago: float,
        started_ago: float | None = None,
        finished_ago: float | None = None,
        message: str = "",
    ):
        stylization = make_stylization(alice, public_style, png_bytes())
        Stylization.objects.filter(pk=stylization.pk).update(
            status=status,
            error_message=message,
            created=now - timedelta(seconds=created_ago),
            started=None if started_ago is None else now - timedelta(seconds=started_ago),
            finished=None if finished_ago is None else now - timedelta(seconds=finished_ago),
        )
        return stylization

    for seconds in (1, 2, 3, 4, 10):  # done in the last 24 h, processing `seconds`
        row("done", created_ago=3600, started_ago=3000, finished_ago=3000 - seconds)
    row("done", created_ago=40 * 3600, started_ago=30 * 3600, finished_ago=30 * 3600 - 99)  # older than 24 h
    row("failed", created_ago=600, started_ago=500, finished_ago=400, message="Damaged file")
    row("failed", created_ago=600, started_ago=500, finished_ago=400, message="Damaged file")
    row("failed", created_ago=90000, started_ago=90000, finished_ago=90000, message="Engine unavailable")
    oldest = row("running", created_ago=7200, started_ago=7000)
    row("queued", created_ago=60)

    figures = dashboard_figures(now=now)
    assert figures["by_status"] == {"queued": 1, "running": 1, "done": 6, "failed": 3, "cancelled": 0}
    assert (figures["finished_24h"], figures["failed_24h"]) == (5, 2)
    assert figures["median_seconds"] == 3.0
    assert figures["p95_seconds"] == 10.0
    assert figures["failures"] == [
        {"error_message": "Damaged file", "count": 2},
        {"error_message": "Engine unavailable", "count": 1},
    ]
    assert figures["oldest"] == oldest
    assert figures["oldest_age_seconds"] == 7200.0

    html = admin_client.get(reverse("admin:dashboard")).content.decode()
    for figure, value in [("status-done", "6"), ("finished-24h", "5"), ("median", "3.00 s"), ("p95", "10.00 s")]:
        assert f'data-figure="{figure}">{value}<' in html, figure


def test_queue_length_comes_from_the_broker(db):
    app.control.purge()
    assert queue_length() == 0
    for _ in range(2):
        app.send_task("stylizer.stylize_stylization", args=["00000000-0000-0000-0000-000000000000"])
    assert queue_length() == 2
    app.control.purge()
    assert queue_length() == 0


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:gallery_style_changelist",
        "admin:gallery_stylization_changelist",
        "admin:gallery_report_changelist",
        "admin:auth_user_changelist",
    ],
)
def test_admin_list_pages_run_a_constant_number_of_queries(admin_client, alice, bob, public_style, url_name):
    counts = []
    for size in (2, 8):
        while Stylization.objects.count() < size:
            stylization = finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True)
            Report.objects.create(reporter=bob, stylization=stylization, reason="x")
            with Image.open(STYLES_DIR / "udnie.jpg") as image:
                Style.objects.create_from_image(image.convert("RGB"), title=f"S{size}", owner=bob)
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(reverse(url_name)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
