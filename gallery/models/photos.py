"""Uploaded photos (content images)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from ..files import photo_upload_to


class Photo(models.Model):
    """An uploaded photo (the content image) or clip, kept private; restyles reuse it.

    A clip (``kind`` video or animation, :mod:`stylizer.clips`) is stored as
    uploaded; ``width`` and ``height`` are its upright frame size.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", "Photo"
        VIDEO = "video", "Video"
        ANIMATION = "animation", "Animated image"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_upload_to)
    width = models.PositiveIntegerField(help_text="px, upright")
    height = models.PositiveIntegerField(help_text="px, upright")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGE)
    seconds = models.FloatField(default=0.0, help_text="A clip's duration, s.")
    frame_count = models.PositiveIntegerField(default=0, help_text="A clip's frames.")
    has_audio = models.BooleanField(default=False, help_text="A video with sound.")
    bottleneck = models.JSONField(null=True, blank=True, editable=False, help_text="The photo's own style bottleneck.")
    stored_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes of the stored photo.")
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.owner} {self.get_kind_display().lower()} {self.width}x{self.height}"

    @property
    def is_clip(self) -> bool:
        return self.kind != self.Kind.IMAGE

    def stored_files(self) -> list[FieldFile]:
        return [self.image] if self.image else []
