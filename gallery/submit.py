"""Submitting a stylization: store the upload and the rows in one transaction, then queue it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image

from stylizer.clips import VIDEO, ClipInfo
from stylizer.painting import DEFAULT_BRUSH
from stylizer.pipeline import ImageInfo, encode_original

from .files import delete_files_now
from .models import MAX_STYLES_PER_MIX, Photo, Style, StyleWeight, Stylization


@dataclass(frozen=True)
class Recipe:
    """What a stylization is made with.

    ``styles``: 1-3 (style, weight) pairs, weights > 0 in any scale
    (normalised to sum to 1 when stored); ``strength`` and ``colors`` 0-1;
    ``brush`` a name of :data:`stylizer.painting.BRUSH_SIDES`; ``max_side``
    the result's long side in px (default ``STYLIZER_MAX_SIDE``); ``engine``
    default ``STYLIZER_ENGINE``.
    """

    styles: list[tuple[Style, float]]
    strength: float = 1.0
    colors: float = 1.0
    brush: str = DEFAULT_BRUSH
    max_side: int | None = None
    engine: str | None = None


def submit_stylization(owner: User, photo: Photo, recipe: Recipe) -> Stylization:
    """Store a stylization of a stored ``photo`` and queue it after the commit.

    The rows are written in one transaction. If the broker cannot be reached
    after the commit, the row stays ``queued`` and the sweep sends it later.

    Raises:
        ValueError: not 1-3 styles, or weights that add up to 0 or less.
    """
    styles = recipe.styles
    if not 1 <= len(styles) <= MAX_STYLES_PER_MIX:
        raise ValueError(f"A stylization takes 1 to {MAX_STYLES_PER_MIX} styles, got {len(styles)}")
    total = sum(weight for _, weight in styles)
    if total <= 0:
        raise ValueError("Style weights must add up to more than 0")
    with transaction.atomic():
        stylization = Stylization.objects.create(
            owner=owner,
            photo=photo,
            style=max(styles, key=lambda pair: pair[1])[0],
            strength=recipe.strength,
            colors=recipe.colors,
            brush=recipe.brush,
            max_side=recipe.max_side or settings.STYLIZER_MAX_SIDE,
            engine=recipe.engine or settings.STYLIZER_ENGINE,
        )
        StyleWeight.objects.bulk_create(
            StyleWeight(stylization=stylization, style=style, weight=weight / total) for style, weight in styles
        )
        transaction.on_commit(stylization.enqueue, robust=True)
    return stylization


def submit_upload(owner: User, image: Image.Image, info: ImageInfo, recipe: Recipe) -> Stylization:
    """Store an uploaded photo and its stylization in one transaction, and queue it after the commit.

    ``image`` is the decoded upright RGB photo of an upload checked by
    :class:`gallery.forms.ImageUploadField`, ``info`` its
    :class:`stylizer.pipeline.ImageInfo`; the photo is stored re-encoded from
    its pixels (:func:`stylizer.pipeline.encode_original`), with no metadata.
    If anything fails, the photo file just written is deleted again.

    Raises:
        ValueError: as :func:`submit_stylization`; storage errors as they come.
    """
    photo = Photo(owner=owner, width=info.width, height=info.height)
    data, extension = encode_original(image, info.format)
    return _store_and_submit(owner, photo, f"photo.{extension}", ContentFile(data), recipe)


def _store_and_submit(owner: User, photo: Photo, name: str, content: File, recipe: Recipe) -> Stylization:
    """Store ``content`` as the new ``photo``'s file, the row and its stylization in one transaction;
    if anything fails, the file just written is deleted again."""
    try:
        with transaction.atomic():
            photo.image.save(name, content, save=False)
            photo.stored_bytes = photo.image.size
            photo.save(force_insert=True)
            return submit_stylization(owner, photo, recipe)
    except BaseException:
        delete_files_now(photo.image)
        raise


def submit_clip(owner: User, upload: UploadedFile, info: ClipInfo, recipe: Recipe) -> Stylization:
    """Store an uploaded clip as it came and its stylization in one transaction; queue it after the commit.

    ``upload`` was checked by :class:`gallery.forms.PhotoOrClipField`, ``info``
    is its :class:`stylizer.clips.ClipInfo`; the file is stored unchanged
    (decoding and re-encoding happen in the worker, on the clip queue) under
    a random key with the extension of its container. If anything fails,
    the file just written is deleted again.

    Raises:
        ValueError: as :func:`submit_stylization`; storage errors as they come.
    """
    photo = Photo(
        owner=owner,
        kind=Photo.Kind.VIDEO if info.kind == VIDEO else Photo.Kind.ANIMATION,
        width=info.width,
        height=info.height,
        seconds=info.seconds,
        frame_count=info.frames,
        has_audio=info.has_audio,
    )
    upload.seek(0)
    return _store_and_submit(owner, photo, f"clip.{info.extension}", File(upload), recipe)
