"""Photos, styles, stylizations and likes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from stylizer.painting import BRUSH_SIDES, DEFAULT_BRUSH
from stylizer.pipeline import encode_jpeg, encode_original, fit_long_side, make_thumbnail

from .storage import PRIVATE_PREFIX, PUBLIC_PREFIX

STYLE_IMAGE_MAX_SIDE = 1024
#: What others see in place of a private style's title (its owner and staff see the title).
PRIVATE_STYLE_NAME = "a private style"
MAX_STYLES_PER_MIX = 3


def _key(folder: str, filename: str, *, public: bool = False) -> str:
    # Keys never come from the user's filename: a random name, and the
    # extension the caller derived from the decoded format. The prefix sets
    # the object's ACL (see gallery.storage).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    prefix = PUBLIC_PREFIX if public else PRIVATE_PREFIX
    return f"{prefix}{folder}/{uuid.uuid4().hex}.{extension}"


def style_upload_to(instance: Style, filename: str) -> str:
    return _key("styles", filename, public=instance.is_public)


def photo_upload_to(instance: Photo, filename: str) -> str:
    return _key("photos", filename)


def result_upload_to(instance: Stylization, filename: str) -> str:
    return _key("results", filename, public=instance.is_public)


def preview_upload_to(instance: Stylization, filename: str) -> str:
    return _key("previews", filename, public=instance.is_public)


def thumbnail_upload_to(instance: Style | Stylization, filename: str) -> str:
    return _key("thumbnails", filename, public=instance.is_public)


def _delete_files_on_error(*fields: FieldFile) -> None:
    for field in fields:
        if field and field.name:
            field.storage.delete(field.name)


def move_file(field: FieldFile, *, public: bool) -> None:
    """Re-store ``field`` under a public or private key; the old object goes after the commit.

    The ACL of an object follows its key prefix, so changing who may see a
    file means a new object. The caller saves the row.
    """
    from .signals import delete_file_later

    if not field or field.name.startswith(PUBLIC_PREFIX if public else PRIVATE_PREFIX):
        return
    old_name = field.name
    with field.storage.open(old_name, "rb") as handle:
        data = handle.read()
    folder = old_name.split("/")[1]
    new_name = field.storage.save(_key(folder, old_name, public=public), ContentFile(data))
    field.name = new_name
    delete_file_later(field.storage, old_name)


def _set_public(instance: Style | Stylization, public: bool, file_fields: list[str]) -> None:
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


class StyleManager(models.Manager.from_queryset(StyleQuerySet)):
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
            _delete_files_on_error(style.image, style.thumbnail)
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
        _set_public(self, public, ["image", "thumbnail"])


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stylizations")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="stylizations")
    style = models.ForeignKey(
        Style, null=True, on_delete=models.SET_NULL, related_name="stylizations", help_text="The main style."
    )
    styles = models.ManyToManyField(Style, through="StyleWeight", related_name="mixes")
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
        return [field for field in (self.result_image, self.thumbnail, self.preview_image) if field]

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

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
    def abandoned(cls, now=None) -> Q:
        """Running rows whose worker has gone quiet: no heartbeat for ``STYLIZER_HEARTBEAT_TIMEOUT`` s.

        A live worker beats every sixth of that (:func:`stylizer.tasks.heartbeat`),
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
        try:
            self.result_image.save("result.jpg", ContentFile(result), save=False)
            self.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
            self.preview_image.save("preview.jpg", ContentFile(preview), save=False)
            self.result_width, self.result_height = size
            self.stored_bytes = len(result) + len(thumbnail) + len(preview)
            self.status = self.Status.DONE
            self.finished = timezone.now()
            self.save(
                update_fields=[
                    "stored_bytes",
                    "result_image",
                    "result_width",
                    "result_height",
                    "thumbnail",
                    "preview_image",
                    "status",
                    "finished",
                ]
            )
        except BaseException:
            _delete_files_on_error(*self.stored_files())
            raise

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
        _set_public(self, public, ["result_image", "thumbnail", "preview_image"])

    def requeue(self) -> None:
        """Queue a failed or stuck stylization again; the task is sent after the commit."""
        from stylizer.tasks import enqueue_stylization

        self.status = self.Status.QUEUED
        self.error_message = ""
        self.started = self.finished = None
        self.save(update_fields=["status", "error_message", "started", "finished"])
        transaction.on_commit(lambda: enqueue_stylization(self.pk), robust=True)

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


def submit_stylization(
    *,
    owner,
    styles: list[tuple[Style, float]],
    photo: Photo | None = None,
    photo_image=None,
    photo_info=None,
    strength: float = 1.0,
    colors: float = 1.0,
    brush: str = DEFAULT_BRUSH,
    max_side: int | None = None,
    engine: str | None = None,
) -> Stylization:
    """Store a stylization (and its uploaded photo, if new) and queue it.

    Either ``photo`` (a restyle of a stored photo) or ``photo_image`` (the
    decoded upright RGB image of an upload checked by
    :class:`gallery.forms.ImageUploadField`) with ``photo_info`` (its
    :class:`stylizer.pipeline.ImageInfo`); the upload is stored re-encoded
    from its pixels (:func:`stylizer.pipeline.encode_original`). ``styles`` are
    1-3 (style, weight) pairs; weights are normalised to sum to 1. Rows and
    files are written in one transaction; if it fails, the files written are
    deleted. The task is sent after the commit; if the broker cannot be
    reached the row stays ``queued`` and the upload is kept.
    """
    from stylizer.tasks import enqueue_stylization

    if not 1 <= len(styles) <= MAX_STYLES_PER_MIX:
        raise ValueError(f"A stylization takes 1 to {MAX_STYLES_PER_MIX} styles, got {len(styles)}")
    total = sum(weight for _, weight in styles)
    if total <= 0:
        raise ValueError("Style weights must add up to more than 0")
    new_photo = None
    try:
        with transaction.atomic():
            if photo is None:
                new_photo = photo = Photo(owner=owner, width=photo_info.width, height=photo_info.height)
                data, extension = encode_original(photo_image, photo_info.format)
                photo.image.save(f"photo.{extension}", ContentFile(data), save=False)
                photo.stored_bytes = photo.image.size
                photo.save(force_insert=True)
            stylization = Stylization.objects.create(
                owner=owner,
                photo=photo,
                style=max(styles, key=lambda pair: pair[1])[0],
                strength=strength,
                colors=colors,
                brush=brush,
                max_side=max_side or settings.STYLIZER_MAX_SIDE,
                engine=engine or settings.STYLIZER_ENGINE,
            )
            StyleWeight.objects.bulk_create(
                StyleWeight(stylization=stylization, style=style, weight=weight / total) for style, weight in styles
            )
            transaction.on_commit(lambda: enqueue_stylization(stylization.pk), robust=True)
    except BaseException:
        if new_photo is not None:
            _delete_files_on_error(new_photo.image)
        raise
    return stylization


class Report(models.Model):
    """A signed-in user's report of a public stylization or style, for staff to moderate."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    stylization = models.ForeignKey(
        Stylization, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    style = models.ForeignKey(Style, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    reason = models.TextField(max_length=1000)
    created = models.DateTimeField(default=timezone.now)
    resolved = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution = models.CharField(
        max_length=20, blank=True, choices=[("hidden", "Item hidden"), ("dismissed", "Dismissed")]
    )

    class Meta:
        ordering = ["resolved", "-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stylization__isnull=False, style__isnull=True)
                | Q(stylization__isnull=True, style__isnull=False),
                name="report_one_item",
            )
        ]

    def __str__(self) -> str:
        return f"Report by {self.reporter} on {self.item}"

    @property
    def item(self) -> Stylization | Style:
        return self.stylization or self.style

    def resolve(self, resolution: str) -> None:
        self.resolved = timezone.now()
        self.resolution = resolution
        self.save(update_fields=["resolved", "resolution"])
