"""Password-reset mails, limited per client address and per account (django-ratelimit)."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

TOO_MANY = "Too many password resets were asked from your network recently. Please try again later."


def ask_reset(client, email: str, ip: str = "203.0.113.1", **extra):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip, **extra)


def test_six_quick_requests_send_only_the_accounts_limit_of_mails(client, alice):
    responses = [ask_reset(client, "alice@example.com") for _ in range(6)]
    assert len(mail.outbox) == 3  # PASSWORD_RESET_ACCOUNT_RATE, 3/h
    assert all(message.to == ["alice@example.com"] for message in mail.outbox)
    assert [response.status_code for response in responses] == [302, 302, 302, 302, 302, 429]


def test_requests_for_one_account_from_different_addresses_hit_the_account_limit(client, alice):
    responses = [ask_reset(client, "alice@example.com", ip=f"198.51.100.{number}") for number in range(1, 7)]
    assert len(mail.outbox) == 3
    assert {(response.status_code, response["Location"]) for response in responses} == {
        (302, reverse("password_reset_done"))
    }


def test_a_different_spelling_of_the_address_counts_for_the_same_account(client, alice):
    for number, email in enumerate(
        ["alice@example.com", "ALICE@example.com", "Alice@Example.com", "alice@EXAMPLE.COM"]
    ):
        ask_reset(client, email, ip=f"198.51.100.{number}")
    assert len(mail.outbox) == 3


def assert_same_answer(known, unknown) -> None:
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert "If an account uses that address, we sent it a link" in known.content.decode()


def test_known_and_unknown_addresses_get_the_same_answer(client, alice):
    known = ask_reset(client, "alice@example.com", ip="192.0.2.1", follow=True)
    unknown = ask_reset(client, "nobody@example.com", ip="192.0.2.2", follow=True)
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert_same_answer(known, unknown)


def test_known_and_unknown_addresses_get_the_same_answer_past_the_account_limit(client, alice):
    for number in range(3):
        ask_reset(client, "alice@example.com", ip=f"198.51.100.{number}")
    assert len(mail.outbox) == 3
    known = ask_reset(client, "alice@example.com", ip="192.0.2.1", follow=True)
    unknown = ask_reset(client, "nobody@example.com", ip="192.0.2.2", follow=True)
    assert len(mail.outbox) == 3
    assert_same_answer(known, unknown)


def test_requests_from_one_address_are_refused_past_its_limit(client, alice, bob):
    settings_rate = 5  # PASSWORD_RESET_RATE, 5/h
    emails = ["nobody@example.com", "bob@example.com", "nobody2@example.com", "bob@example.com", "x@example.com"]
    for email in emails[:settings_rate]:
        assert ask_reset(client, email).status_code == 302
    sent = len(mail.outbox)
    assert sent == 2
    refused_known = ask_reset(client, "alice@example.com")
    refused_unknown = ask_reset(client, "nobody@example.com")
    assert len(mail.outbox) == sent, "no mail once the address is over its limit"
    for response in (refused_known, refused_unknown):
        assert response.status_code == 429
        assert TOO_MANY in response.content.decode()
    assert refused_known.context["form"].errors == refused_unknown.context["form"].errors == {"__all__": [TOO_MANY]}
    other_address = ask_reset(client, "alice@example.com", ip="203.0.113.2")
    assert other_address.status_code == 302
    assert [message.to for message in mail.outbox[sent:]] == [["alice@example.com"]]


def test_the_limits_come_from_the_settings(client, alice, settings):
    settings.PASSWORD_RESET_ACCOUNT_RATE = "1/h"
    settings.PASSWORD_RESET_RATE = "2/h"
    responses = [ask_reset(client, "alice@example.com") for _ in range(3)]
    assert len(mail.outbox) == 1
    assert [response.status_code for response in responses] == [302, 302, 429]
