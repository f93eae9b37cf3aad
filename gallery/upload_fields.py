"""Upload fields: photos, clips and style images, checked before anything is stored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from stylizer import clips
from stylizer.pipeline import ImageRejected, NotAnImage, fitted_size, load_image

from . import messages
from .models import STYLE_IMAGE_MAX_SIDE


def fitted_size_problem(size: tuple[int, int], max_side: int, *, image: str, result: str, advice: str) -> str | None:
    """Why an image is refused once fitted to ``max_side``, or None if both sides stay large enough.

    The fitted size is :func:`stylizer.pipeline.fitted_size` (long side at
    most ``max_side`` px, aspect ratio kept, never enlarged); each of its
    sides must be at least ``settings.STYLIZER_MIN_SIDE`` px, so a 20000 x 32
    px photo, 1024 x 2 px at 1024 px, is refused. ``static/picstylist/upload-checks.js``
    (``fittedSizeProblem``) says the same in the browser, from the same words
    (:data:`gallery.messages.FITTED_TOO_THIN`).

    Args:
        size: (width, height) of the upright image, px.
        max_side: the long side (px) it will be fitted to.
        image, result, advice: one of the kinds in :mod:`gallery.messages`
            (``PHOTO_TOO_THIN``...): what the image is ("photo"), what the
            fitted image is ("the result"), and what to do, with ``{limit}``
            for the longest aspect ratio allowed at ``max_side`` ("at most
            32:1 at 1024 px").

    Returns:
        The message, naming both sizes and the limit, or None.
    """
    min_side = settings.STYLIZER_MIN_SIDE
    width, height = fitted_size(size, max_side)
    if min(width, height) >= min_side:
        return None
    limit = messages.ASPECT_LIMIT.format(ratio=max_side // min_side, max_side=max_side)
    return messages.FITTED_TOO_THIN.format(
        image=image,
        result=result,
        width=size[0],
        height=size[1],
        max_side=max_side,
        fitted_width=width,
        fitted_height=height,
        min_side=min_side,
        advice=advice.format(limit=limit),
    )


def photo_size_problem(size: tuple[int, int], max_side: int, *, restyle: bool = False) -> str | None:
    """:func:`fitted_size_problem` for a photo stylized at ``max_side`` px (new, or a stored one restyled)."""
    kind = messages.RESTYLED_PHOTO_TOO_THIN if restyle else messages.PHOTO_TOO_THIN
    return fitted_size_problem(size, max_side, **kind)


class ImageUploadField(forms.FileField):
    """A file field that accepts only images PicStylist can decode.

    Checks, in order: the size in bytes (``settings.MAX_UPLOAD_BYTES``), the
    format and pixel count from the header (``settings.STYLIZER_MAX_PIXELS``),
    a full decode, then the upright size (at least ``settings.STYLIZER_MIN_SIDE``
    px on each side). ``cleaned_data`` holds the uploaded file with two
    attributes: ``image``, the decoded upright RGB Pillow image, and
    ``image_info``, its :class:`stylizer.pipeline.ImageInfo`.
    """

    # Django's FileField refuses an empty file itself; in the words the upload page uses too.
    default_error_messages = {"empty": messages.FILE_EMPTY}

    def clean(self, data: UploadedFile | None, initial: object = None) -> UploadedFile | None:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                messages.FILE_TOO_LARGE.format(
                    size=filesizeformat(upload.size), limit=filesizeformat(settings.MAX_UPLOAD_BYTES)
                )
            )
        try:
            self.load(upload)
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc)) from None
        finally:
            upload.seek(0)
        return upload

    def load(self, upload: Any) -> None:
        """Decode ``upload`` into ``upload.image`` and ``upload.image_info``; raises ImageRejected."""
        upload.seek(0)
        upload.image, upload.image_info = load_image(upload, settings.STYLIZER_MAX_PIXELS)
        width, height = upload.image.size
        if min(width, height) < settings.STYLIZER_MIN_SIDE:
            raise ImageRejected(
                messages.IMAGE_TOO_SMALL.format(width=width, height=height, min_side=settings.STYLIZER_MIN_SIDE)
            )


class PhotoOrClipField(ImageUploadField):
    """An :class:`ImageUploadField` that also takes clips: short videos and animated images.

    An animated GIF, WebP or PNG, or a file no image format recognises that
    FFmpeg opens as a video, is checked by :func:`stylizer.clips.probe_clip`
    against the clip limits (``settings.STYLIZER_CLIP_*``, bytes up to
    ``STYLIZER_CLIP_MAX_BYTES``) and gets ``clip_info``; a photo gets
    ``clip_info`` None and is checked as before.
    """

    def clean(self, data: UploadedFile | None, initial: object = None) -> UploadedFile | None:
        upload = forms.FileField.clean(self, data, initial)
        if not upload:
            return upload
        limit = max(settings.MAX_UPLOAD_BYTES, settings.STYLIZER_CLIP_MAX_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(
                messages.FILE_TOO_LARGE.format(size=filesizeformat(upload.size), limit=filesizeformat(limit))
            )
        upload.clip_info = upload.image = upload.image_info = None
        try:
            if clips.is_animation(upload):
                upload.clip_info = clips.probe_clip(upload, clips.limits_from_settings())
            else:
                if upload.size > settings.MAX_UPLOAD_BYTES:
                    return super().clean(data, initial)  # refused, in the photo's words
                try:
                    self.load(upload)
                except NotAnImage as not_an_image:
                    try:
                        upload.clip_info = clips.probe_clip(upload, clips.limits_from_settings())
                    except clips.NotAClip:
                        raise ImageRejected(f"{not_an_image} {clips.UPLOAD_CLIPS}") from None
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc)) from None
        finally:
            upload.seek(0)
        if upload.clip_info is not None and upload.size > settings.STYLIZER_CLIP_MAX_BYTES:
            raise forms.ValidationError(
                messages.FILE_TOO_LARGE.format(
                    size=filesizeformat(upload.size), limit=filesizeformat(settings.STYLIZER_CLIP_MAX_BYTES)
                )
            )
        return upload


class StyleImageField(ImageUploadField):
    """An :class:`ImageUploadField` for style images, which are stored fitted to
    :data:`gallery.models.STYLE_IMAGE_MAX_SIDE` px: the stored size must keep
    ``settings.STYLIZER_MIN_SIDE`` px on each side too."""

    def clean(self, data: UploadedFile | None, initial: object = None) -> UploadedFile | None:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        size = upload.image.size  # type: ignore[attr-defined]  # set by ImageUploadField.clean
        problem = fitted_size_problem(size, STYLE_IMAGE_MAX_SIDE, **messages.STYLE_IMAGE_TOO_THIN)
        if problem:
            raise forms.ValidationError(problem)
        return upload
