"""The admin site, with a dashboard page for the people who run PicStylist."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path


class PicStylistAdminSite(admin.AdminSite):
    site_header = "PicStylist admin"
    site_title = "PicStylist admin"
    index_title = "Run the site"

    def get_urls(self):
        return [path("dashboard/", self.admin_view(self.dashboard), name="dashboard"), *super().get_urls()]

    def dashboard(self, request: HttpRequest) -> HttpResponse:
        from .dashboard import dashboard_figures

        context = {**self.each_context(request), "title": "Dashboard", "figures": dashboard_figures()}
        return TemplateResponse(request, "admin/dashboard.html", context)


class PicStylistAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`PicStylistAdminSite` as ``admin.site``."""

    default_site = "gallery.admin_site.PicStylistAdminSite"
