"""New stylizations: the upload form, restyling a stored photo, and uploading a style."""

from __future__ import annotations

import logging
import uuid
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..files import delete_files_now
from ..forms import StyleUploadForm, StylizationForm
from ..messages import client_messages
from ..models import STYLE_IMAGE_MAX_SIDE, Photo, Style, Stylization
from ..quotas import QuotaExceeded, check_quota, quota_problem
from ..storage import is_transient_storage_error
from ..submit import Recipe, submit_clip, submit_stylization, submit_upload
from .common import (
    get_own_stylization,
    wants_json,
)
from .preview import allows_webassembly, preview_config

logger = logging.getLogger(__name__)
STORAGE_DOWN = "We could not store your file just now. Nothing was saved; please try again."


def _tell_about_animations(request: HttpRequest, form) -> None:
    for name in ("photo", "style_image", "image"):
        upload = form.cleaned_data.get(name)
        if upload is not None and getattr(upload, "image_info", None) and upload.image_info.frames > 1:
            what = "photo" if name == "photo" else "style image"
            messages.info(
                request, f"Your {what} is animated ({upload.image_info.frames} frames); we used its first frame."
            )


def _quota_kinds(style_image) -> tuple[str, ...]:
    """What one upload adds: a stylization, and a style when it comes with a style image."""
    return ("stylization", "style") if style_image else ("stylization",)


def _submit(request: HttpRequest, form: StylizationForm, photo: Photo | None = None) -> Stylization | None:
    """Store and queue the stylization the valid ``form`` describes; None if refused or storage is down.

    A restyle of the stored ``photo``, or else of the form's uploaded photo.
    An uploaded style image becomes a private style of the user, in the same
    transaction; if anything fails, its files are deleted again. The quotas
    are checked in that transaction, before anything is stored.
    """
    data = form.cleaned_data
    new_style = None
    try:
        with transaction.atomic():
            user = cast(User, request.user)  # the views that submit are for signed-in users
            check_quota(user, _quota_kinds(data.get("style_image")))
            main_style = data.get("style")
            if data.get("style_image"):
                image = data["style_image"].image
                main_style = new_style = Style.objects.create_from_image(image, title="My style", owner=user)
            upload = data["photo"] if photo is None else None
            clip = photo.is_clip if photo is not None else data["photo"].clip_info is not None
            recipe = Recipe(
                styles=form.mix(cast(Style, main_style)),  # the form requires a style or a style image
                strength=data["strength"] / 100,
                colors=data["colors"] / 100,
                brush=data["brush"],
                max_side=data["clip_side"] if clip else data["max_side"],
            )
            if photo is not None or upload is None:
                return submit_stylization(user, cast(Photo, photo), recipe)
            if upload.clip_info is not None:
                return submit_clip(user, upload, upload.clip_info, recipe)
            return submit_upload(user, upload.image, upload.image_info, recipe)
    except QuotaExceeded as exc:
        form.add_error(None, str(exc))
        return None
    except Exception as exc:
        if new_style is not None:
            delete_files_now(*new_style.stored_files())
        if not is_transient_storage_error(exc):
            raise
        logger.warning("Upload not stored, storage unavailable: %s", exc)
        form.add_error(None, STORAGE_DOWN)
        return None


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The upload form for signed-in users; a short introduction for visitors."""
    if not request.user.is_authenticated:
        styles = Style.objects.public()[:12]
        return render(request, "gallery/welcome.html", {"styles": styles})
    return _new_stylization(request, "gallery/upload.html")


@login_required
@require_http_methods(["GET", "POST"])
def camera(request: HttpRequest) -> HttpResponse:
    """The upload form with the camera: its stream stylized live in the page, a snapshot taken as the photo."""
    return _new_stylization(request, "gallery/camera.html")


@allows_webassembly
def _new_stylization(request: HttpRequest, template: str) -> HttpResponse:
    initial = {"style": request.GET.get("style")} if request.GET.get("style") else None
    form = StylizationForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST":
        form.refuse(quota_problem(request.user, _quota_kinds(request.FILES.get("style_image"))))
    if request.method == "POST" and form.is_valid():
        stylization = _submit(request, form)
        if stylization:
            what = "clip" if stylization.photo.is_clip else "photo"
            messages.success(request, f"Your {what} is uploaded. This page shows the painting as soon as it is ready.")
            _tell_about_animations(request, form)
            if wants_json(request):
                return JsonResponse({"redirect": reverse("gallery:detail", args=[stylization.pk])}, status=201)
            return redirect("gallery:detail", stylization.pk)
    if request.method == "POST" and wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    limits = {
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "max_clip_bytes": settings.STYLIZER_CLIP_MAX_BYTES,
        "max_clip_seconds": settings.STYLIZER_CLIP_MAX_SECONDS,
        "clip_long_side": settings.STYLIZER_CLIP_MAX_LONG_SIDE,
        "clip_short_side": settings.STYLIZER_CLIP_MAX_SHORT_SIDE,
        "max_pixels": settings.STYLIZER_MAX_PIXELS,
        "min_side": settings.STYLIZER_MIN_SIDE,
        "style_side": STYLE_IMAGE_MAX_SIDE,
    }
    context = {"form": form, "client_messages": client_messages(), "preview": preview_config(form), **limits}
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@allows_webassembly
def restyle(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Stylize the same photo again with other styles or controls, without uploading it again."""
    source = get_own_stylization(request, pk)
    weights = list(source.weights.select_related("style"))
    initial = {
        "strength": source.strength_percent,
        "colors": source.colors_percent,
        "brush": source.brush,
        "clip_side" if source.photo.is_clip else "max_side": source.max_side,
    }
    for rank, weight in zip(("main", "second", "third"), weights, strict=False):
        initial["style" if rank == "main" else f"{rank}_style"] = weight.style_id
        initial[f"{rank}_weight"] = max(1, round(weight.weight * 100))
    if request.GET.get("style"):
        # Picked in the style gallery (the form checks it): that style alone, the other controls kept.
        initial["style"] = request.GET["style"]
        for rank in ("main", "second", "third"):
            initial.pop(f"{rank}_weight", None)
            initial.pop(f"{rank}_style", None)
    form = StylizationForm(
        request.POST or None,
        user=request.user,
        with_photo=False,
        photo_size=(source.photo.width, source.photo.height),
        clip=source.photo.is_clip,
        initial=initial,
    )
    if request.method == "POST":
        form.refuse(quota_problem(request.user))
    if request.method == "POST" and form.is_valid():
        stylization = _submit(request, form, source.photo)
        if stylization:
            messages.success(request, "Your restyle is queued.")
            return redirect("gallery:detail", stylization.pk)
    # A clip's live preview paints its middle frame (the stored "before" frame), the frame its recipe is measured on.
    photo_kind = "preview" if source.photo.is_clip else "photo"
    preview = preview_config(
        form, reverse("gallery:file", args=[source.pk, photo_kind]), photo_is_clip=source.photo.is_clip
    )
    return render(request, "gallery/restyle.html", {"form": form, "source": source, "preview": preview})


@login_required
@require_http_methods(["GET", "POST"])
def style_upload(request: HttpRequest) -> HttpResponse:
    form = StyleUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        form.refuse(quota_problem(request.user, ("style",)))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                check_quota(request.user, ("style",))
                style = Style.objects.create_from_image(
                    data["image"].image,
                    title=data["title"],
                    owner=request.user,
                    artist=data["artist"],
                    licence=data["licence"],
                    is_submitted=data["submit_public"],
                )
        except QuotaExceeded as exc:
            form.add_error(None, str(exc))
        except Exception as exc:
            if not is_transient_storage_error(exc):
                raise
            form.add_error(None, STORAGE_DOWN)
        else:
            note = " It appears publicly once staff approve it." if style.is_submitted else ""
            messages.success(request, f"Your style “{style.title}” is ready to use.{note}")
            _tell_about_animations(request, form)
            return redirect(f"{reverse('gallery:home')}?style={style.pk}")
    return render(request, "gallery/style_upload.html", {"form": form})
