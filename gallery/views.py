"""Pages: upload and restyle, the galleries, detail, live status, and guarded file views."""

from __future__ import annotations

import logging
import mimetypes
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from .estimates import queue_estimates
from .forms import ReportForm, SignUpForm, StyleUploadForm, StylizationForm, ThrottledPasswordResetForm
from .messages import client_messages
from .models import STYLE_IMAGE_MAX_SIDE, Report, Style, StyleWeight, Stylization, submit_stylization
from .quotas import QuotaExceeded, check_quota, quota_problem
from .storage import SpacesStorage, is_transient_storage_error

logger = logging.getLogger(__name__)
PAGE_SIZE = 24
STYLE_PAGE_SIZE = 12
RESULTS_PER_STYLE = 3
#: File kinds of a stylization; the original photo is for its owner (and staff) only.
FILE_KINDS = {"photo": "photo.image", "preview": "preview_image", "result": "result_image", "thumbnail": "thumbnail"}
STORAGE_DOWN = "We could not store your file just now. Nothing was saved; please try again."


def _page(request: HttpRequest, queryset: QuerySet, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _get_stylization_for_user(request: HttpRequest, pk: uuid.UUID) -> Stylization:
    """The stylization ``pk`` if ``request.user`` may see it, else 404 (never 403: no leak)."""
    return get_object_or_404(
        Stylization.objects.visible_to(request.user).select_related("style", "owner", "photo"), pk=pk
    )


def _get_own_stylization(request: HttpRequest, pk: uuid.UUID) -> Stylization:
    """The stylization ``pk`` if ``request.user`` owns it, else 404."""
    return get_object_or_404(
        Stylization.objects.owned_by(request.user).select_related("style", "owner", "photo"), pk=pk
    )


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


@ratelimit(key="ip", rate=lambda group, request: settings.SIGNUP_RATE, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("gallery:home")
    form = SignUpForm(request.POST or None)
    if getattr(request, "limited", False):
        form.add_error(None, "Too many accounts were created from your network recently. Please try again later.")
    elif request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Upload a photo to get started.")
        return redirect("gallery:home")
    return render(request, "registration/signup.html", {"form": form})


@method_decorator(
    ratelimit(
        group="password_reset",
        key="ip",
        rate=lambda group, request: settings.PASSWORD_RESET_RATE,
        method="POST",
        block=False,
    ),
    name="post",
)
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, limited per client address and (in the form) per account."""

    form_class = ThrottledPasswordResetForm

    def form_valid(self, form: ThrottledPasswordResetForm) -> HttpResponse:
        if getattr(self.request, "limited", False):
            form.add_error(
                None, "Too many password resets were asked from your network recently. Please try again later."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


def _tell_about_animations(request: HttpRequest, form) -> None:
    for name in ("photo", "style_image", "image"):
        upload = form.cleaned_data.get(name)
        if upload is not None and upload.image_info.frames > 1:
            what = "photo" if name == "photo" else "style image"
            messages.info(
                request, f"Your {what} is animated ({upload.image_info.frames} frames); we used its first frame."
            )


def _quota_kinds(style_image) -> tuple[str, ...]:
    """What one upload adds: a stylization, and a style when it comes with a style image."""
    return ("stylization", "style") if style_image else ("stylization",)


def _submit(request: HttpRequest, form: StylizationForm, **photo) -> Stylization | None:
    """Store and queue the stylization the valid ``form`` describes; None if refused or storage is down.

    An uploaded style image becomes a private style of the user, in the same
    transaction; if anything fails, its files are deleted again. The quotas
    are checked in that transaction, before anything is stored.
    """
    data = form.cleaned_data
    new_style = None
    try:
        with transaction.atomic():
            check_quota(request.user, _quota_kinds(data.get("style_image")))
            main_style = data.get("style")
            if data.get("style_image"):
                image = data["style_image"].image
                main_style = new_style = Style.objects.create_from_image(image, title="My style", owner=request.user)
            return submit_stylization(
                owner=request.user,
                styles=form.mix(main_style),
                strength=data["strength"] / 100,
                colors=data["colors"] / 100,
                brush=data["brush"],
                max_side=data["max_side"],
                **photo,
            )
    except QuotaExceeded as exc:
        form.add_error(None, str(exc))
        return None
    except Exception as exc:
        if new_style is not None:
            for field in new_style.stored_files():
                field.storage.delete(field.name)
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
    initial = {"style": request.GET.get("style")} if request.GET.get("style") else None
    form = StylizationForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST":
        form.refuse(quota_problem(request.user, _quota_kinds(request.FILES.get("style_image"))))
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data["photo"]
        stylization = _submit(request, form, photo_image=photo.image, photo_info=photo.image_info)
        if stylization:
            messages.success(request, "Your photo is uploaded. This page shows the painting as soon as it is ready.")
            _tell_about_animations(request, form)
            if _wants_json(request):
                return JsonResponse({"redirect": reverse("gallery:detail", args=[stylization.pk])}, status=201)
            return redirect("gallery:detail", stylization.pk)
    if request.method == "POST" and _wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    limits = {
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "max_pixels": settings.STYLIZER_MAX_PIXELS,
        "min_side": settings.STYLIZER_MIN_SIDE,
        "style_side": STYLE_IMAGE_MAX_SIDE,
    }
    context = {"form": form, "client_messages": client_messages(), **limits}
    return render(request, "gallery/upload.html", context)


def _wants_json(request: HttpRequest) -> bool:
    """The upload page's script sends the form itself (for its progress bar) and asks for JSON."""
    return request.headers.get("Accept", "").startswith("application/json")


@login_required
@require_http_methods(["GET", "POST"])
def restyle(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Stylize the same photo again with other styles or controls, without uploading it again."""
    source = _get_own_stylization(request, pk)
    weights = list(source.weights.select_related("style"))
    initial = {
        "strength": source.strength_percent,
        "colors": source.colors_percent,
        "brush": source.brush,
        "max_side": source.max_side,
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
        initial=initial,
    )
    if request.method == "POST":
        form.refuse(quota_problem(request.user))
    if request.method == "POST" and form.is_valid():
        stylization = _submit(request, form, photo=source.photo)
        if stylization:
            messages.success(request, "Your restyle is queued.")
            return redirect("gallery:detail", stylization.pk)
    return render(request, "gallery/restyle.html", {"form": form, "source": source})


#: Cards name every style of a mix (Stylization.style_names): one query per page for all of them.
MIX = Prefetch("weights", queryset=StyleWeight.objects.select_related("style"))


@login_required
@require_GET
def my_gallery(request: HttpRequest) -> HttpResponse:
    stylizations = Stylization.objects.owned_by(request.user).select_related("style").prefetch_related(MIX)
    status = request.GET.get("status", "")
    if status in Stylization.Status.values:
        stylizations = stylizations.filter(status=status)
    context = {
        "page": _page(request, stylizations),
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
    return render(request, "gallery/public_gallery.html", {"page": _page(request, stylizations), "sort": sort})


@require_GET
def user_gallery(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    stylizations = (
        Stylization.objects.public().filter(owner=person).select_related("style", "owner").prefetch_related(MIX)
    )
    return render(request, "gallery/user_gallery.html", {"person": person, "page": _page(request, stylizations)})


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
    context = {"page": _page(request, styles, STYLE_PAGE_SIZE), "mine": mine, "restyling": restyling}
    return render(request, "gallery/style_gallery.html", context)


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


@require_GET
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    stylization = _get_stylization_for_user(request, pk)
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
    stylization = _get_own_stylization(request, pk)
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
    stylization = _get_own_stylization(request, pk)
    if request.method == "GET":
        others = stylization.photo.stylizations.exclude(pk=stylization.pk).exists()
        return render(request, "gallery/delete.html", {"stylization": stylization, "photo_kept": others})
    stylization.delete()
    messages.success(request, "The stylization was deleted.")
    return redirect("gallery:mine")


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
    "result", "preview", "thumbnail", "seconds", "position", "eta_seconds"}}}``:
    file URLs once done, the worker's time in s, and for a queued or running
    row its place in the queue and the estimated seconds until done
    (:func:`gallery.estimates.queue_estimates`). Ids of others, or malformed
    ones, are left out.
    """
    ids = []
    for value in request.GET.getlist("id")[:100]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    rows = list(Stylization.objects.owned_by(request.user).filter(pk__in=ids))
    estimates = queue_estimates(rows)
    payload = {}
    for row in rows:
        done = row.status == Stylization.Status.DONE

        def url(kind: str, row: Stylization = row, done: bool = done) -> str | None:
            return reverse("gallery:file", args=[row.pk, kind]) if done else None

        payload[str(row.pk)] = {
            "status": row.status,
            "status_label": row.get_status_display(),
            "error": row.error_message,
            "result": url("result"),
            "preview": url("preview") if row.preview_image else None,
            "thumbnail": url("thumbnail"),
            "seconds": row.seconds_processing,
            **estimates[row.pk],
        }
    return JsonResponse({"stylizations": payload}, headers={"Cache-Control": "no-store"})


@require_GET
def stylization_file(request: HttpRequest, pk: uuid.UUID, kind: str) -> HttpResponse:
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
        Report.objects.create(reporter=request.user, reason=form.cleaned_data["reason"], **{kind: item})
        messages.success(request, "Thank you. Staff will look at your report.")
        return redirect("gallery:detail", item.pk) if kind == "stylization" else redirect("gallery:styles")
    return render(request, "gallery/report.html", {"form": form, "item": item, "kind": kind})
