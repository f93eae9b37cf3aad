from django.contrib import admin

from .models import Style, Stylization


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "is_public", "created"]
    list_filter = ["is_public"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__username"]


@admin.register(Stylization)
class StylizationAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "style", "status", "engine", "created", "started", "finished"]
    list_filter = ["status", "engine"]
    list_select_related = ["owner", "style"]
    search_fields = ["owner__username"]
    readonly_fields = ["created", "started", "finished"]
