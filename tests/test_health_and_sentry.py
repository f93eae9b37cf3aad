"""/healthz names what failed; errors in the stylization task reach Sentry."""

from __future__ import annotations

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from gallery.tasks import stylize_stylization
from picstylist.sentry import init_sentry

from .helpers import make_stylization, png_bytes

HEALTHY = {"database": "ok", "broker": "ok", "storage": "ok"}


def test_healthz_answers_200_when_everything_is_reachable(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, HEALTHY)
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_naming_the_broker(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["storage"]) == ("ok", "ok")
    assert body["broker"].startswith("failed:")


def test_healthz_answers_503_naming_the_storage(client, db, settings):
    from picstylist.storages import spaces_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": spaces_storage(
            bucket="b", region="nyc3", endpoint_url="http://127.0.0.1:1", access_key="a", secret_key="s",
            addressing_style="path", max_attempts=1, timeout=1,
        ),
    }  # fmt: skip
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"].startswith("failed:")
    assert response.json()["database"] == "ok"


class CapturingTransport(Transport):
    """The SDK's own transport hook: keeps envelopes instead of sending them."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


@pytest.fixture
def sentry_events():
    transport = CapturingTransport()
    init_sentry("https://public@sentry.example.invalid/1", environment="test", release="r1", transport=transport)
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to no DSN: nothing is sent after this test


def test_an_exception_in_the_stylization_task_reaches_sentry_with_the_task_name(alice, public_style, sentry_events):
    stylization = make_stylization(alice, public_style, png_bytes())
    stylization.__class__.objects.filter(pk=stylization.pk).update(engine="no-such-engine")
    result = stylize_stylization.apply(args=[str(stylization.pk)])
    assert result.failed()
    stylization.refresh_from_db()
    assert stylization.status == "failed"
    sentry_sdk.flush()
    errors = [event for event in sentry_events if event.get("exception")]
    assert errors, sentry_events
    event = errors[-1]
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert "Unknown engine 'no-such-engine'" in event["exception"]["values"][-1]["value"]
    assert event["transaction"] == "stylizer.stylize_stylization"
    assert (event["environment"], event["release"]) == ("test", "r1")
    assert "user" not in event or not event["user"].get("ip_address")
    assert not sentry_sdk.get_client().options.get("send_default_pii")
