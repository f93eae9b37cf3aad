"""Celery tasks: thin wrappers that reload a row and run the pipeline."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings
from django.utils import timezone
from PIL import Image

from . import pipeline
from .engines import UnsupportedControl
from .painting import Controls, paint
from .runtime import EngineUnavailable, get_engine, warm_up

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = (
    "Our file storage could not be reached, so this stylization did not run. "
    "Your photo is safe; please try again later."
)
TOO_MANY_ATTEMPTS = (
    "This photo stopped our stylizer several times, so we gave up on it. "
    "Try another photo, or save this one again in another format."
)
INTERNAL_ERROR = "Something went wrong on our side while stylizing this photo. Please try again later."


@dataclass(frozen=True)
class RenderedImage:
    """A stylization result: JPEG bytes, thumbnail JPEG bytes, size (width, height) in px, seconds."""

    jpeg: bytes
    thumbnail: bytes
    size: tuple[int, int]
    seconds: float


def encode_result(output: np.ndarray, started: float) -> RenderedImage:
    result: Image.Image = pipeline.from_array(output)
    quality = settings.STYLIZER_JPEG_QUALITY
    return RenderedImage(
        jpeg=pipeline.encode_jpeg(result, quality),
        thumbnail=pipeline.make_thumbnail(result, settings.STYLIZER_THUMBNAIL_SIDE, quality),
        size=result.size,
        seconds=time.perf_counter() - started,
    )


def paint_photo(
    engine,
    content: np.ndarray,
    controls: Controls,
    weights: Sequence[float],
    style_bottleneck: Callable[[int], np.ndarray],
    style_image: Callable[[], np.ndarray],
    content_bottleneck: Callable[[], np.ndarray],
) -> np.ndarray:
    """Paint ``content`` (uint8 H x W x 3) with a mix of styles; the site and ``manage.py stylize`` both come here.

    ``style_bottleneck(i)`` gives the i-th style's bottleneck, ``style_image()``
    the first style's uint8 image (for engines without a bottleneck) and
    ``content_bottleneck()`` the photo's own bottleneck (for strength below
    1); each is called only when the engine needs it, so cached values cost
    nothing. Returns uint8 H x W x 3 (:func:`stylizer.painting.paint`).

    Raises:
        UnsupportedControl: the engine cannot offer the requested controls.
    """
    if not engine.supports_bottleneck:
        return paint(engine, content, controls, weights=weights, style_image=style_image())
    return paint(
        engine,
        content,
        controls,
        style_bottlenecks=[style_bottleneck(index) for index in range(len(weights))],
        weights=weights,
        content_bottleneck=content_bottleneck() if 0.0 < controls.strength < 1.0 else None,
    )


def render(
    content_file,
    style_files: Sequence,
    *,
    max_side: int,
    weights: Sequence[float] | None = None,
    controls: Controls | None = None,
    engine_name: str | None = None,
) -> tuple[np.ndarray, float]:
    """Decode, fit and paint one photo with a mix of style images. Pure of Django's ORM.

    Args:
        content_file: binary file object of the encoded photo.
        style_files: 1-3 binary file objects of the encoded style images.
        max_side: long side of the result in px (the content is never upscaled).
        weights: one per style (default: equal); normalised to sum to 1.
        controls: strength, colours and brush.
        engine_name: ``onnx`` or ``tfhub``; default ``settings.STYLIZER_ENGINE``.

    Returns:
        The result (uint8 H x W x 3) and the seconds taken.

    Raises:
        pipeline.ImageRejected: a file cannot be decoded or is too large.
        EngineUnavailable: the engine's model cannot be loaded.
        UnsupportedControl: the engine cannot offer the requested controls.
    """
    started = time.perf_counter()
    engine = _engine_for(engine_name, max_side)
    content = pipeline.to_array(_content_image(content_file, max_side))
    output = paint_photo(
        engine,
        content,
        controls or Controls(),
        weights or [1.0] * len(style_files),
        style_bottleneck=lambda index: engine.style_bottleneck(_style_array(style_files[index])),
        style_image=lambda: _style_array(style_files[0]),
        content_bottleneck=lambda: engine.style_bottleneck(content),
    )
    return output, time.perf_counter() - started


#: Results with a long side over this (px) first release the networks' buffers,
#: so a worker never holds them and a large decoded photo at once.
RELEASE_MEMORY_ABOVE_SIDE = 2048


def _engine_for(name: str | None, max_side: int):
    """This process's engine, its buffers released first for a print-size result."""
    engine = get_engine(name)
    if max_side > RELEASE_MEMORY_ABOVE_SIDE:
        engine.release_memory()
    return engine


def _content_image(content_file, max_side: int) -> Image.Image:
    """The decoded, upright RGB content image, downscaled to ``max_side`` px on its long side."""
    image = pipeline.load_image(content_file, settings.STYLIZER_MAX_PIXELS, max_side=max_side)[0]
    return pipeline.fit_long_side(image, max_side)


def _style_array(style_file) -> np.ndarray:
    # The style goes to the network at 256 px; there is no use keeping more.
    image = pipeline.load_image(style_file, settings.STYLIZER_MAX_PIXELS, max_side=1024)[0]
    return pipeline.to_array(pipeline.fit_long_side(image, 1024))


@worker_process_init.connect
def _load_engine_in_child(**_: object) -> None:
    """Build the engine in each worker child right after the fork, not per task, and warm it up."""
    try:
        engine = get_engine()
    except EngineUnavailable:
        logger.exception("The stylization engine could not be loaded; tasks will fail until it is provided.")
        _say_ready()
        return
    if settings.STYLIZER_WARMUP_SIDE > 0:
        seconds = warm_up(engine, settings.STYLIZER_WARMUP_SIDE)
        logger.info("Engine %s warmed up at %d px in %.2f s", engine.name, settings.STYLIZER_WARMUP_SIDE, seconds)
    _say_ready()


def _say_ready() -> None:
    """Touch ``settings.STYLIZER_READY_FILE`` (if set): this child takes jobs now."""
    if settings.STYLIZER_READY_FILE:
        Path(settings.STYLIZER_READY_FILE).touch()


def enqueue_stylization(stylization_id) -> None:
    """Send the task for one stylization (called from ``transaction.on_commit``) and note when.

    If the broker cannot be reached this raises; the row stays ``queued``
    with no dispatch time, and the periodic sweep sends it later.
    """
    from gallery.models import Stylization

    stylize_stylization.apply_async(
        args=[str(stylization_id)],
        # The limits travel in the message, read from settings when it is sent.
        soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        time_limit=settings.CELERY_TASK_TIME_LIMIT,
    )
    Stylization.objects.filter(pk=stylization_id).update(dispatched=timezone.now())


def _read(field) -> bytes:
    """All bytes of a stored file, through Django's storage API (local disk or S3 alike)."""
    with field.open("rb") as handle:
        return handle.read()


def _style_bottleneck(engine, style) -> np.ndarray:
    """The style's bottleneck, computed once and stored on the row."""
    if style.bottleneck is None:
        bottleneck = engine.style_bottleneck(_style_array(io.BytesIO(_read(style.image))))
        style.bottleneck = [float(x) for x in bottleneck]
        type(style).objects.filter(pk=style.pk).update(bottleneck=style.bottleneck)
    return np.asarray(style.bottleneck, dtype=np.float32)


def _photo_bottleneck(engine, photo, content: np.ndarray) -> np.ndarray:
    """The photo's own bottleneck (for strength < 1), computed once and stored on the row."""
    if photo.bottleneck is None:
        photo.bottleneck = [float(x) for x in engine.style_bottleneck(content)]
        type(photo).objects.filter(pk=photo.pk).update(bottleneck=photo.bottleneck)
    return np.asarray(photo.bottleneck, dtype=np.float32)


def run_stylization(stylization) -> tuple[RenderedImage, bytes]:
    """Render a stylization row's photo with its styles and controls.

    Returns the rendered result and the preview JPEG (the photo re-encoded at
    the result's size, without metadata). Style and photo bottlenecks are
    computed once and stored, so a restyle costs only the transfer network.

    Raises:
        pipeline.ImageRejected, EngineUnavailable, FileNotFoundError, storage errors.
        UnsupportedControl: the engine cannot offer the requested controls.
    """
    started = time.perf_counter()
    weights = list(stylization.weights.select_related("style"))
    engine = _engine_for(stylization.engine, stylization.max_side)
    content_image = _content_image(io.BytesIO(_read(stylization.photo.image)), stylization.max_side)
    content = pipeline.to_array(content_image)
    preview = pipeline.encode_jpeg(content_image, settings.STYLIZER_JPEG_QUALITY)
    del content_image  # a 4096 px photo is held once, as the array, while it is painted
    controls = Controls(strength=stylization.strength, colors=stylization.colors, brush=stylization.brush)
    output = paint_photo(
        engine,
        content,
        controls,
        [weight.weight for weight in weights],
        style_bottleneck=lambda index: _style_bottleneck(engine, weights[index].style),
        style_image=lambda: _style_array(io.BytesIO(_read(weights[0].style.image))),
        content_bottleneck=lambda: _photo_bottleneck(engine, stylization.photo, content),
    )
    return encode_result(output, started), preview


@contextmanager
def heartbeat(stylization_id, task_id: str) -> Iterator[None]:
    """While the block runs, a thread marks the running row alive every ``STYLIZER_HEARTBEAT_TIMEOUT / 6`` s.

    Only while the row is still running under ``task_id``; the thread closes
    its own database connection when the block ends. A worker that dies
    stops beating, and :func:`sweep_stylizations` queues its job again.
    """
    from django.db import connection

    from gallery.models import Stylization

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
    name="stylizer.stylize_stylization",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # counted against settings.STYLIZER_STORAGE_RETRIES below
)
def stylize_stylization(self, stylization_id: str) -> str:
    """Run the stylization ``stylization_id`` and store its result.

    Returns the row's final status. A bad input ends ``failed`` with a
    readable message and is not retried. A transient storage error
    (timeout, 5xx, throttling) is retried with exponential backoff up to
    ``settings.STYLIZER_STORAGE_RETRIES`` times, then ends ``failed``; the
    uploaded photo is never deleted.
    """
    from gallery.models import Stylization
    from gallery.storage import is_transient_storage_error

    try:
        stylization = Stylization.objects.select_related("photo").get(pk=stylization_id)
    except Stylization.DoesNotExist:
        logger.info("Stylization %s no longer exists; nothing to do.", stylization_id)
        return "missing"
    if not stylization.claim(self.request.id or ""):
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
            rendered, preview = run_stylization(stylization)
            stylization.mark_done(rendered.jpeg, rendered.size, rendered.thumbnail, preview)
    except (pipeline.ImageRejected, UnsupportedControl) as exc:
        stylization.mark_failed(str(exc))
    except SoftTimeLimitExceeded:
        stylization.mark_failed("This stylization took too long and was stopped. Try a smaller output size.")
    except EngineUnavailable:
        logger.exception("Engine unavailable for stylization %s", stylization_id)
        stylization.mark_failed("The stylization engine is unavailable right now. Please try again later.")
    except FileNotFoundError:
        logger.exception("A file of stylization %s is missing", stylization_id)
        stylization.mark_failed("The photo or style file of this stylization is missing.")
    except Exception as exc:
        if is_transient_storage_error(exc):
            attempt = self.request.retries
            if attempt < settings.STYLIZER_STORAGE_RETRIES:
                delay = settings.STYLIZER_STORAGE_RETRY_DELAY * 2**attempt
                logger.warning(
                    "Storage error on stylization %s (%s); retry %d in %.1f s", stylization_id, exc, attempt + 1, delay
                )
                stylization.release_for_retry()
                raise self.retry(exc=exc, countdown=delay) from exc
            logger.exception("Storage still failing for stylization %s after %d retries", stylization_id, attempt)
            stylization.mark_failed(STORAGE_UNAVAILABLE)
            return stylization.status
        logger.exception("Stylization %s failed", stylization_id)
        stylization.mark_failed(INTERNAL_ERROR)
        raise
    logger.info("Stylization %s %s", stylization_id, stylization.status)
    return stylization.status


@shared_task(name="stylizer.sweep_stylizations")
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
    from django.db.models import Q

    from gallery.models import Stylization

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
    for pk in waiting.values_list("pk", flat=True):
        try:
            enqueue_stylization(pk)
        except Exception as exc:  # noqa: BLE001 - broker still down: the next sweep tries again
            logger.warning("Broker unreachable (%s); stylization %s stays queued", exc, pk)
            break
        counts["dispatched"] += 1
    if any(counts.values()):
        logger.info("Sweep: %s", counts)
    return counts
