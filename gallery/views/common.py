"""Helpers shared by the gallery's views: pages of a list, rows the user may see, file responses."""

from __future__ import annotations

import mimetypes
import uuid

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from ..models import Stylization
from ..storage import SpacesStorage

PAGE_SIZE = 24
STYLE_PAGE_SIZE = 12
RESULTS_PER_STYLE = 3


def page(request: HttpRequest, queryset: QuerySet, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def get_stylization_for_user(request: HttpRequest, pk: uuid.UUID) -> Stylization:
    """The stylization ``pk`` if ``request.user`` may see it, else 404 (never 403: no leak)."""
    return get_object_or_404(
        Stylization.objects.visible_to(request.user).select_related("style", "owner", "photo"), pk=pk
    )


def get_own_stylization(request: HttpRequest, pk: uuid.UUID) -> Stylization:
    """The stylization ``pk`` if ``request.user`` owns it, else 404."""
    return get_object_or_404(
        Stylization.objects.owned_by(request.user).select_related("style", "owner", "photo"), pk=pk
    )


def file_response(field: FieldFile, *, download_name: str | None = None) -> HttpResponseBase:
    """Serve a stored file, after the caller's permission check.

    Object storage: a redirect to the object's URL (a presigned URL that
    expires for private objects, the CDN for public ones). Local storage: the
    file streamed by Django.
    """
    if not field or not field.name:
        raise Http404("No such file.")
    if isinstance(field.storage, SpacesStorage):
        parameters = {}
        if download_name:
            parameters["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        redirect = HttpResponseRedirect(field.storage.url(field.name, parameters=parameters))
        redirect["Cache-Control"] = "private, no-store"
        return redirect
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


def wants_json(request: HttpRequest) -> bool:
    """The upload page's script sends the form itself (for its progress bar) and asks for JSON."""
    return request.headers.get("Accept", "").startswith("application/json")
