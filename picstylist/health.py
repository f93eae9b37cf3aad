"""``/healthz``: can this process reach the database, the broker and the storage?"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)
#: Seconds each check may take before it counts as failed.
CHECK_TIMEOUT = 3


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    broker = Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=CHECK_TIMEOUT,
    )
    with broker:
        broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)


def check_storage() -> None:
    # One cheap round trip (a HEAD on object storage); a missing key is fine.
    default_storage.exists("healthz")


CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with ``{"database": "ok", "broker": "ok", "storage": "ok"}``, or 503 naming what failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            logger.warning("Health check %s failed: %s", name, exc)
            results[name] = f"failed: {type(exc).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
