"""Per-user quotas: stylizations and style uploads per hour, and bytes stored.

Checked twice: once before an upload is decoded (:func:`quota_problem`, cheap,
so a user over a limit costs the web process no decoding), and again inside
the transaction that inserts the row, after :func:`lock_owner`, so that
parallel requests cannot all read the same count and all pass
(:func:`check_quota`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from .models import Photo, Style, Stylization

WINDOW = timedelta(hours=1)


class QuotaExceeded(Exception):
    """A user's quota does not allow what they asked; ``str()`` is the message for them."""


def _hourly_limits() -> dict[str, tuple[type[Stylization] | type[Style], int, str]]:
    return {
        "stylization": (Stylization, settings.STYLIZER_QUOTA_PER_HOUR, "stylizations"),
        "style": (Style, settings.STYLE_QUOTA_PER_HOUR, "style uploads"),
    }


def _when(moment: datetime) -> str:
    """``in 12 minutes (at 14:32 UTC)`` for a moment in the future."""
    minutes = max(1, math.ceil((moment - timezone.now()).total_seconds() / 60))
    local = timezone.localtime(moment)
    unit = "minute" if minutes == 1 else "minutes"
    return f"in {minutes} {unit} (at {local:%H:%M} {local.tzname()})"


def stored_bytes(user) -> int:
    """Bytes of every file ``user`` owns: photos, results (with thumbnails and previews) and styles."""
    return sum(
        model.objects.filter(owner=user).aggregate(total=Sum("stored_bytes"))["total"] or 0
        for model in (Photo, Stylization, Style)
    )


def quota_problem(user, kinds: tuple[str, ...] = ("stylization",)) -> str | None:
    """Why ``user`` may not add one more of each of ``kinds`` now, or None.

    ``kinds`` are ``"stylization"`` (``settings.STYLIZER_QUOTA_PER_HOUR`` in
    the last hour) and ``"style"`` (``settings.STYLE_QUOTA_PER_HOUR``); both
    also need the user under ``settings.STYLIZER_QUOTA_BYTES`` bytes stored.
    The message says when the next one is possible, or what to delete.
    """
    since = timezone.now() - WINDOW
    for kind in kinds:
        model, limit, what = _hourly_limits()[kind]
        recent = list(
            model.objects.filter(owner=user, created__gte=since).order_by("-created").values_list("created", flat=True)
        )
        if len(recent) >= limit:
            # The next one is possible once the limit-th most recent leaves the window.
            free_at = recent[limit - 1] + WINDOW
            return (
                f"You made {len(recent)} {what} in the last hour, the most we allow. "
                f"You can make the next one {_when(free_at)}."
            )
    used = stored_bytes(user)
    if used >= settings.STYLIZER_QUOTA_BYTES:
        return (
            f"Your files use {filesizeformat(used)} of your {filesizeformat(settings.STYLIZER_QUOTA_BYTES)}. "
            "Delete some stylizations or styles to make room."
        )
    return None


def lock_owner(user) -> None:
    """Serialise one user's quota checks until the end of the current transaction.

    PostgreSQL: a row lock on the user (``SELECT … FOR UPDATE``). SQLite
    takes no row locks; its transactions start ``IMMEDIATE`` (settings), so a
    transaction holds the database's write lock from its first statement and
    a parallel one waits for it to commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_owner() needs a transaction (transaction.atomic)")
    if connection.features.has_select_for_update:
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def check_quota(user, kinds: tuple[str, ...] = ("stylization",)) -> None:
    """Inside a transaction: lock ``user``'s quota, then raise :class:`QuotaExceeded` if it is used up.

    Call it in the transaction that inserts the new rows, before inserting
    them: parallel requests then count one after another.
    """
    lock_owner(user)
    problem = quota_problem(user, kinds)
    if problem:
        raise QuotaExceeded(problem)
