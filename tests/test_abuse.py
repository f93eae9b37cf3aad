"""Login throttling (django-axes), sign-up limits (django-ratelimit), per-user quotas, clickjacking."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gallery.models import Photo, Style, Stylization

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


def test_stylizations_per_hour_quota_says_when_the_next_one_is_possible(alice_client, alice, public_style, settings):
    settings.STYLIZER_QUOTA_PER_HOUR = 2
    now = timezone.now()
    for minutes_ago in (50, 20):
        made = make_stylization(alice, public_style, png_bytes())
        Stylization.objects.filter(pk=made.pk).update(created=now - timedelta(minutes=minutes_ago))
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes()), "style": public_style.pk})
    assert response.status_code == 200
    # The older of the two leaves the hour 10 minutes from now.
    free_at = timezone.localtime(now - timedelta(minutes=50) + timedelta(hours=1))
    assert response.context["form"].non_field_errors() == [
        "You made 2 stylizations in the last hour, the most we allow. "
        f"You can make the next one in 10 minutes (at {free_at:%H:%M} UTC)."
    ]
    assert Stylization.objects.count() == 2 and Photo.objects.count() == 2


def test_over_quota_an_upload_is_refused_before_it_is_decoded(alice_client, alice, public_style, settings):
    settings.STYLIZER_QUOTA_PER_HOUR = 1
    make_stylization(alice, public_style, png_bytes())
    not_an_image = upload(b"these bytes are no image at all", "photo.png")
    response = alice_client.post(reverse("gallery:home"), {"photo": not_an_image, "style": public_style.pk})
    form = response.context["form"]
    # Only the quota's message: the photo field was never cleaned (a decode would have refused it).
    assert list(form.errors) == ["__all__"]
    assert "the most we allow" in form.errors["__all__"][0]


def test_style_uploads_count_toward_their_hourly_quota(alice_client, alice, settings, media_root):
    settings.STYLE_QUOTA_PER_HOUR = 2
    for number in range(2):
        response = alice_client.post(
            reverse("gallery:style_upload"), {"title": f"Mine {number}", "image": upload(png_bytes())}
        )
        assert response.status_code == 302
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    response = alice_client.post(reverse("gallery:style_upload"), {"title": "One too many", "image": upload(b"x")})
    assert response.status_code == 200
    [message] = response.context["form"].non_field_errors()
    assert message.startswith("You made 2 style uploads in the last hour, the most we allow. You can make the next one")
    assert list(response.context["form"].errors) == ["__all__"]  # refused before the image was decoded
    assert Style.objects.filter(owner=alice).count() == 2
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before


def test_a_style_image_with_an_upload_counts_as_a_style_upload(alice_client, alice, public_style, settings):
    settings.STYLE_QUOTA_PER_HOUR = 1
    Style.objects.create_from_image(Image.new("RGB", (64, 64)), title="Earlier", owner=alice)
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(png_bytes()), "style_image": upload(png_bytes(), "style.png")}
    )
    assert "You made 1 style uploads in the last hour" in " ".join(response.context["form"].non_field_errors())
    assert Stylization.objects.count() == 0 and Style.objects.filter(owner=alice).count() == 1
    # A gallery style does not add a style: the same user may still stylize.
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes()), "style": public_style.pk})
    assert response.status_code == 302 and Stylization.objects.count() == 1


def test_style_uploads_count_toward_the_stored_bytes_quota(alice_client, alice, public_style, settings):
    settings.STYLIZER_QUOTA_BYTES = 1000
    Style.objects.filter(pk=public_style.pk).update(owner=alice, stored_bytes=1000)
    response = alice_client.post(reverse("gallery:style_upload"), {"title": "Mine", "image": upload(png_bytes())})
    assert "Your files use 1000\xa0bytes of your 1000\xa0bytes" in " ".join(response.context["form"].non_field_errors())
    assert Style.objects.filter(owner=alice).count() == 1


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
    assert "Delete some stylizations or styles to make room" in " ".join(restyle.context["form"].non_field_errors())


def test_pages_refuse_to_be_framed(client, db):
    response = client.get(reverse("gallery:public"))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
