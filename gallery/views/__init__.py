"""The gallery's pages, one module per part of the site; ``gallery.urls`` names them from here."""

from .accounts import PasswordResetView, signup
from .galleries import my_gallery, public_gallery, style_gallery, user_gallery
from .preview import style_bottleneck
from .stylizations import cancel, delete, detail, like, report, set_visibility, status, style_file, stylization_file
from .uploads import camera, home, restyle, style_upload

__all__ = [
    "PasswordResetView",
    "camera",
    "cancel",
    "delete",
    "detail",
    "home",
    "like",
    "my_gallery",
    "public_gallery",
    "report",
    "restyle",
    "set_visibility",
    "signup",
    "status",
    "style_bottleneck",
    "style_file",
    "style_gallery",
    "style_upload",
    "stylization_file",
    "user_gallery",
]
