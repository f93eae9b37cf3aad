"""Quotas hold under parallel requests against a live server (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from PIL import Image

from gallery.models import Photo, Style, Stylization

from .helpers import make_stylization, png_bytes

PARALLEL = 8


def _signed_in_session(live_server, user) -> requests.Session:
    """A requests session logged in as ``user`` on the live server, with its CSRF token."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(django_settings.SESSION_COOKIE_NAME, client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    session.get(live_server.url + reverse("gallery:home"), timeout=30).raise_for_status()
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": live_server.url + "/"})
    return session


def _post_at_once(url: str, session: requests.Session, make_request) -> list[int]:
    """Send PARALLEL posts released together by a barrier; returns their status codes."""
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def send(number: int) -> None:
        data, files = make_request(number)
        barrier.wait()
        response = session.post(url, data=data, files=files, allow_redirects=False, timeout=120)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(number,)) for number in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_never_pass_the_hourly_quota(live_server, alice, settings):
    style = Style.objects.create_from_image(Image.new("RGB", (64, 64), (10, 120, 200)), title="Blue", is_public=True)
    settings.STYLIZER_QUOTA_PER_HOUR = 10
    for _ in range(7):
        make_stylization(alice, style, png_bytes())
    session = _signed_in_session(live_server, alice)
    statuses = _post_at_once(
        live_server.url + reverse("gallery:home"),
        session,
        lambda number: ({"style": str(style.pk)}, {"photo": (f"p{number}.png", png_bytes(64, 48, (number, 0, 0)))}),
    )
    assert sorted(statuses) == [200] * (PARALLEL - 3) + [302] * 3, statuses
    assert Stylization.objects.filter(owner=alice).count() == 10
    assert Photo.objects.filter(owner=alice).count() == 10


@pytest.mark.django_db(transaction=True)
def test_parallel_style_uploads_never_pass_their_quota(live_server, alice, settings):
    settings.STYLE_QUOTA_PER_HOUR = 2
    session = _signed_in_session(live_server, alice)
    statuses = _post_at_once(
        live_server.url + reverse("gallery:style_upload"),
        session,
        lambda number: ({"title": f"Mine {number}"}, {"image": (f"s{number}.png", png_bytes(64, 48, (0, number, 0)))}),
    )
    assert sorted(statuses) == [200] * (PARALLEL - 2) + [302] * 2, statuses
    assert Style.objects.filter(owner=alice).count() == 2
