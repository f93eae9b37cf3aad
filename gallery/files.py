"""Stored files of the gallery's rows: their keys, moving them, and deleting them after the commit.

Keys never come from the user's filename: a random name (uuid4) and the
extension the caller derived from the decoded format. The key's prefix sets
the object's ACL (:mod:`gallery.storage`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Protocol

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile

from .storage import PRIVATE_PREFIX, PUBLIC_PREFIX

logger = logging.getLogger(__name__)


class HasVisibility(Protocol):
    is_public: bool


def storage_key(folder: str, filename: str, *, public: bool = False) -> str:
    """A new key ``{public|private}/{folder}/{32 hex}.{extension of filename}`` (``bin`` when it has none)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    prefix = PUBLIC_PREFIX if public else PRIVATE_PREFIX
    return f"{prefix}{folder}/{uuid.uuid4().hex}.{extension}"


def style_upload_to(instance: HasVisibility, filename: str) -> str:
    return storage_key("styles", filename, public=instance.is_public)


def photo_upload_to(instance: Any, filename: str) -> str:
    return storage_key("photos", filename)


def result_upload_to(instance: HasVisibility, filename: str) -> str:
    return storage_key("results", filename, public=instance.is_public)


def preview_upload_to(instance: HasVisibility, filename: str) -> str:
    return storage_key("previews", filename, public=instance.is_public)


def animation_upload_to(instance: HasVisibility, filename: str) -> str:
    return storage_key("animations", filename, public=instance.is_public)


def poster_upload_to(instance: HasVisibility, filename: str) -> str:
    return storage_key("posters", filename, public=instance.is_public)


def thumbnail_upload_to(instance: HasVisibility, filename: str) -> str:
    return storage_key("thumbnails", filename, public=instance.is_public)


def delete_files_now(*fields: FieldFile) -> None:
    """Delete the stored objects of ``fields`` at once (undoing writes of a failed save)."""
    for field in fields:
        if field and field.name:
            field.storage.delete(field.name)


def delete_file_later(storage: Storage, name: str) -> None:
    """Delete ``name`` from ``storage`` once the current transaction commits (never on rollback)."""

    def delete() -> None:
        try:
            storage.delete(name)
        except Exception:
            # The audit command (manage.py audit_storage) finds and removes it later.
            logger.exception("Could not delete %s; it is left as an orphan object", name)

    transaction.on_commit(delete)


def move_file(field: FieldFile, *, public: bool) -> None:
    """Re-store ``field`` under a public or private key; the old object goes after the commit.

    The ACL of an object follows its key prefix, so changing who may see a
    file means a new object. The caller saves the row.
    """
    old_name = field.name
    if not field or not old_name or old_name.startswith(PUBLIC_PREFIX if public else PRIVATE_PREFIX):
        return
    with field.storage.open(old_name, "rb") as handle:
        data = handle.read()
    folder = old_name.split("/")[1]
    field.name = field.storage.save(storage_key(folder, old_name, public=public), ContentFile(data))
    delete_file_later(field.storage, old_name)
