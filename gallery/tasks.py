"""Celery tasks of the gallery: thin wrappers that claim a row, render it and store the result.

Each task takes ids, claims its row (:meth:`gallery.models.Stylization.claim`),
calls :func:`run_stylization` (which paints through :mod:`stylizer.render`)
and maps errors to the row's status and message. The models send
:data:`gallery.models.STYLIZE_TASK` by name and never import this module.
"""

from __future__ import annotations

import io
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from stylizer import clips, pipeline
from stylizer.clip_render import render_clip
from stylizer.engines import EngineUnavailable, UnsupportedControl
from stylizer.painting import Controls
from stylizer.registry import BOTTLENECK_ENGINES
from stylizer.render import RenderedImage, StyleSource, render_photo

from .models import STYLIZE_CLIP_TASK, STYLIZE_TASK, Photo, Style, StyleWeight, Stylization
from .storage import is_transient_storage_error

logger = logging.getLogger(__name__)

#: The periodic sweep's name (settings.CELERY_BEAT_SCHEDULE); kept from before the move to gallery.
SWEEP_TASK = "stylizer.sweep_stylizations"

STORAGE_UNAVAILABLE = (
    "Our file storage could not be reached, so this stylization did not run. "
    "Your photo is safe; please try again later."
)
TOO_MANY_ATTEMPTS = (
    "This photo stopped our stylizer several times, so we gave up on it. "
    "Try another photo, or save this one again in another format."
)
INTERNAL_ERROR = "Something went wrong on our side while stylizing this photo. Please try again later."


def _read(field: FieldFile) -> bytes:
    """All bytes of a stored file, through Django's storage API (local disk or S3 alike)."""
    with field.open("rb") as handle:
        return handle.read()


def _bottleneck(values: list[float] | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.float32)


def run_stylization(stylization: Stylization) -> tuple[RenderedImage, bytes]:
    """Render a stylization row's photo with its styles and controls (:func:`stylizer.render.render_photo`).

    Returns the rendered result and the preview JPEG (the photo re-encoded at
    the result's size, without metadata). Style and photo bottlenecks are
    read from their rows, and those computed now are stored there, so a
    restyle costs only the style transfer network.

    Raises:
        pipeline.ImageRejected, EngineUnavailable, FileNotFoundError, storage errors.
        UnsupportedControl: the engine cannot offer the requested controls.
    """
    weights, styles = _style_sources(stylization)
    photo = stylization.photo
    rendering = render_photo(
        io.BytesIO(_read(photo.image)),
        styles,
        max_side=stylization.max_side,
        controls=Controls(strength=stylization.strength, colors=stylization.colors, brush=stylization.brush),
        engine_name=stylization.engine,
        content_bottleneck=_bottleneck(photo.bottleneck),
    )
    _keep_bottlenecks(weights, rendering.new_style_bottlenecks, photo, rendering.new_content_bottleneck)
    return rendering.result, rendering.preview


def _style_sources(stylization: Stylization) -> tuple[list[StyleWeight], list[StyleSource]]:
    """The row's style weights, and each style as a :class:`stylizer.render.StyleSource`: its cached
    bottleneck, and its image only where the engine or a missing bottleneck needs it."""
    weights = list(stylization.weights.select_related("style"))
    images_needed = stylization.engine not in BOTTLENECK_ENGINES
    styles = [
        StyleSource(
            weight=weight.weight,
            image=io.BytesIO(_read(weight.style.image)) if images_needed or weight.style.bottleneck is None else None,
            bottleneck=_bottleneck(weight.style.bottleneck),
        )
        for weight in weights
    ]
    return weights, styles


def _keep_bottlenecks(
    weights: list[StyleWeight],
    new_style: list[np.ndarray | None],
    photo: Photo,
    new_content: np.ndarray | None,
) -> None:
    """Store the bottlenecks a rendering computed on their rows, so a restyle costs only the transfer network."""
    for weight, bottleneck in zip(weights, new_style, strict=True):
        if bottleneck is not None:
            Style.objects.filter(pk=weight.style.pk).update(bottleneck=[float(x) for x in bottleneck])
    if new_content is not None:
        Photo.objects.filter(pk=photo.pk).update(bottleneck=[float(x) for x in new_content])


class ClipCancelled(Exception):
    """The owner cancelled the clip, or its row was deleted, while it ran."""


#: Seconds between a running clip's progress writes (each also checks for a cancellation).
PROGRESS_INTERVAL = 1.0


def clip_work_dir(stylization_id: UUID | str) -> Path:
    return Path(settings.STYLIZER_CLIP_WORK_DIR) / str(stylization_id)


def remove_stale_work_dirs() -> int:
    """Remove the clip work folders of this machine whose stylization is no longer running
    (a worker killed mid-clip leaves one); returns how many went."""
    root = Path(settings.STYLIZER_CLIP_WORK_DIR)
    if not root.is_dir():
        return 0
    names = [entry.name for entry in root.iterdir() if entry.is_dir()]
    running = {
        str(pk)
        for pk in Stylization.objects.filter(
            pk__in=[name for name in names if _is_uuid(name)], status=Stylization.Status.RUNNING
        ).values_list("pk", flat=True)
    }
    stale = [name for name in names if name not in running]
    for name in stale:
        shutil.rmtree(root / name, ignore_errors=True)
    return len(stale)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def run_clip(stylization: Stylization) -> None:
    """Render a clip stylization (:func:`stylizer.render.render_clip`) and store its files.

    The clip is copied from storage into the row's work folder
    (:func:`clip_work_dir`, emptied first: a killed attempt's files go), the
    result is encoded there, stored, and the folder removed whatever happens.
    Progress is written every :data:`PROGRESS_INTERVAL` s.

    Raises:
        ClipCancelled: the owner cancelled it (or it was deleted) meanwhile.
        stylizer.clips.ClipRejected, EngineUnavailable, FileNotFoundError, storage errors.
    """
    work = clip_work_dir(stylization.pk)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        photo = stylization.photo
        source = work / f"source.{photo.image.name.rsplit('.', 1)[-1]}"
        with photo.image.open("rb") as stored, source.open("wb") as local:
            shutil.copyfileobj(stored, local, 1024 * 1024)
        info = clips.probe_clip(source, clips.limits_from_settings())
        if not stylization.record_progress(0, info.frames):
            raise ClipCancelled
        reported = time.monotonic()

        def progress(done: int) -> None:
            nonlocal reported
            if done < info.frames and time.monotonic() - reported < PROGRESS_INTERVAL:
                return
            reported = time.monotonic()
            if not stylization.record_progress(done, max(done, info.frames)):
                raise ClipCancelled

        weights, styles = _style_sources(stylization)
        rendering = render_clip(
            source,
            info,
            styles,
            max_side=stylization.max_side,
            controls=Controls(strength=stylization.strength, colors=stylization.colors, brush=stylization.brush),
            work_dir=work / "out",
            engine_name=stylization.engine,
            content_bottleneck=_bottleneck(photo.bottleneck),
            blend=settings.STYLIZER_CLIP_BLEND,
            progress=progress,
        )
        _keep_bottlenecks(weights, rendering.new_style_bottlenecks, photo, rendering.new_content_bottleneck)
        files = {
            "result_image": (rendering.result.name, rendering.result.read_bytes()),
            "animation": ("card.webp", rendering.animation.read_bytes()),
            "poster": ("poster.jpg", rendering.poster),
            "preview_image": ("preview.jpg", rendering.before),
            "thumbnail": ("thumbnail.jpg", rendering.thumbnail),
        }
        stylization.mark_clip_done(files, rendering.size, rendering.frames)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def heartbeat(stylization_id: UUID | str, task_id: str) -> Iterator[None]:
    """While the block runs, a thread marks the running row alive every ``STYLIZER_HEARTBEAT_TIMEOUT / 6`` s.

    Only while the row is still running under ``task_id``; the thread closes
    its own database connection when the block ends. A worker that dies
    stops beating, and :func:`sweep_stylizations` queues its job again.
    """
    stop = threading.Event()
    interval = settings.STYLIZER_HEARTBEAT_TIMEOUT / 6

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    Stylization.objects.filter(
                        pk=stylization_id, status=Stylization.Status.RUNNING, task_id=task_id
                    ).update(heartbeat=timezone.now())
                except Exception as exc:  # noqa: BLE001 - a missed beat is retried at the next one
                    logger.warning("Heartbeat of stylization %s not recorded: %s", stylization_id, exc)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{stylization_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@shared_task(
    bind=True,
    name=STYLIZE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # counted against settings.STYLIZER_STORAGE_RETRIES below
)
def stylize_stylization(self: Task[Any, Any], stylization_id: str) -> str:
    """Run the stylization ``stylization_id`` and store its result.

    Returns the row's final status. A bad input ends ``failed`` with a
    readable message and is not retried. A transient storage error
    (timeout, 5xx, throttling) is retried with exponential backoff up to
    ``settings.STYLIZER_STORAGE_RETRIES`` times, then ends ``failed``; the
    uploaded photo is never deleted.
    """

    def job(stylization: Stylization) -> None:
        rendered, preview = run_stylization(stylization)
        stylization.mark_done(rendered.jpeg, rendered.size, rendered.thumbnail, preview)

    return _run_job(self, stylization_id, job, TOO_SLOW)


@shared_task(
    bind=True,
    name=STYLIZE_CLIP_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def stylize_clip(self: Task[Any, Any], stylization_id: str) -> str:
    """Run the clip stylization ``stylization_id`` (:func:`run_clip`), on ``settings.STYLIZER_CLIP_QUEUE``.

    As :func:`stylize_stylization`, and: a cancellation by the owner ends
    ``cancelled``; work folders left by killed attempts on this machine are
    removed first.
    """
    remove_stale_work_dirs()
    return _run_job(self, stylization_id, run_clip, CLIP_TOO_SLOW)


TOO_SLOW = "This stylization took too long and was stopped. Try a smaller output size."
CLIP_TOO_SLOW = "This clip took too long and was stopped. Try a smaller output size, a bolder brush or a shorter clip."


def _run_job(task: Task[Any, Any], stylization_id: str, job: Callable[[Stylization], None], too_slow: str) -> str:
    """Claim the row, run ``job`` on it under a heartbeat, and map errors to its status and message."""
    try:
        stylization = Stylization.objects.select_related("photo").get(pk=stylization_id)
    except Stylization.DoesNotExist:
        logger.info("Stylization %s no longer exists; nothing to do.", stylization_id)
        return "missing"
    if not stylization.claim(task.request.id or ""):
        logger.info("Stylization %s is %s; this delivery leaves it alone.", stylization_id, stylization.status)
        return stylization.status
    if stylization.attempts > settings.STYLIZER_MAX_ATTEMPTS:
        stylization.mark_failed(TOO_MANY_ATTEMPTS)
        return stylization.status
    if not stylization.weights.exists():
        stylization.mark_failed("The style of this stylization was deleted before it could run.")
        return stylization.status
    try:
        with heartbeat(stylization.pk, stylization.task_id):
            job(stylization)
    except ClipCancelled:
        if Stylization.objects.filter(pk=stylization.pk).exists():
            stylization.mark_cancelled()
            logger.info("Stylization %s cancelled by its owner", stylization_id)
            return stylization.status
        return "missing"
    except (pipeline.ImageRejected, UnsupportedControl) as exc:
        stylization.mark_failed(str(exc))
    except SoftTimeLimitExceeded:
        stylization.mark_failed(too_slow)
    except EngineUnavailable:
        logger.exception("Engine unavailable for stylization %s", stylization_id)
        stylization.mark_failed("The stylization engine is unavailable right now. Please try again later.")
    except FileNotFoundError:
        logger.exception("A file of stylization %s is missing", stylization_id)
        stylization.mark_failed("The photo or style file of this stylization is missing.")
    except Exception as exc:
        if is_transient_storage_error(exc):
            attempt = task.request.retries
            if attempt < settings.STYLIZER_STORAGE_RETRIES:
                delay = settings.STYLIZER_STORAGE_RETRY_DELAY * 2**attempt
                logger.warning(
                    "Storage error on stylization %s (%s); retry %d in %.1f s", stylization_id, exc, attempt + 1, delay
                )
                stylization.release_for_retry()
                raise task.retry(exc=exc, countdown=delay) from exc
            logger.exception("Storage still failing for stylization %s after %d retries", stylization_id, attempt)
            stylization.mark_failed(STORAGE_UNAVAILABLE)
            return stylization.status
        logger.exception("Stylization %s failed", stylization_id)
        stylization.mark_failed(INTERNAL_ERROR)
        raise
    logger.info("Stylization %s %s", stylization_id, stylization.status)
    return stylization.status


@shared_task(name=SWEEP_TASK)
def sweep_stylizations() -> dict[str, int]:
    """Periodic (Celery beat): no job stays stuck.

    - queued rows never dispatched (the broker was down at upload) or
      dispatched longer than ``STYLIZER_STUCK_AFTER`` seconds ago are sent again;
    - running rows whose worker stopped beating (:meth:`Stylization.abandoned`:
      it died) are queued again, or end ``failed`` once they used
      ``STYLIZER_MAX_ATTEMPTS`` attempts.

    Duplicate deliveries are harmless: :meth:`Stylization.claim` lets one run.
    Returns counts: ``{"dispatched", "requeued", "failed"}``.
    """
    now = timezone.now()
    stuck_after = timedelta(seconds=settings.STYLIZER_STUCK_AFTER)
    counts = {"dispatched": 0, "requeued": 0, "failed": 0}
    for stylization in Stylization.objects.filter(Stylization.abandoned(now)):
        still_abandoned = Stylization.objects.filter(Stylization.abandoned(now), pk=stylization.pk)
        if stylization.attempts >= settings.STYLIZER_MAX_ATTEMPTS:
            counts["failed"] += still_abandoned.update(
                status=Stylization.Status.FAILED, error_message=TOO_MANY_ATTEMPTS, finished=now
            )
        else:
            counts["requeued"] += still_abandoned.update(status=Stylization.Status.QUEUED, dispatched=None)
    waiting = Stylization.objects.filter(status=Stylization.Status.QUEUED).filter(
        # Never sent: wait 30 s for its own dispatch, unless it ran before (requeued above).
        Q(dispatched__isnull=True) & (Q(created__lt=now - timedelta(seconds=30)) | Q(started__isnull=False))
        | Q(dispatched__lt=now - stuck_after)
    )
    for stylization in waiting.only("pk"):
        try:
            stylization.enqueue()
        except Exception as exc:  # noqa: BLE001 - broker still down: the next sweep tries again
            logger.warning("Broker unreachable (%s); stylization %s stays queued", exc, stylization.pk)
            break
        counts["dispatched"] += 1
    if any(counts.values()):
        logger.info("Sweep: %s", counts)
    return counts
