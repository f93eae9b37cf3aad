"""Making a row's files public or private, one request at a time."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..files import move_file


def set_visibility(instance: Any, public: bool, file_fields: list[str]) -> None:
    """Set ``is_public`` and move the row's files to matching keys, one request at a time.

    The row is read again under a lock (``SELECT … FOR UPDATE``; SQLite's
    transactions are IMMEDIATE), so parallel requests move the files one
    after another, each from the names the previous one stored: never from
    names another request has just deleted. ``instance`` gets the stored
    state. Raises the model's ``DoesNotExist`` if the row was deleted meanwhile.
    """
    with transaction.atomic():
        fresh = type(instance).objects.select_for_update().get(pk=instance.pk)
        if fresh.is_public != public:
            fresh.is_public = public
            for field in fresh.stored_files():
                move_file(field, public=public)
            fresh.save(update_fields=["is_public", *file_fields])
    instance.is_public = fresh.is_public
    for name in file_fields:
        setattr(instance, name, getattr(fresh, name).name)
