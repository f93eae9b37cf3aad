"""Style images: built-in, uploaded and private, or approved for the public style gallery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from stylizer.pipeline import encode_jpeg, fit_long_side, make_thumbnail

from ..files import delete_files_now, style_upload_to, thumbnail_upload_to
from .visibility import set_visibility

STYLE_IMAGE_MAX_SIDE = 1024
#: What others see in place of a private style's title (its owner and staff see the title).
PRIVATE_STYLE_NAME = "a private style"


class StyleQuerySet(models.QuerySet):
    def public(self) -> StyleQuerySet:
        return self.filter(is_public=True)

    def usable_by(self, user) -> StyleQuerySet:
        """Styles ``user`` may pick: every public style and their own."""
        if user.is_authenticated:
            return self.filter(Q(is_public=True) | Q(owner=user))
        return self.public()

    def visible_to(self, user) -> StyleQuerySet:
        if user.is_authenticated and user.is_staff:
            return self.all()
        return self.usable_by(user)


class StyleManager(models.Manager.from_queryset(StyleQuerySet)):  # type: ignore[misc]  # Django's documented way
    def create_from_image(self, image, *, title: str, owner=None, is_public: bool = False, **fields) -> Style:
        """Store an RGB Pillow image as a style: a JPEG of long side <= 1024 px and a thumbnail.

        The network sees styles at 256 px, so nothing is lost by the downscale,
        and re-encoding from pixels drops every piece of metadata.
        """
        image = fit_long_side(image, STYLE_IMAGE_MAX_SIDE)
        quality = settings.STYLIZER_JPEG_QUALITY
        style = self.model(
            title=title[:200], owner=owner, is_public=is_public, width=image.width, height=image.height, **fields
        )
        try:
            style.image.save("style.jpg", ContentFile(encode_jpeg(image, quality)), save=False)
            thumbnail = make_thumbnail(image, settings.STYLIZER_THUMBNAIL_SIDE, quality)
            style.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
            style.stored_bytes = style.image.size + style.thumbnail.size
            style.save(force_insert=True)
        except BaseException:
            delete_files_now(style.image, style.thumbnail)
            raise
        return style


class Style(models.Model):
    """A style image: built-in (no owner) or uploaded by a user.

    A user's style is private until its owner submits it and staff approve
    it (``is_public``). ``bottleneck`` caches the style prediction network's
    output (100 floats, onnx engine), computed once on first use.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, blank=True, help_text="Artist or credit line.")
    licence = models.CharField(max_length=300, blank=True, help_text="Licence note, e.g. 'Public domain'.")
    image = models.FileField(upload_to=style_upload_to)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, blank=True)
    width = models.PositiveIntegerField(default=0, help_text="px")
    height = models.PositiveIntegerField(default=0, help_text="px")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="styles"
    )
    is_public = models.BooleanField(default=False, help_text="Shown in the public style gallery.")
    is_submitted = models.BooleanField(default=False, help_text="The owner asked for it to be public.")
    is_featured = models.BooleanField(default=False, help_text="Listed first in the style gallery.")
    stored_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes of its stored files.")
    bottleneck = models.JSONField(null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now)

    objects = StyleManager()

    class Meta:
        ordering = ["-is_featured", "title", "created"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_builtin(self) -> bool:
        return self.owner_id is None

    @property
    def is_pending(self) -> bool:
        return self.is_submitted and not self.is_public

    def is_shown_to(self, user) -> bool:
        """Whether ``user`` may see this style's title, artist and image: public, their own, or staff."""
        if self.is_public:
            return True
        return bool(user and user.is_authenticated and (user.is_staff or user.pk == self.owner_id))

    def title_for(self, user) -> str:
        """The title, or "a private style" for someone who may not see it."""
        return self.title if self.is_shown_to(user) else PRIVATE_STYLE_NAME

    def stored_files(self) -> list[FieldFile]:
        return [field for field in (self.image, self.thumbnail) if field]

    def set_public(self, public: bool) -> None:
        """Approve (True) or withdraw (False) the style; its files move to matching keys."""
        set_visibility(self, public, ["image", "thumbnail"])
