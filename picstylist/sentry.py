"""Sentry error reporting for the web process and the Celery workers."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def init_sentry(
    dsn: str,
    *,
    environment: str = "production",
    release: str | None = None,
    traces_sample_rate: float = 0.0,
    transport: Any = None,
) -> None:
    """Start sentry-sdk with the Django and Celery integrations; personal data is never sent.

    ``transport`` replaces the network transport (the SDK's own hook; tests use it).
    """
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        # send_default_pii stays at its default, off (setting it at all is deprecated in 2.x).
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        transport=transport,
    )
