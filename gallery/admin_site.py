"""The admin site, with a dashboard page for the people who run PicStylist (installed by :mod:`gallery.admin_apps`)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from .dashboard import dashboard_figures


class PicStylistAdminSite(admin.AdminSite):
    site_header = "PicStylist admin"
    site_title = "PicStylist admin"
    index_title = "Run the site"

    def get_urls(self) -> list[URLPattern | URLResolver]:
        return [path("dashboard/", self.admin_view(self.dashboard), name="dashboard"), *super().get_urls()]

    def dashboard(self, request: HttpRequest) -> HttpResponse:
        context = {**self.each_context(request), "title": "Dashboard", "figures": dashboard_figures()}
        return TemplateResponse(request, "admin/dashboard.html", context)
