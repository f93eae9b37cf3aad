"""Sign up, log in, log out, password change and reset, all through django.contrib.auth."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from .helpers import PASSWORD


def test_sign_up_logs_the_new_user_in(client, db):
    response = client.post(
        reverse("signup"),
        {"username": "dora", "email": "dora@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:home")
    assert get_user_model().objects.get(username="dora").email == "dora@example.com"
    page = client.get(reverse("gallery:home"))
    assert page.context["user"].username == "dora"
    assert b"New stylization" in page.content


def test_sign_up_refuses_mismatched_passwords(client, db):
    response = client.post(reverse("signup"), {"username": "dora", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not get_user_model().objects.filter(username="dora").exists()


def test_log_in_and_log_out(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:mine")
    assert client.get(reverse("gallery:mine")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("gallery:mine")).status_code == 302


def test_wrong_password_shows_an_error(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_password_change(alice_client, alice):
    new = PASSWORD + "-new"
    response = alice_client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_password_reset_by_email(client, alice):
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    new = PASSWORD + "-reset"
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)
