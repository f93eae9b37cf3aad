"""Files follow their rows: deleting a row deletes its objects, after the commit."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Photo, Style, Stylization

logger = logging.getLogger(__name__)


def delete_file_later(storage, name: str) -> None:
    """Delete ``name`` from ``storage`` once the current transaction commits (never on rollback)."""

    def delete() -> None:
        try:
            storage.delete(name)
        except Exception:
            # The audit command (manage.py audit_storage) finds and removes it later.
            logger.exception("Could not delete %s; it is left as an orphan object", name)

    transaction.on_commit(delete)


@receiver(post_delete, sender=Photo)
@receiver(post_delete, sender=Style)
@receiver(post_delete, sender=Stylization)
def delete_stored_files(sender, instance: Photo | Style | Stylization, **kwargs) -> None:
    for field in instance.stored_files():
        delete_file_later(field.storage, field.name)


@receiver(post_delete, sender=Stylization)
def delete_unused_photo(sender, instance: Stylization, **kwargs) -> None:
    """A photo goes with the last stylization made from it."""
    Photo.objects.filter(pk=instance.photo_id, stylizations__isnull=True).delete()
