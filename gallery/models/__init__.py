"""Photos, styles, stylizations, likes and reports.

The ``*_upload_to`` functions are re-exported here because the migrations
name them as ``gallery.models.<name>``.
"""

from ..files import (
    animation_upload_to,
    photo_upload_to,
    poster_upload_to,
    preview_upload_to,
    result_upload_to,
    style_upload_to,
    thumbnail_upload_to,
)
from .photos import Photo
from .reports import Report
from .styles import PRIVATE_STYLE_NAME, STYLE_IMAGE_MAX_SIDE, Style, StyleQuerySet
from .stylizations import (
    BRUSH_CHOICES,
    MAX_STYLES_PER_MIX,
    STYLIZE_CLIP_TASK,
    STYLIZE_TASK,
    Like,
    StyleWeight,
    Stylization,
    StylizationQuerySet,
)

__all__ = [
    "BRUSH_CHOICES",
    "MAX_STYLES_PER_MIX",
    "PRIVATE_STYLE_NAME",
    "STYLE_IMAGE_MAX_SIDE",
    "STYLIZE_CLIP_TASK",
    "STYLIZE_TASK",
    "Like",
    "Photo",
    "Report",
    "Style",
    "StyleQuerySet",
    "StyleWeight",
    "Stylization",
    "StylizationQuerySet",
    "animation_upload_to",
    "photo_upload_to",
    "poster_upload_to",
    "preview_upload_to",
    "result_upload_to",
    "style_upload_to",
    "thumbnail_upload_to",
]
