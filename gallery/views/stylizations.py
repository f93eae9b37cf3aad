"""One stylization: its page, visibility, deletion, likes, live status, guarded files and reports."""

from __future__ import annotations

import uuid
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..estimates import queue_estimates
from ..forms import ReportForm
from ..models import Report, Style, StyleWeight, Stylization
from .common import (
    file_response,
    get_own_stylization,
    get_stylization_for_user,
)

#: File kinds of a stylization; the original photo is for its owner (and staff) only.
FILE_KINDS = {
    "photo": "photo.image",
    "preview": "preview_image",
    "result": "result_image",
    "thumbnail": "thumbnail",
    "animation": "animation",
    "poster": "poster",
}


@require_GET
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    stylization = get_stylization_for_user(request, pk)
    weights = StyleWeight.objects.filter(stylization=stylization).select_related("style")
    context = {
        "stylization": stylization,
        "weights": weights,
        "is_owner": request.user == stylization.owner,
        "liked": request.user.is_authenticated and stylization.likes.filter(user=request.user).exists(),
        "late_after_seconds": settings.STYLIZATION_LATE_AFTER_SECONDS,
    }
    return render(request, "gallery/detail.html", context)


@login_required
@require_POST
def set_visibility(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    stylization = get_own_stylization(request, pk)
    public = request.POST.get("public") == "1"
    if public and stylization.status != Stylization.Status.DONE:
        messages.error(request, "Only a finished stylization can be made public.")
    else:
        try:
            stylization.set_public(public)
        except Stylization.DoesNotExist:
            raise Http404("This stylization was deleted.") from None
        messages.success(request, "It is now public." if public else "It is now private.")
    return redirect("gallery:detail", stylization.pk)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """GET asks to confirm; POST deletes the stylization (and its photo, if no other uses it)."""
    stylization = get_own_stylization(request, pk)
    if request.method == "GET":
        others = stylization.photo.stylizations.exclude(pk=stylization.pk).exists()
        return render(request, "gallery/delete.html", {"stylization": stylization, "photo_kept": others})
    stylization.delete()
    messages.success(request, "The stylization was deleted.")
    return redirect("gallery:mine")


@login_required
@require_POST
def cancel(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The owner stops a queued or running stylization (a clip stops within a second or so)."""
    stylization = get_own_stylization(request, pk)
    if stylization.cancel():
        what = "clip" if stylization.photo.is_clip else "stylization"
        messages.success(request, f"Your {what} is being stopped." if stylization.status == "running" else "Cancelled.")
    else:
        messages.info(request, "It had already finished.")
    return redirect("gallery:detail", stylization.pk)


@login_required
@require_POST
def like(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    stylization = get_object_or_404(Stylization.objects.public(), pk=pk)
    if not stylization.like(request.user):
        messages.info(request, "You already like this one.")
    return redirect("gallery:detail", stylization.pk)


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Status of the ``?id=`` stylizations the user owns, for live updates.

    Answers ``{"stylizations": {id: {"status", "status_label", "error",
    "result", "preview", "thumbnail", "seconds", "kind", "frames_done",
    "frames_total", "cancelling", "position", "eta_seconds"}}}``: file URLs
    once done (a clip's "result" is its poster frame), the worker's time in
    s, a clip's frames painted of its total, and for a queued or running row
    its place in its queue and the estimated seconds until done
    (:func:`gallery.estimates.queue_estimates`). Ids of others, or malformed
    ones, are left out.
    """
    ids = []
    for value in request.GET.getlist("id")[:100]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    rows = list(Stylization.objects.owned_by(request.user).filter(pk__in=ids).select_related("photo"))
    estimates = queue_estimates(rows)
    payload = {}
    for row in rows:
        done = row.status == Stylization.Status.DONE

        def url(kind: str, row: Stylization = row, done: bool = done) -> str | None:
            return reverse("gallery:file", args=[row.pk, kind]) if done else None

        clip = row.photo.is_clip
        payload[str(row.pk)] = {
            "status": row.status,
            "status_label": row.get_status_display(),
            "error": row.error_message,
            # A clip's image slots show its poster frame; the page reloads to play it.
            "result": url("poster") if clip else url("result"),
            "preview": url("preview") if row.preview_image else None,
            "thumbnail": url("thumbnail"),
            "seconds": row.seconds_processing,
            "kind": row.photo.kind,
            "frames_done": row.frames_done if clip else None,
            "frames_total": (row.frames_total or row.photo.frame_count) if clip else None,
            "cancelling": row.cancel_requested and row.status == Stylization.Status.RUNNING,
            **estimates[row.pk],
        }
    return JsonResponse({"stylizations": payload}, headers={"Cache-Control": "no-store"})


@require_GET
def stylization_file(request: HttpRequest, pk: uuid.UUID, kind: str) -> HttpResponseBase:
    """A file of a stylization the user may see; ``?download`` saves it. The original photo is owner-only."""
    if kind not in FILE_KINDS:
        raise Http404("No such file.")
    if kind == "photo":
        stylization = get_object_or_404(
            Stylization.objects.owned_by(request.user) if not request.user.is_staff else Stylization.objects,
            pk=pk,
        )
        field = stylization.photo.image
    else:
        stylization = get_stylization_for_user(request, pk)
        field = getattr(stylization, FILE_KINDS[kind])
    download_name = None
    if "download" in request.GET and field:
        extension = field.name.rsplit(".", 1)[-1]
        download_name = f"picstylist-{kind}-{str(stylization.pk)[:8]}.{extension}"
    return file_response(field, download_name=download_name)


@require_GET
def style_file(request: HttpRequest, pk: uuid.UUID, kind: str) -> HttpResponseBase:
    """A style's image or thumbnail: public styles for everyone, private ones for their owner (and staff)."""
    if kind not in {"image", "thumbnail"}:
        raise Http404("No such file.")
    style = get_object_or_404(Style.objects.visible_to(request.user), pk=pk)
    return file_response(getattr(style, kind) or style.image)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, kind: str, pk: uuid.UUID) -> HttpResponse:
    """Report a public stylization or style to staff, with a reason."""
    if kind == "stylization":
        item = get_object_or_404(Stylization.objects.public(), pk=pk)
    elif kind == "style":
        item = get_object_or_404(Style.objects.public(), pk=pk)
    else:
        raise Http404("No such kind of item.")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Report.objects.create(reporter=cast(User, request.user), reason=form.cleaned_data["reason"], **{kind: item})
        messages.success(request, "Thank you. Staff will look at your report.")
        return redirect("gallery:detail", item.pk) if kind == "stylization" else redirect("gallery:styles")
    return render(request, "gallery/report.html", {"form": form, "item": item, "kind": kind})
