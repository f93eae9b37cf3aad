"""Cross-origin isolation: every response says ``Cross-Origin-Embedder-Policy: credentialless``; with Django's
``Cross-Origin-Opener-Policy: same-origin`` (SecurityMiddleware's default) the pages are cross-origin isolated,
which browsers require before WebAssembly may run on more than one thread (the live preview's networks).
``credentialless`` (not ``require-corp``) keeps images from the object storage loading: they are fetched
without cookies, which presigned URLs never need (HTML Standard, "Cross-Origin-Embedder-Policy")."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class CrossOriginIsolationMiddleware:
    """Sets ``settings.CROSS_ORIGIN_EMBEDDER_POLICY`` (empty: none) on every response, static files included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if settings.CROSS_ORIGIN_EMBEDDER_POLICY:
            response.headers.setdefault("Cross-Origin-Embedder-Policy", settings.CROSS_ORIGIN_EMBEDDER_POLICY)
        return response
