"""Styles and stylizations."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from stylizer.pipeline import encode_jpeg, fit_long_side, make_thumbnail

from .storage import PRIVATE_PREFIX, PUBLIC_PREFIX


def _key(folder: str, filename: str, *, public: bool = False) -> str:
    # Keys never come from the user's filename: a random name, and the
    # extension the caller derived from the decoded format. The prefix sets
    # the object's ACL (see gallery.storage).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    prefix = PUBLIC_PREFIX if public else PRIVATE_PREFIX
    return f"{prefix}{folder}/{uuid.uuid4().hex}.{extension}"


def style_upload_to(instance: Style, filename: str) -> str:
    return _key("styles", filename, public=instance.is_public)


def content_upload_to(instance: Stylization, filename: str) -> str:
    return _key("photos", filename)


def result_upload_to(instance: Stylization, filename: str) -> str:
    return _key("results", filename)


def thumbnail_upload_to(instance: Style | Stylization, filename: str) -> str:
    return _key("thumbnails", filename, public=isinstance(instance, Style) and instance.is_public)


def _delete_files_on_error(*fields: FieldFile) -> None:
    for field in fields:
        if field and field.name:
            field.storage.delete(field.name)


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


STYLE_IMAGE_MAX_SIDE = 1024


class StyleManager(models.Manager.from_queryset(StyleQuerySet)):
    def create_from_image(self, image, *, title: str, owner=None, is_public: bool = False) -> Style:
        """Store an RGB Pillow image as a style: a JPEG of long side <= 1024 px and a thumbnail.

        The network sees styles at 256 px, so nothing is lost by the downscale,
        and re-encoding from pixels drops every piece of metadata.
        """
        image = fit_long_side(image, STYLE_IMAGE_MAX_SIDE)
        quality = settings.STYLIZER_JPEG_QUALITY
        style = self.model(title=title[:200], owner=owner, is_public=is_public, width=image.width, height=image.height)
        try:
            style.image.save("style.jpg", ContentFile(encode_jpeg(image, quality)), save=False)
            thumbnail = make_thumbnail(image, settings.STYLIZER_THUMBNAIL_SIDE, quality)
            style.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
            style.save(force_insert=True)
        except BaseException:
            _delete_files_on_error(style.image, style.thumbnail)
            raise
        return style


class Style(models.Model):
    """A style image: built-in (no owner) or uploaded by a user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    image = models.FileField(upload_to=style_upload_to)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, blank=True)
    width = models.PositiveIntegerField(default=0, help_text="px")
    height = models.PositiveIntegerField(default=0, help_text="px")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="styles"
    )
    is_public = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    objects = StyleManager()

    class Meta:
        ordering = ["title", "created"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_builtin(self) -> bool:
        return self.owner_id is None

    def stored_files(self) -> list[FieldFile]:
        return [field for field in (self.image, self.thumbnail) if field]


class StylizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> StylizationQuerySet:
        """Stylizations ``user`` may see: their own; staff see all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(owner=user)


class Stylization(models.Model):
    """One photo rendered in one style by the Celery worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stylizations")
    content_image = models.FileField(upload_to=content_upload_to)
    content_width = models.PositiveIntegerField(default=0, help_text="px, upright")
    content_height = models.PositiveIntegerField(default=0, help_text="px, upright")
    style = models.ForeignKey(Style, null=True, on_delete=models.SET_NULL, related_name="stylizations")
    max_side = models.PositiveIntegerField(help_text="Long side of the result, px.")
    engine = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    result_image = models.FileField(upload_to=result_upload_to, blank=True)
    result_width = models.PositiveIntegerField(default=0, help_text="px")
    result_height = models.PositiveIntegerField(default=0, help_text="px")
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    objects = StylizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.owner} / {self.style or 'deleted style'} ({self.status})"

    def stored_files(self) -> list[FieldFile]:
        return [field for field in (self.content_image, self.result_image, self.thumbnail) if field]

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def seconds_processing(self) -> float | None:
        if self.started and self.finished:
            return (self.finished - self.started).total_seconds()
        return None

    def mark_running(self) -> None:
        self.status = self.Status.RUNNING
        self.started = timezone.now()
        self.error_message = ""
        self.save(update_fields=["status", "started", "error_message"])

    def mark_done(self, result: bytes, size: tuple[int, int], thumbnail: bytes) -> None:
        """Store the result JPEG (``size`` = width, height in px) and its thumbnail JPEG.

        If saving the row fails, the files just written are deleted again.
        """
        self.result_image.save("result.jpg", ContentFile(result), save=False)
        try:
            self.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
            self.result_width, self.result_height = size
            self.status = self.Status.DONE
            self.finished = timezone.now()
            self.save(
                update_fields=["result_image", "result_width", "result_height", "thumbnail", "status", "finished"]
            )
        except BaseException:
            for field in (self.result_image, self.thumbnail):
                if field:
                    field.delete(save=False)
            raise

    def mark_failed(self, message: str) -> None:
        self.status = self.Status.FAILED
        self.error_message = message[:500]
        self.finished = timezone.now()
        self.save(update_fields=["status", "error_message", "finished"])


def submit_stylization(
    *,
    owner,
    photo,
    photo_info,
    style: Style | None = None,
    style_image=None,
    style_title: str = "",
    max_side: int | None = None,
    engine: str | None = None,
) -> Stylization:
    """Store an upload (and an uploaded style image) and queue its stylization.

    ``photo`` is an uploaded file already checked by
    :class:`gallery.forms.ImageUploadField` and ``photo_info`` its
    :class:`stylizer.pipeline.ImageInfo`; ``style_image`` is a decoded RGB
    Pillow image for a new private style. Rows and files are written in one
    transaction; if it fails, the files written so far are deleted. The task
    is sent after the commit; if the broker cannot be reached the row stays
    ``queued`` and the upload is kept.
    """
    from stylizer.tasks import enqueue_stylization

    stylization = Stylization(
        owner=owner,
        max_side=max_side or settings.STYLIZER_MAX_SIDE,
        engine=engine or settings.STYLIZER_ENGINE,
        content_width=photo_info.width,
        content_height=photo_info.height,
    )
    new_style = None
    try:
        with transaction.atomic():
            if style_image is not None:
                new_style = Style.objects.create_from_image(style_image, title=style_title or "My style", owner=owner)
                style = new_style
            stylization.style = style
            stylization.content_image.save(f"photo.{photo_info.extension}", photo, save=False)
            stylization.save(force_insert=True)
            transaction.on_commit(lambda: enqueue_stylization(stylization.pk), robust=True)
    except BaseException:
        _delete_files_on_error(
            stylization.content_image, *([new_style.image, new_style.thumbnail] if new_style else [])
        )
        raise
    return stylization
