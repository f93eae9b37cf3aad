"""python manage.py audit_storage [--delete-orphans] [--min-age SECONDS]"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from gallery.models import Photo, Style, Stylization
from gallery.storage import PRIVATE_PREFIX, PUBLIC_PREFIX

FILE_FIELDS: dict[type[Photo] | type[Style] | type[Stylization], list[str]] = {
    Photo: ["image"],
    Style: ["image", "thumbnail"],
    Stylization: list(Stylization.FILE_FIELDS),  # a clip's card animation and poster too
}


def walk(storage, folder: str):
    """Every file name under ``folder`` of ``storage``, recursively."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}{name}"
    for sub in folders:
        yield from walk(storage, f"{folder}{sub}/")


class Command(BaseCommand):
    help = "Report stored objects that no row points to, and rows whose object is missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete-orphans", action="store_true", help="delete the orphan objects found")
        parser.add_argument(
            "--min-age",
            type=int,
            default=3600,
            help="only objects older than this many seconds count as orphans; younger ones may "
            "belong to an upload still in progress (default: %(default)s)",
        )

    def handle(self, *args, delete_orphans: bool, min_age: int, **options) -> None:
        storage = default_storage
        referenced: set[str] = set()
        missing = 0
        for model, fields in FILE_FIELDS.items():
            for row in model.objects.only("pk", *fields).iterator(chunk_size=500):
                for field_name in fields:
                    name = getattr(row, field_name).name
                    if not name:
                        continue
                    referenced.add(name)
                    if not storage.exists(name):
                        missing += 1
                        label = model._meta.verbose_name
                        self.stdout.write(f"missing object: {name} ({label} {row.pk}, {field_name})")

        cutoff = timezone.now() - timedelta(seconds=min_age)
        orphans = []
        for prefix in (PUBLIC_PREFIX, PRIVATE_PREFIX):
            for name in walk(storage, prefix):
                if name in referenced:
                    continue
                if min_age and storage.get_modified_time(name) > cutoff:
                    continue
                orphans.append(name)
                self.stdout.write(f"orphan object: {name}")
        self.stdout.write(f"{len(orphans)} orphan objects, {missing} rows with missing objects")
        if delete_orphans:
            for name in orphans:
                storage.delete(name)
            self.stdout.write(f"deleted {len(orphans)} orphan objects")
