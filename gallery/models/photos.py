"""Uploaded photos (content images)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from ..files import photo_upload_to


class Photo(models.Model):
    """An uploaded photo (the content image), kept private; restyles reuse it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_upload_to)
    width = models.PositiveIntegerField(help_text="px, upright")
    height = models.PositiveIntegerField(help_text="px, upright")
    bottleneck = models.JSONField(null=True, blank=True, editable=False, help_text="The photo's own style bottleneck.")
    stored_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes of the stored photo.")
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.owner} photo {self.width}x{self.height}"

    def stored_files(self) -> list[FieldFile]:
        return [self.image] if self.image else []
