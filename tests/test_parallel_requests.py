"""Limits and state changes hold under parallel requests against a live server (SQLite and PostgreSQL alike).

Each test sends ``PARALLEL`` requests released together by a barrier, as the
attack runs did, and counts what the site stored or sent.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable

import pytest
import requests
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from PIL import Image

from gallery.models import Photo, Style, Stylization

from .helpers import PASSWORD, finish_stylization, make_stylization, png_bytes

PARALLEL = 8
Request = tuple[requests.Session, dict, dict | None]


def _session(live_server, user=None, path: str = "/") -> requests.Session:
    """A requests session (signed in as ``user``, if given) holding a CSRF token for the live server."""
    session = requests.Session()
    if user is not None:
        client = Client()
        client.force_login(user)
        name = django_settings.SESSION_COOKIE_NAME
        session.cookies.set(name, client.cookies[name].value)
    session.get(live_server.url + path, timeout=30).raise_for_status()
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": live_server.url + "/"})
    return session


def _post_at_once(url: str, make_request: Callable[[int], Request]) -> list[int]:
    """Send PARALLEL posts, each prepared by ``make_request(number)``, released together; their status codes."""
    prepared = [make_request(number) for number in range(PARALLEL)]
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def send(session: requests.Session, data: dict, files: dict | None) -> None:
        barrier.wait()
        response = session.post(url, data=data, files=files, allow_redirects=False, timeout=120)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=request) for request in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_never_pass_the_hourly_quota(live_server, alice, settings):
    style = Style.objects.create_from_image(Image.new("RGB", (64, 64), (10, 120, 200)), title="Blue", is_public=True)
    settings.STYLIZER_QUOTA_PER_HOUR = 10
    for _ in range(7):
        make_stylization(alice, style, png_bytes())
    session = _session(live_server, alice)
    statuses = _post_at_once(
        live_server.url + reverse("gallery:home"),
        lambda n: (session, {"style": str(style.pk)}, {"photo": (f"p{n}.png", png_bytes(64, 48, (n, 0, 0)))}),
    )
    assert statuses == [200] * (PARALLEL - 3) + [302] * 3
    assert Stylization.objects.filter(owner=alice).count() == 10
    assert Photo.objects.filter(owner=alice).count() == 10


@pytest.mark.django_db(transaction=True)
def test_parallel_style_uploads_never_pass_their_quota(live_server, alice, settings):
    settings.STYLE_QUOTA_PER_HOUR = 2
    session = _session(live_server, alice)
    statuses = _post_at_once(
        live_server.url + reverse("gallery:style_upload"),
        lambda n: (session, {"title": f"Mine {n}"}, {"image": (f"s{n}.png", png_bytes(64, 48, (0, n, 0)))}),
    )
    assert statuses == [200] * (PARALLEL - 2) + [302] * 2
    assert Style.objects.filter(owner=alice).count() == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_sign_ups_from_one_address_stop_at_the_limit(live_server, settings, django_user_model):
    settings.SIGNUP_RATE = "3/h"
    path = reverse("signup")
    statuses = _post_at_once(
        live_server.url + path,
        lambda n: (
            _session(live_server, path=path),
            {"username": f"racer{n}", "password1": PASSWORD, "password2": PASSWORD},
            None,
        ),
    )
    assert statuses == [200] * (PARALLEL - 3) + [302] * 3
    assert django_user_model.objects.filter(username__startswith="racer").count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("address_rate", "account_rate", "statuses", "mails"),
    [
        # per account: the same answer whether a mail is sent or not
        ("100/h", "3/h", [302] * PARALLEL, 3),
        # per address: past it the form says to try later
        ("2/h", "100/h", [302] * 2 + [429] * (PARALLEL - 2), 2),
    ],
    ids=["account", "address"],
)
def test_parallel_password_resets_stop_at_each_limit(
    live_server, alice, settings, address_rate, account_rate, statuses, mails
):
    settings.PASSWORD_RESET_RATE, settings.PASSWORD_RESET_ACCOUNT_RATE = address_rate, account_rate
    path = reverse("password_reset")
    sent = _post_at_once(
        live_server.url + path, lambda n: (_session(live_server, path=path), {"email": alice.email}, None)
    )
    assert sent == statuses
    assert len(mail.outbox) == mails


@pytest.mark.django_db(transaction=True)
def test_parallel_public_and_private_switches_keep_every_file(live_server, alice, public_style, media_root):
    stylization = finish_stylization(make_stylization(alice, public_style, png_bytes()))
    session = _session(live_server, alice)
    statuses = _post_at_once(
        live_server.url + reverse("gallery:visibility", args=[stylization.pk]),
        lambda n: (session, {"public": "1" if n % 2 else "0"}, None),
    )
    assert statuses == [302] * PARALLEL
    stylization.refresh_from_db()
    prefix = "public/" if stylization.is_public else "private/"
    names = [field.name for field in stylization.stored_files()]
    assert len(names) == 3 and all(name.startswith(prefix) for name in names), names
    assert all((media_root / name).is_file() for name in names), "every file is where the row says"
    stored = sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())
    style_files = [field.name for field in public_style.stored_files()]
    assert stored == sorted([*names, stylization.photo.image.name, *style_files]), "no orphan copies left behind"


def test_a_rate_limit_counter_keeps_its_window_when_counted(settings):
    """``incr`` keeps the entry's expiry (Django's file cache reset it to the default 300 s)."""
    cache.add("counter", 1, 3600)
    assert cache.incr("counter") == 2
    with open(cache._key_to_file("counter"), "rb") as handle:
        expiry = pickle.load(handle)  # noqa: S301 - the test's own cache file
    assert expiry > time.time() + 3500
    cache.add("short", 1, 1)
    time.sleep(1.2)
    with pytest.raises(ValueError):
        cache.incr("short")
