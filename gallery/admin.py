"""Staff run PicStylist from here: styles, stylizations, users, reports, and the dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from .models import Photo, Report, Style, Stylization

User = get_user_model()


def _thumbnail(url: str | None) -> str:
    if not url:
        return "—"
    return format_html('<img src="{}" alt="" width="64" height="48" style="object-fit:cover">', url)


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = ["preview", "title", "owner", "state", "is_featured", "uses", "created"]
    list_filter = ["is_public", "is_submitted", "is_featured"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__username"]
    fields = ["title", "artist", "licence", "owner", "is_public", "is_submitted", "is_featured", "width", "height"]
    readonly_fields = ["owner", "is_public", "is_submitted", "width", "height"]
    actions = ["approve", "reject", "feature", "hide"]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(use_count=Count("weights", distinct=True))

    @admin.display(description="Thumbnail")
    def preview(self, style: Style) -> str:
        return _thumbnail(reverse("gallery:style_file", args=[style.pk, "thumbnail"]))

    @admin.display(description="State")
    def state(self, style: Style) -> str:
        if style.is_public:
            return "public"
        return "awaiting review" if style.is_submitted else "private"

    @admin.display(description="Uses", ordering="use_count")
    def uses(self, style: Style) -> int:
        return int(style.use_count)  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.action(description="Approve: show in the public style gallery")
    def approve(self, request, queryset: QuerySet) -> None:
        for style in queryset.filter(is_public=False):
            style.set_public(True)
        self.message_user(request, "Approved.", messages.SUCCESS)

    @admin.action(description="Reject the submission (the style stays private)")
    def reject(self, request, queryset: QuerySet) -> None:
        for style in queryset:
            if style.is_public:
                style.set_public(False)
        queryset.update(is_submitted=False, is_featured=False)
        self.message_user(request, "Rejected.", messages.SUCCESS)

    @admin.action(description="Feature: list first in the style gallery")
    def feature(self, request, queryset: QuerySet) -> None:
        count = queryset.filter(is_public=True).update(is_featured=True)
        self.message_user(request, f"{count} public styles featured.", messages.SUCCESS)

    @admin.action(description="Hide from the public style gallery")
    def hide(self, request, queryset: QuerySet) -> None:
        for style in queryset.filter(is_public=True):
            style.set_public(False)
        queryset.update(is_featured=False)
        self.message_user(request, "Hidden.", messages.SUCCESS)


@admin.register(Stylization)
class StylizationAdmin(admin.ModelAdmin):
    list_display = [
        "preview",
        "short_id",
        "owner",
        "style",
        "status",
        "kind",
        "timeline",
        "engine",
        "controls",
        "error",
        "is_public",
    ]
    list_filter = ["status", "photo__kind", "engine", ("created", admin.DateFieldListFilter), "is_public"]
    list_select_related = ["owner", "style", "photo"]
    search_fields = ["owner__username"]
    date_hierarchy = "created"
    readonly_fields = [field.name for field in Stylization._meta.fields]
    actions = ["requeue", "hide_from_public", "delete_selected"]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(style_count=Count("weights", distinct=True))

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Thumbnail")
    def preview(self, stylization: Stylization) -> str:
        if not stylization.thumbnail:
            return "—"
        return _thumbnail(reverse("gallery:file", args=[stylization.pk, "thumbnail"]))

    @admin.display(description="Kind", ordering="photo__kind")
    def kind(self, stylization: Stylization) -> str:
        """A photo, or a clip with its frames painted of its total and its length."""
        photo = stylization.photo
        if not photo.is_clip:
            return photo.get_kind_display()
        total = stylization.frames_total or photo.frame_count
        return f"{photo.get_kind_display()}, {stylization.frames_done}/{total} frames, {photo.seconds:.1f} s"

    @admin.display(description="ID")
    def short_id(self, stylization: Stylization) -> str:
        return str(stylization.pk)[:8]

    @admin.display(description="Queued → started → finished", ordering="created")
    def timeline(self, stylization: Stylization) -> str:
        queued = timezone.localtime(stylization.created).strftime("%Y-%m-%d %H:%M:%S")
        if not stylization.started:
            return f"{queued} → waiting"
        wait = (stylization.started - stylization.created).total_seconds()
        if not stylization.finished:
            return f"{queued} → +{wait:.1f} s → running"
        run = (stylization.finished - stylization.started).total_seconds()
        return f"{queued} → +{wait:.1f} s → +{run:.1f} s"

    @admin.display(description="Error message")
    def error(self, stylization: Stylization) -> str:
        return Truncator(stylization.error_message).chars(70)

    @admin.display(description="Controls")
    def controls(self, stylization: Stylization) -> str:
        parts = [f"{stylization.strength_percent} %", f"{stylization.brush} brush", f"{stylization.max_side} px"]
        style_count: int = stylization.style_count  # type: ignore[attr-defined]  # annotated by get_queryset
        if style_count > 1:
            parts.append(f"mix of {style_count}")
        if stylization.colors < 1:
            parts.append(f"colours {stylization.colors_percent} %")
        return ", ".join(parts)

    @admin.action(description="Re-queue (failed, or stuck in queued/running)")
    def requeue(self, request, queryset: QuerySet) -> None:
        stuck_before = timezone.now() - timedelta(seconds=settings.STYLIZER_STUCK_AFTER)
        eligible = queryset.filter(
            Q(status=Stylization.Status.FAILED)
            | Q(status=Stylization.Status.QUEUED, created__lt=stuck_before)
            | Q(status=Stylization.Status.RUNNING, started__lt=stuck_before)
        )
        count = 0
        for stylization in eligible:
            stylization.requeue()
            count += 1
        skipped = queryset.count() - count
        self.message_user(request, f"{count} re-queued; {skipped} skipped (done, or not stuck yet).", messages.SUCCESS)

    @admin.action(description="Hide from the public gallery")
    def hide_from_public(self, request, queryset: QuerySet) -> None:
        for stylization in queryset.filter(is_public=True):
            stylization.set_public(False)
        self.message_user(request, "Hidden.", messages.SUCCESS)


def _bytes_of(model: type[Photo | Style | Stylization], owner_field: str = "owner") -> Coalesce:
    rows = model.objects.filter(**{owner_field: OuterRef("pk")}).order_by().values(owner_field)
    return Coalesce(
        Subquery(rows.annotate(total=Sum("stored_bytes")).values("total")[:1], output_field=IntegerField()),
        Value(0),
    )


admin.site.unregister(User)


@admin.register(User)
class PicStylistUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "is_active", "stylization_count", "storage_used"]  # type: ignore[misc]
    actions = ["deactivate"]

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                stylization_total=Count("stylizations", distinct=True),
                bytes_total=_bytes_of(Photo) + _bytes_of(Stylization) + _bytes_of(Style),
            )
        )

    @admin.display(description="Stylizations", ordering="stylization_total")
    def stylization_count(self, user) -> int:
        return user.stylization_total

    @admin.display(description="Storage used", ordering="bytes_total")
    def storage_used(self, user) -> str:
        return filesizeformat(user.bytes_total)

    @admin.action(description="Deactivate (cannot log in; nothing is deleted)")
    def deactivate(self, request, queryset: QuerySet) -> None:
        count = queryset.exclude(pk=request.user.pk).update(is_active=False)
        self.message_user(request, f"{count} users deactivated.", messages.SUCCESS)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created", "reporter", "item_link", "reason", "resolved", "resolution"]
    list_filter = [("resolved", admin.EmptyFieldListFilter), "resolution"]
    list_select_related = ["reporter", "stylization__owner", "stylization__style", "style"]
    readonly_fields = ["reporter", "stylization", "style", "reason", "created", "resolved", "resolution"]
    actions = ["hide_item", "dismiss"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Item")
    def item_link(self, report: Report) -> str:
        if report.stylization_id:
            url = reverse("gallery:detail", args=[report.stylization_id])
            return format_html('<a href="{}">Stylization {}</a>', url, str(report.stylization_id)[:8])
        url = reverse("gallery:style_file", args=[report.style_id, "image"])
        return format_html('<a href="{}">Style “{}”</a>', url, report.style.title if report.style else "")

    @admin.action(description="Hide the reported item from the public")
    def hide_item(self, request, queryset: QuerySet) -> None:
        for report in queryset.filter(resolved__isnull=True).select_related("stylization", "style"):
            item = report.item
            if item.is_public:
                item.set_public(False)
            if isinstance(item, Style):
                Style.objects.filter(pk=item.pk).update(is_featured=False)
            report.resolve("hidden")
        self.message_user(request, "Reported items hidden.", messages.SUCCESS)

    @admin.action(description="Dismiss the report")
    def dismiss(self, request, queryset: QuerySet) -> None:
        for report in queryset.filter(resolved__isnull=True):
            report.resolve("dismissed")
        self.message_user(request, "Reports dismissed.", messages.SUCCESS)
