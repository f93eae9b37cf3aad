"""The live preview's side on the server: its settings for the page, the styles' cached bottlenecks, and
the camera page's sizes. The preview itself runs in the browser (static/picstylist/preview.js)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, cast

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from stylizer.painting import BRUSH_SIDES, DEFAULT_BRUSH, STRENGTH_PROBE_SIDE

from ..messages import preview_words
from ..models import Style

#: Long side of the live preview (px): the network's training size, and a size a page shows beside the controls.
PREVIEW_SIDE = 384
#: Long side (px) of the camera's live stylization.
CAMERA_SIDE = 256
_PLACEHOLDER = uuid.UUID(int=0)

#: The Content-Security-Policy of the pages that run the networks: WebAssembly compilation, nothing else added.
WASM_CSP = {"script-src": ["'wasm-unsafe-eval'"]}
P = ParamSpec("P")


def allows_webassembly(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """The view's pages may compile WebAssembly (``'wasm-unsafe-eval'``); the rest of the policy stays as set.

    django-csp's own ``csp_update``, typed for views of any arguments (its stubs take the request alone).
    """
    return cast(Callable[P, HttpResponse], csp_update(WASM_CSP)(view))  # type: ignore[arg-type]


def preview_config(form: Any, photo_url: str | None = None, *, photo_is_clip: bool = False) -> dict[str, Any]:
    """What the page's preview script needs, for ``json_script``: the runtime and networks' static URLs,
    the painting's constants (stylizer.painting), where to read a style's bottleneck, and its words.
    ``photo_url``: the stored photo a restyle paints (a clip's middle frame, ``photo_is_clip``)."""
    return {
        "enabled": bool(getattr(form, "supports_bottleneck", False)),
        "runtime": static("browser/onnxruntime-web/ort.wasm.min.mjs"),
        "runtime_loader": static("browser/onnxruntime-web/ort-wasm-simd-threaded.mjs"),
        "runtime_binary": static("browser/onnxruntime-web/ort-wasm-simd-threaded.wasm"),
        "transfer": static("browser/transfer.onnx"),
        "predict": static("browser/predict.onnx"),
        "brush_sides": BRUSH_SIDES,
        "default_brush": DEFAULT_BRUSH,
        "default_max_side": settings.STYLIZER_MAX_SIDE,
        "default_clip_side": settings.STYLIZER_CLIP_MAX_SIDE,
        "probe_side": STRENGTH_PROBE_SIDE,
        "preview_side": PREVIEW_SIDE,
        "camera_side": CAMERA_SIDE,
        "max_pixels": settings.STYLIZER_MAX_PIXELS,
        "style_bottleneck": reverse("gallery:style_bottleneck", args=[_PLACEHOLDER]),
        "id_placeholder": str(_PLACEHOLDER),
        "photo": photo_url,
        "photo_is_clip": photo_is_clip,
        "words": preview_words(),
    }


@require_GET
def style_bottleneck(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A style the user may see: its cached bottleneck (100 floats, or null before its first use) and its image's URL.

    Public styles for everyone, private ones for their owner (and staff), as :func:`style_file`.
    """
    style = get_object_or_404(Style.objects.visible_to(request.user), pk=pk)
    image = reverse("gallery:style_file", args=[style.pk, "image"])
    # Kept a while once computed (it never changes); not before, so the page asks again after the first render.
    cache = "private, max-age=3600" if style.bottleneck else "no-store"
    return JsonResponse({"bottleneck": style.bottleneck, "image": image}, headers={"Cache-Control": cache})
