"""Files follow their rows: deleting a row deletes its objects, after the commit."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .files import delete_file_later
from .models import Photo, Style, Stylization


@receiver(post_delete, sender=Photo)
@receiver(post_delete, sender=Style)
@receiver(post_delete, sender=Stylization)
def delete_stored_files(sender: type, instance: Photo | Style | Stylization, **kwargs: Any) -> None:
    for field in instance.stored_files():
        if field.name:
            delete_file_later(field.storage, field.name)


@receiver(post_delete, sender=Stylization)
def delete_unused_photo(sender: type, instance: Stylization, **kwargs: Any) -> None:
    """A photo goes with the last stylization made from it."""
    Photo.objects.filter(pk=instance.photo_id, stylizations__isnull=True).delete()
