"""What the upload forms say to users, written once.

The forms (:mod:`gallery.forms`) format these texts on the server. The upload
page checks the same things before sending and says the same words: it gets
them from :func:`client_messages` (``json_script``, read by
``static/picstylist/upload-messages.js``), with the same ``{placeholders}``,
which the script fills in. The words about the image file itself are
:mod:`stylizer.pipeline`'s own (``DAMAGED``, ``TOO_MANY_PIXELS``,
``UPLOAD_FORMATS``): it refuses images without Django.
"""

from __future__ import annotations

from stylizer import clips
from stylizer.pipeline import DAMAGED, TOO_MANY_PIXELS, UPLOAD_FORMATS

# The file.
FILE_TOO_LARGE = "This file is {size}; the limit is {limit}."
FILE_EMPTY = "This file is empty."
#: Said by the page from the file's first bytes (the server says pipeline's "This file is not an image...").
NOT_AN_IMAGE = "“{name}” is not an image we can read. " + UPLOAD_FORMATS
IMAGE_TOO_SMALL = "This image is {width} x {height} px; it needs at least {min_side} px on each side."

# An image whose size once fitted to ``max_side`` px has a side under the minimum
# (gallery.forms.fitted_size_problem): FITTED_TOO_THIN with one of the kinds below,
# whose ``advice`` has ASPECT_LIMIT for ``{limit}``.
FITTED_TOO_THIN = (
    "This {image} is {width} × {height} px; at {max_side} px on its long side {result} would be "
    "{fitted_width} × {fitted_height} px, and each side needs at least {min_side} px. {advice}."
)
ASPECT_LIMIT = "at most {ratio}:1 at {max_side} px"
PHOTO_TOO_THIN = {
    "image": "photo",
    "result": "the result",
    "advice": "Choose a larger output size or a less elongated photo ({limit})",
}
RESTYLED_PHOTO_TOO_THIN = {**PHOTO_TOO_THIN, "advice": "Choose a larger output size ({limit})"}
STYLE_IMAGE_TOO_THIN = {
    "image": "style image",
    "result": "the stored style",
    "advice": "Choose a less elongated image ({limit})",
}

# The styles chosen.
STYLE_MISSING = "Pick a style or upload your own style image."
STYLE_AND_IMAGE = "Pick a style from the gallery or upload your own style image, not both."
STYLE_TWICE_IN_MIX = "Pick different styles to mix: this one is already in the mix."

# Said by the upload page's script alone (the form without it needs none of these).
PHOTO_MISSING = "Choose a photo to stylize."
NO_PREVIEW = "{facts} (no preview in this browser; it is checked when you send it)"
NOT_USED = " (one photo at a time: {count} more not used)"
SEND_TOO_LARGE = "This file is too large to send."
SEND_FAILED = "The upload failed ({status}). Please try again."
SEND_UNREACHED = "The upload did not reach us. Check your connection and try again."
SENT = "100 %, done"
#: What the page says of a clip it can play (its length and size come from the browser).
CLIP_FACTS = "{facts}, {width} × {height} px, {seconds} s: a clip, every frame painted"


def client_messages() -> dict[str, str | dict[str, str]]:
    """The texts the upload page's script says, by name, for ``json_script``."""
    return {
        "file_too_large": FILE_TOO_LARGE,
        "file_empty": FILE_EMPTY,
        "not_an_image": NOT_AN_IMAGE,
        "damaged": DAMAGED,
        "too_many_pixels": TOO_MANY_PIXELS,
        "image_too_small": IMAGE_TOO_SMALL,
        "fitted_too_thin": FITTED_TOO_THIN,
        "aspect_limit": ASPECT_LIMIT,
        "photo_too_thin": PHOTO_TOO_THIN,
        "style_image_too_thin": STYLE_IMAGE_TOO_THIN,
        "style_missing": STYLE_MISSING,
        "style_and_image": STYLE_AND_IMAGE,
        "style_twice_in_mix": STYLE_TWICE_IN_MIX,
        "photo_missing": PHOTO_MISSING,
        "no_preview": NO_PREVIEW,
        "not_used": NOT_USED,
        "send_too_large": SEND_TOO_LARGE,
        "send_failed": SEND_FAILED,
        "send_unreached": SEND_UNREACHED,
        "sent": SENT,
        "clip_facts": CLIP_FACTS,
        "clip_too_long": clips.TOO_LONG,
        "clip_too_large": clips.TOO_LARGE,
        "not_a_clip": NOT_AN_IMAGE + " " + clips.UPLOAD_CLIPS,
    }


# The live preview's one-line notes (gallery.views.preview, static/picstylist/preview.js).
PREVIEW_WORDS = {
    "choose": "Choose a photo and a style to see a live preview.",
    "loading": "Loading the live preview…",
    "drawn": "Live preview, painted in your browser by the network our server runs.",
    "failed": "The live preview could not run here; the form works as usual.",
    "no_wasm": "The live preview needs WebAssembly, which this browser does not offer; the form works as usual.",
    "no_photo": "This browser cannot show this photo, so there is no live preview; the form works as usual.",
    "no_style": "This browser cannot show your style image, so there is no live preview; the form works as usual.",
    "refused": "No live preview of this photo: see what the form says about it.",
    "engine": "No live preview with the engine this site runs; the form works as usual.",
    "no_script": "The live preview needs JavaScript; the form works as usual.",
    "camera_live": "Your camera, painted live in your browser with the style chosen below.",
    "camera_taken": "Photo taken: it is the photo below. Press Stylize to paint it at full size.",
    "camera_again": "Start the camera again",
    "camera_choose": "Pick a style below to see your camera painted live.",
    "camera_no_script": "The camera needs JavaScript; you can still choose a photo.",
    "camera_denied": "The camera is not available here (no camera, or no permission); you can still choose a photo.",
}


def preview_words() -> dict[str, str]:
    """The live preview's notes, by name, for ``json_script``."""
    return dict(PREVIEW_WORDS)
