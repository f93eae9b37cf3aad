"""Login throttling (django-axes), sign-up limits (django-ratelimit), per-user quotas, clickjacking."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from gallery.models import Photo, Stylization

from .helpers import PASSWORD, make_stylization, png_bytes, upload


def test_logins_are_locked_after_too_many_failures(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    other = client.post(reverse("login"), {"username": "bob", "password": "whatever"})
    assert other.status_code == 200, "other usernames are not locked"


def test_a_successful_login_before_the_limit_resets_the_count(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 302
    client.logout()
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code == 302


def test_signups_from_one_address_are_limited(client, db, settings):
    settings.SIGNUP_RATE = "2/h"
    for number in range(3):
        client.logout()
        response = client.post(
            reverse("signup"),
            {"username": f"user{number}", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 200
    assert "Too many accounts were created from your network" in response.content.decode()
    assert get_user_model().objects.filter(username__startswith="user").count() == 2


def test_stylizations_per_hour_quota(alice_client, alice, public_style, settings):
    settings.STYLIZER_QUOTA_PER_HOUR = 2
    for _ in range(2):
        make_stylization(alice, public_style, png_bytes())
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes()), "style": public_style.pk})
    assert response.status_code == 200
    assert "You made 2 stylizations in the last hour" in " ".join(response.context["form"].non_field_errors())
    assert Stylization.objects.count() == 2 and Photo.objects.count() == 2


def test_stored_bytes_quota(alice_client, alice, public_style, settings, media_root):
    settings.STYLIZER_QUOTA_BYTES = 1000
    first = make_stylization(alice, public_style, png_bytes())
    Photo.objects.filter(pk=first.photo_id).update(stored_bytes=1000)
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes()), "style": public_style.pk})
    assert "Your files use 1000\xa0bytes of your 1000\xa0bytes" in " ".join(response.context["form"].non_field_errors())
    assert Stylization.objects.count() == 1
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before
    restyle = alice_client.post(reverse("gallery:restyle", args=[first.pk]), {"style": public_style.pk})
    assert "Delete some stylizations to make room" in " ".join(restyle.context["form"].non_field_errors())


def test_pages_refuse_to_be_framed(client, db):
    response = client.get(reverse("gallery:public"))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
