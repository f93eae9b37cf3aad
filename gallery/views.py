"""Pages: home/upload, my gallery, detail, live status and guarded file views."""

from __future__ import annotations

import logging
import mimetypes
import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from .forms import SignUpForm, StylizationForm
from .models import Style, Stylization, submit_stylization
from .storage import SpacesStorage, is_transient_storage_error

logger = logging.getLogger(__name__)
PAGE_SIZE = 24
FILE_KINDS = {"photo": "content_image", "result": "result_image", "thumbnail": "thumbnail"}


def _get_stylization_for_user(request: HttpRequest, pk: uuid.UUID) -> Stylization:
    """The stylization ``pk`` if ``request.user`` may see it, else 404 (never 403: no leak)."""
    return get_object_or_404(Stylization.objects.visible_to(request.user).select_related("style", "owner"), pk=pk)


def _file_response(field, *, download_name: str | None = None) -> HttpResponse:
    """Serve a stored file, after the caller's permission check.

    Object storage: a redirect to the object's URL (a presigned URL that
    expires for private objects, the CDN for public ones). Local storage: the
    file streamed by Django.
    """
    if not field:
        raise Http404("No such file.")
    if isinstance(field.storage, SpacesStorage):
        parameters = {}
        if download_name:
            parameters["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        response = HttpResponseRedirect(field.storage.url(field.name, parameters=parameters))
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404("This file is missing.") from None
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=download_name is not None,
        filename=download_name or "",
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("gallery:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Upload a photo to get started.")
        return redirect("gallery:home")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The upload form for signed-in users; a short introduction for visitors."""
    if not request.user.is_authenticated:
        styles = Style.objects.public()[:12]
        return render(request, "gallery/welcome.html", {"styles": styles})
    form = StylizationForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        style_upload = data.get("style_image")
        try:
            stylization = submit_stylization(
                owner=request.user,
                photo=data["photo"],
                photo_info=data["photo"].image_info,
                style=data.get("style"),
                style_image=style_upload.image if style_upload else None,
            )
        except Exception as exc:
            if not is_transient_storage_error(exc):
                raise
            logger.warning("Upload not stored, storage unavailable: %s", exc)
            form.add_error(None, "We could not store your photo just now. Nothing was saved; please try again.")
        else:
            messages.success(request, "Your photo is queued for stylization.")
            return redirect(stylization_url(stylization))
    return render(request, "gallery/upload.html", {"form": form})


def stylization_url(stylization: Stylization) -> str:
    return reverse("gallery:detail", args=[stylization.pk])


@login_required
@require_GET
def my_gallery(request: HttpRequest) -> HttpResponse:
    stylizations = Stylization.objects.filter(owner=request.user).select_related("style")
    page = Paginator(stylizations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "gallery/my_gallery.html", {"page": page})


@require_GET
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    stylization = _get_stylization_for_user(request, pk)
    return render(request, "gallery/detail.html", {"stylization": stylization})


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Status of the ``?id=`` stylizations the user may see, for live updates.

    Answers ``{"stylizations": {id: {"status", "error", "result", "thumbnail", "seconds"}}}``;
    ids the user may not see, or malformed ones, are left out.
    """
    ids = []
    for value in request.GET.getlist("id")[:100]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    rows = Stylization.objects.visible_to(request.user).filter(pk__in=ids)
    payload = {}
    for row in rows:
        done = row.status == Stylization.Status.DONE
        payload[str(row.pk)] = {
            "status": row.status,
            "status_label": row.get_status_display(),
            "error": row.error_message,
            "result": reverse("gallery:file", args=[row.pk, "result"]) if done else None,
            "thumbnail": reverse("gallery:file", args=[row.pk, "thumbnail"]) if done else None,
            "seconds": row.seconds_processing,
        }
    return JsonResponse({"stylizations": payload}, headers={"Cache-Control": "no-store"})


@require_GET
def stylization_file(request: HttpRequest, pk: uuid.UUID, kind: str) -> HttpResponse:
    """The photo, result or thumbnail of a stylization the user may see; ``?download`` saves it."""
    if kind not in FILE_KINDS:
        raise Http404("No such file.")
    stylization = _get_stylization_for_user(request, pk)
    field = getattr(stylization, FILE_KINDS[kind])
    download_name = None
    if "download" in request.GET and field:
        extension = field.name.rsplit(".", 1)[-1]
        download_name = f"picstylist-{kind}-{str(stylization.pk)[:8]}.{extension}"
    return _file_response(field, download_name=download_name)


@require_GET
def style_file(request: HttpRequest, pk: uuid.UUID, kind: str) -> HttpResponse:
    """A style's image or thumbnail: public styles for everyone, private ones for their owner (and staff)."""
    if kind not in {"image", "thumbnail"}:
        raise Http404("No such file.")
    style = get_object_or_404(Style.objects.visible_to(request.user), pk=pk)
    return _file_response(getattr(style, kind) or style.image)
