"""The figures of the admin dashboard: is the site healthy, what is stuck."""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone
from kombu.exceptions import ChannelError

from picstylist.celery import app

from .models import Stylization

WINDOW = timedelta(hours=24)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least ``fraction`` of values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def queue_length() -> int | None:
    """Messages waiting in the broker's default queue, or None if the broker cannot be asked."""
    try:
        with app.connection_for_read() as connection:
            name = app.conf.task_default_queue
            try:
                channel: Any = connection.default_channel  # kombu's Channel; its stubs declare only StdChannel
                return int(channel.queue_declare(queue=name, passive=True).message_count)
            except ChannelError:
                return 0  # the queue does not exist yet (Redis drops empty ones): nothing waits
    except Exception:  # noqa: BLE001 - any broker failure means "unknown" on the dashboard
        return None


def dashboard_figures(now: datetime | None = None) -> dict:
    """Counts by status now; jobs finished in the last 24 h with median and 95th-percentile
    processing time (started -> finished, seconds); failures by message; queue length;
    the oldest job still queued or running."""
    now = now or timezone.now()
    by_status = dict.fromkeys(Stylization.Status.values, 0)
    for row in Stylization.objects.values("status").annotate(count=Count("pk")).order_by():
        by_status[row["status"]] = row["count"]
    recent = Stylization.objects.filter(finished__gte=now - WINDOW, finished__lte=now)
    finished_by_status = dict(recent.values_list("status").annotate(count=Count("pk")).order_by())
    seconds = [
        (finished - started).total_seconds()
        for started, finished in recent.filter(status=Stylization.Status.DONE, started__isnull=False).values_list(
            "started", "finished"
        )
    ]
    failures = list(
        Stylization.objects.filter(status=Stylization.Status.FAILED)
        .values("error_message")
        .annotate(count=Count("pk"))
        .order_by("-count", "error_message")[:10]
    )
    oldest = (
        Stylization.objects.filter(status__in=[Stylization.Status.QUEUED, Stylization.Status.RUNNING])
        .select_related("owner")
        .order_by("created")
        .first()
    )
    return {
        "by_status": by_status,
        "finished_24h": finished_by_status.get(Stylization.Status.DONE, 0),
        "failed_24h": finished_by_status.get(Stylization.Status.FAILED, 0),
        "median_seconds": statistics.median(seconds) if seconds else None,
        "p95_seconds": percentile(seconds, 0.95),
        "failures": failures,
        "queue_length": queue_length(),
        "oldest": oldest,
        "oldest_age_seconds": (now - oldest.created).total_seconds() if oldest else None,
    }
