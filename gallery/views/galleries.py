"""The galleries: one's own, the public one, a user's public page, and the style gallery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..models import Style, StyleWeight, Stylization
from .common import RESULTS_PER_STYLE, STYLE_PAGE_SIZE, page

#: Cards name every style of a mix (Stylization.style_names_for): one query per page for all of them.
MIX = Prefetch("weights", queryset=StyleWeight.objects.select_related("style"))


@login_required
@require_GET
def my_gallery(request: HttpRequest) -> HttpResponse:
    stylizations = Stylization.objects.owned_by(request.user).select_related("style").prefetch_related(MIX)
    status = request.GET.get("status", "")
    if status in Stylization.Status.values:
        stylizations = stylizations.filter(status=status)
    context = {
        "page": page(request, stylizations),
        "status": status,
        "statuses": Stylization.Status.choices,
        "late_after_seconds": settings.STYLIZATION_LATE_AFTER_SECONDS,
    }
    return render(request, "gallery/my_gallery.html", context)


@require_GET
def public_gallery(request: HttpRequest) -> HttpResponse:
    sort = "liked" if request.GET.get("sort") == "liked" else "newest"
    order = ["-like_count", "-created"] if sort == "liked" else ["-created"]
    stylizations = Stylization.objects.public().select_related("style", "owner").prefetch_related(MIX).order_by(*order)
    return render(request, "gallery/public_gallery.html", {"page": page(request, stylizations), "sort": sort})


@require_GET
def user_gallery(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    stylizations = (
        Stylization.objects.public().filter(owner=person).select_related("style", "owner").prefetch_related(MIX)
    )
    return render(request, "gallery/user_gallery.html", {"person": person, "page": page(request, stylizations)})


@require_GET
def style_gallery(request: HttpRequest) -> HttpResponse:
    """Every public style, with a few public results made with it."""
    recent = Stylization.objects.public().order_by("-created")[:RESULTS_PER_STYLE]
    styles = Style.objects.public().prefetch_related(Prefetch("stylizations", queryset=recent, to_attr="examples"))
    mine = Style.objects.filter(owner=request.user, is_public=False) if request.user.is_authenticated else None
    restyling = None  # ?restyle=<id of one's own stylization>: "use this style" restyles that photo
    try:
        restyle_pk = uuid.UUID(request.GET.get("restyle", ""))
    except ValueError:
        pass
    else:
        restyling = Stylization.objects.owned_by(request.user).filter(pk=restyle_pk).first()
    context = {"page": page(request, styles, STYLE_PAGE_SIZE), "mine": mine, "restyling": restyling}
    return render(request, "gallery/style_gallery.html", context)
