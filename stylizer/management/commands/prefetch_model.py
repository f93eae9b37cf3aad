"""python manage.py prefetch_model"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Resolve STYLIZER_TFHUB_HANDLE into TFHUB_CACHE_DIR, so tfhub workers start with no network."

    def handle(self, *args: object, **options: object) -> None:
        if not os.environ.get("TFHUB_CACHE_DIR"):
            raise CommandError("Set TFHUB_CACHE_DIR to the folder the model should be kept in.")
        try:
            import tensorflow_hub as hub
        except ImportError as exc:
            raise CommandError("tensorflow-hub is not installed: pip install -r requirements-tfhub.txt") from exc
        handle = settings.STYLIZER_TFHUB_HANDLE
        try:
            path = hub.resolve(handle)
        except Exception as exc:  # noqa: BLE001 - hub raises many unrelated types
            raise CommandError(f"Could not resolve {handle!r}: {exc}") from exc
        self.stdout.write(f"{handle} -> {path}")
