"""Stylizations (one photo in a style or a mix of styles), their style weights and likes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from stylizer.painting import BRUSH_SIDES, DEFAULT_BRUSH

from ..files import (
    animation_upload_to,
    delete_files_now,
    poster_upload_to,
    preview_upload_to,
    result_upload_to,
    thumbnail_upload_to,
)
from .photos import Photo
from .styles import Style
from .visibility import set_visibility

MAX_STYLES_PER_MIX = 3
#: The Celery task that runs one stylization (gallery.tasks), sent by name: the
#: models never import the tasks. The name predates the task's move to gallery
#: and is kept so that messages already queued at a deploy still run.
STYLIZE_TASK = "stylizer.stylize_stylization"
#: The Celery task that runs one clip (gallery.tasks), on ``settings.STYLIZER_CLIP_QUEUE``.
STYLIZE_CLIP_TASK = "gallery.stylize_clip"


class StylizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> StylizationQuerySet:
        """Stylizations ``user`` may see: public ones, their own; staff see all."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(Q(is_public=True) | Q(owner=user))
        return self.filter(is_public=True)

    def owned_by(self, user) -> StylizationQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def public(self) -> StylizationQuerySet:
        return self.filter(is_public=True, status=Stylization.Status.DONE)


#: The brush sizes offered, finest first (stylizer.painting.BRUSH_SIDES).
BRUSH_CHOICES = [(name, name.capitalize()) for name in BRUSH_SIDES]


class Stylization(models.Model):
    """One photo rendered in one style (or a mix of up to three) by the Celery worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stylizations")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="stylizations")
    style = models.ForeignKey(
        Style, null=True, on_delete=models.SET_NULL, related_name="stylizations", help_text="The main style."
    )
    styles: models.ManyToManyField[Style, StyleWeight] = models.ManyToManyField(
        Style, through="StyleWeight", related_name="mixes"
    )
    strength = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0-1: the photo itself (0) to the full style (1), in even steps (stylizer.painting).",
    )
    colors = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0-1: the photo's colours (0) to the style's (1).",
    )
    brush = models.CharField(
        max_length=10,
        choices=BRUSH_CHOICES,
        default=DEFAULT_BRUSH,
        help_text="Size of the strokes relative to the picture, the same at every output size.",
    )
    max_side = models.PositiveIntegerField(help_text="Long side of the result, px.")
    engine = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    is_public = models.BooleanField(default=False, db_index=True)
    like_count = models.PositiveIntegerField(default=0, db_index=True)
    result_image = models.FileField(upload_to=result_upload_to, blank=True)
    result_width = models.PositiveIntegerField(default=0, help_text="px")
    result_height = models.PositiveIntegerField(default=0, help_text="px")
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, blank=True)
    preview_image = models.FileField(
        upload_to=preview_upload_to, blank=True, help_text="The photo re-encoded at the result's size, no metadata."
    )
    animation = models.FileField(
        upload_to=animation_upload_to, blank=True, help_text="A clip's short looping animated WebP for gallery cards."
    )
    poster = models.FileField(
        upload_to=poster_upload_to, blank=True, help_text="A clip's middle result frame (JPEG) at the result's size."
    )
    frames_done = models.PositiveIntegerField(default=0, help_text="A clip's frames painted so far.")
    frames_total = models.PositiveIntegerField(default=0, help_text="A clip's frames.")
    cancel_requested = models.BooleanField(default=False, help_text="The owner asked to stop this clip.")
    stored_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes of its result, thumbnail and preview.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started it.")
    dispatched = models.DateTimeField(null=True, blank=True, help_text="When its task last reached the broker.")
    task_id = models.CharField(max_length=64, blank=True, help_text="The Celery task that last took it.")
    error_message = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="When the worker running it last said it still is (every few seconds)."
    )
    finished = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = StylizationQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        # The galleries read one page in order from these, rather than sorting every row
        # (a page of the public gallery took 34 ms of SQLite sorting at 10,000 rows).
        indexes = [
            models.Index(fields=["status", "-created"], condition=Q(is_public=True), name="public_newest"),
            models.Index(
                fields=["status", "-like_count", "-created"], condition=Q(is_public=True), name="public_most_liked"
            ),
            models.Index(fields=["owner", "-created"], name="owner_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} / {self.style or 'deleted style'} ({self.status})"

    def stored_files(self) -> list[FieldFile]:
        fields = (self.result_image, self.thumbnail, self.preview_image, self.animation, self.poster)
        return [field for field in fields if field]

    #: The file fields a stylization writes (all public or all private, with the row).
    FILE_FIELDS = ("result_image", "thumbnail", "preview_image", "animation", "poster")

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def is_clip(self) -> bool:
        return self.photo.is_clip

    @property
    def is_video(self) -> bool:
        return self.photo.kind == "video"

    @property
    def strength_percent(self) -> int:
        return round(self.strength * 100)

    @property
    def colors_percent(self) -> int:
        return round(self.colors * 100)

    def style_names_for(self, user) -> str:
        """Every style of the mix, heaviest first ("Starry Night + The Scream"), as ``user`` may see
        them (:meth:`Style.title_for`: "a private style" for another's private style), from the
        weights (prefetch ``weights__style`` for lists)."""
        names = [weight.style.title_for(user) for weight in self.weights.all()]
        return " + ".join(names) or (self.style.title_for(user) if self.style else "a deleted style")

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

    @classmethod
    def abandoned(cls, now: datetime | None = None) -> Q:
        """Running rows whose worker has gone quiet: no heartbeat for ``STYLIZER_HEARTBEAT_TIMEOUT`` s.

        A live worker beats every sixth of that (:func:`gallery.tasks.heartbeat`),
        so only a dead or frozen worker's job matches; a row with no heartbeat
        yet counts from when it started.
        """
        quiet_since = (now or timezone.now()) - timedelta(seconds=settings.STYLIZER_HEARTBEAT_TIMEOUT)
        return Q(status=cls.Status.RUNNING) & (
            Q(heartbeat__lt=quiet_since) | Q(heartbeat__isnull=True, started__lt=quiet_since)
        )

    def claim(self, task_id: str = "") -> bool:
        """Atomically take this job for one task execution.

        Taken when it is queued; or running under the same ``task_id`` (the
        message is delivered again only because the worker running it died:
        late acknowledgement, reject on worker lost); or running but
        :meth:`abandoned` (its worker stopped beating). Any other delivery
        (a duplicate from a sweep) finds it taken and leaves it alone, so one
        job writes one result and never runs twice at once. Returns whether
        this caller took it.
        """
        now = timezone.now()
        same_task = Q(status=self.Status.RUNNING, task_id=task_id) & ~Q(task_id="")
        taken = (
            Stylization.objects.filter(pk=self.pk)
            .filter(Q(status=self.Status.QUEUED) | same_task | self.abandoned(now))
            .update(
                status=self.Status.RUNNING,
                started=now,
                heartbeat=now,
                error_message="",
                attempts=F("attempts") + 1,
                task_id=task_id,
            )
        )
        self.refresh_from_db()
        return bool(taken)

    def release_for_retry(self) -> None:
        """Put a job back in the queue for a retry that should not count as an attempt."""
        Stylization.objects.filter(pk=self.pk).update(status=self.Status.QUEUED, attempts=F("attempts") - 1)

    def mark_done(self, result: bytes, size: tuple[int, int], thumbnail: bytes, preview: bytes) -> None:
        """Store the result JPEG (``size`` = width, height in px), its thumbnail and the photo preview.

        If saving fails, the files just written are deleted again.
        """
        files = {
            "result_image": ("result.jpg", result),
            "thumbnail": ("thumbnail.jpg", thumbnail),
            "preview_image": ("preview.jpg", preview),
        }
        self._store_result(files, size)

    def mark_clip_done(self, files: dict[str, tuple[str, bytes]], size: tuple[int, int], frames: int) -> None:
        """Store a clip's files: ``files`` maps :data:`FILE_FIELDS` names to (file name, bytes)
        (the result MP4 or animated WebP, its card animation, poster, preview and thumbnail).

        If saving fails, the files just written are deleted again.
        """
        self.frames_done = self.frames_total = frames
        self._store_result(files, size, extra_fields=["frames_done", "frames_total"])

    def _store_result(
        self, files: dict[str, tuple[str, bytes]], size: tuple[int, int], extra_fields: list[str] | None = None
    ) -> None:
        try:
            for name, (filename, data) in files.items():
                getattr(self, name).save(filename, ContentFile(data), save=False)
            self.result_width, self.result_height = size
            self.stored_bytes = sum(len(data) for _, data in files.values())
            self.status = self.Status.DONE
            self.finished = timezone.now()
            self.save(
                update_fields=[
                    "stored_bytes",
                    *files,
                    "result_width",
                    "result_height",
                    "status",
                    "finished",
                    *(extra_fields or []),
                ]
            )
        except BaseException:
            delete_files_now(*self.stored_files())
            raise

    def record_progress(self, frames_done: int, frames_total: int) -> bool:
        """Note a running clip's frames done; False once the owner cancelled it or the row is gone
        (the worker then stops), or another task took it over."""
        updated = Stylization.objects.filter(
            pk=self.pk, status=self.Status.RUNNING, task_id=self.task_id, cancel_requested=False
        ).update(frames_done=frames_done, frames_total=frames_total, heartbeat=timezone.now())
        self.frames_done, self.frames_total = frames_done, frames_total
        return bool(updated)

    def cancel(self) -> bool:
        """Stop a queued or running stylization (the owner's request); False if it had finished.

        A queued one ends ``cancelled`` at once (a worker that takes its
        message later finds it taken); a running one is flagged and its worker
        stops at the next frame and marks it ``cancelled``.
        """
        now = timezone.now()
        stopped = Stylization.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.CANCELLED, finished=now, error_message=""
        )
        if not stopped:
            stopped = Stylization.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(cancel_requested=True)
        self.refresh_from_db()
        return bool(stopped)

    def mark_cancelled(self) -> None:
        self.status = self.Status.CANCELLED
        self.error_message = ""
        self.finished = timezone.now()
        self.save(update_fields=["status", "error_message", "finished"])

    def mark_failed(self, message: str) -> None:
        self.status = self.Status.FAILED
        self.error_message = message[:500]
        self.finished = timezone.now()
        self.save(update_fields=["status", "error_message", "finished"])

    def set_public(self, public: bool) -> None:
        """Show or hide the stylization in the public gallery; its derived files move keys.

        Only finished results change visibility (their files exist); the
        original photo always stays private.
        """
        if public and self.status != self.Status.DONE:
            raise ValueError("Only a finished stylization can be made public.")
        set_visibility(self, public, list(self.FILE_FIELDS))

    def enqueue(self) -> None:
        """Send the task for this stylization (:data:`STYLIZE_TASK`, by name) and note when.

        Called from ``transaction.on_commit``. If the broker cannot be reached
        this raises; the row stays ``queued`` with no dispatch time, and the
        periodic sweep sends it later. The time limits travel in the message,
        read from settings when it is sent.
        """
        if self.photo.is_clip:
            current_app.send_task(
                STYLIZE_CLIP_TASK,
                args=[str(self.pk)],
                queue=settings.STYLIZER_CLIP_QUEUE,
                soft_time_limit=settings.STYLIZER_CLIP_SOFT_TIME_LIMIT,
                time_limit=settings.STYLIZER_CLIP_TIME_LIMIT,
            )
        else:
            current_app.send_task(
                STYLIZE_TASK,
                args=[str(self.pk)],
                soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
                time_limit=settings.CELERY_TASK_TIME_LIMIT,
            )
        Stylization.objects.filter(pk=self.pk).update(dispatched=timezone.now())

    def requeue(self) -> None:
        """Queue a failed or stuck stylization again; the task is sent after the commit."""
        self.status = self.Status.QUEUED
        self.error_message = ""
        self.started = self.finished = None
        self.cancel_requested = False
        self.frames_done = 0
        self.save(update_fields=["status", "error_message", "started", "finished", "cancel_requested", "frames_done"])
        transaction.on_commit(self.enqueue, robust=True)

    def like(self, user) -> bool:
        """Record ``user``'s like once; returns False if they had already liked it."""
        with transaction.atomic():
            _, created = Like.objects.get_or_create(user=user, stylization=self)
            if created:
                Stylization.objects.filter(pk=self.pk).update(like_count=F("like_count") + 1)
                self.like_count += 1
        return created


class StyleWeight(models.Model):
    """A style of a stylization and its weight in the mix (weights of one stylization sum to 1)."""

    stylization = models.ForeignKey(Stylization, on_delete=models.CASCADE, related_name="weights")
    style = models.ForeignKey(Style, on_delete=models.CASCADE, related_name="weights")
    weight = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stylization", "style"], name="one_weight_per_style")]
        ordering = ["-weight", "id"]

    def __str__(self) -> str:
        return f"{self.style} x {self.weight:.2f}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    stylization = models.ForeignKey(Stylization, on_delete=models.CASCADE, related_name="likes")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "stylization"], name="one_like_per_user")]

    def __str__(self) -> str:
        return f"{self.user} likes {self.stylization_id}"
