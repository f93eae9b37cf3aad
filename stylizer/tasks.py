"""Celery tasks: thin wrappers that reload a row and run the pipeline."""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings
from PIL import Image

from . import pipeline
from .runtime import EngineUnavailable, get_engine

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = (
    "Our file storage could not be reached, so this stylization did not run. "
    "Your photo is safe; please try again later."
)
INTERNAL_ERROR = "Something went wrong on our side while stylizing this photo. Please try again later."


@dataclass(frozen=True)
class RenderedImage:
    """A stylization result: JPEG bytes, thumbnail JPEG bytes, size (width, height) in px, seconds."""

    jpeg: bytes
    thumbnail: bytes
    size: tuple[int, int]
    seconds: float


def render(content_file, style_file, *, max_side: int, engine_name: str | None = None) -> RenderedImage:
    """Decode, fit, stylize and encode. Pure of Django's ORM.

    Args:
        content_file, style_file: binary file objects of the encoded images.
        max_side: long side of the result in px (the content is never upscaled).
        engine_name: ``onnx`` or ``tfhub``; default ``settings.STYLIZER_ENGINE``.

    Raises:
        pipeline.ImageRejected: a file cannot be decoded or is too large.
        EngineUnavailable: the engine's model cannot be loaded.
    """
    started = time.perf_counter()
    content = pipeline.load_image(content_file, settings.STYLIZER_MAX_PIXELS)[0]
    style = pipeline.load_image(style_file, settings.STYLIZER_MAX_PIXELS)[0]
    content = pipeline.fit_long_side(content, max_side)
    # The style goes to the network at 256 px; there is no use decoding more.
    style = pipeline.fit_long_side(style, 1024)
    output = get_engine(engine_name).stylize(pipeline.to_array(content), pipeline.to_array(style))
    result: Image.Image = pipeline.from_array(output)
    quality = settings.STYLIZER_JPEG_QUALITY
    return RenderedImage(
        jpeg=pipeline.encode_jpeg(result, quality),
        thumbnail=pipeline.make_thumbnail(result, settings.STYLIZER_THUMBNAIL_SIDE, quality),
        size=result.size,
        seconds=time.perf_counter() - started,
    )


@worker_process_init.connect
def _load_engine_in_child(**_: object) -> None:
    """Build the engine in each worker child right after the fork, not per task."""
    try:
        get_engine()
    except EngineUnavailable:
        logger.exception("The stylization engine could not be loaded; tasks will fail until it is provided.")


def enqueue_stylization(stylization_id) -> None:
    """Send the task for one stylization (called from ``transaction.on_commit``)."""
    stylize_stylization.delay(str(stylization_id))


def _read(field) -> bytes:
    """All bytes of a stored file, through Django's storage API (local disk or S3 alike)."""
    with field.open("rb") as handle:
        return handle.read()


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
        stylization = Stylization.objects.select_related("style").get(pk=stylization_id)
    except Stylization.DoesNotExist:
        logger.info("Stylization %s no longer exists; nothing to do.", stylization_id)
        return "missing"
    if stylization.is_finished:
        return stylization.status
    if stylization.style is None:
        stylization.mark_failed("The style of this stylization was deleted before it could run.")
        return stylization.status
    stylization.mark_running()
    try:
        content, style = _read(stylization.content_image), _read(stylization.style.image)
        rendered = render(
            io.BytesIO(content), io.BytesIO(style), max_side=stylization.max_side, engine_name=stylization.engine
        )
        stylization.mark_done(rendered.jpeg, rendered.size, rendered.thumbnail)
    except pipeline.ImageRejected as exc:
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
                raise self.retry(exc=exc, countdown=delay) from exc
            logger.exception("Storage still failing for stylization %s after %d retries", stylization_id, attempt)
            stylization.mark_failed(STORAGE_UNAVAILABLE)
            return stylization.status
        logger.exception("Stylization %s failed", stylization_id)
        stylization.mark_failed(INTERNAL_ERROR)
        raise
    logger.info("Stylization %s %s", stylization_id, stylization.status)
    return stylization.status
