"""Thin photos and style images: the minimum side holds for the size they are used at.

A photo's result is the photo fitted to the chosen output size (never
enlarged); a style is stored fitted to STYLE_IMAGE_MAX_SIDE px. Either must
keep STYLIZER_MIN_SIDE (32) px on each side once fitted.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gallery.models import Photo, Style, Stylization

from .helpers import png_bytes, upload
from .test_upload import stored_files


def photo_message(size, max_side, fitted, advice="Choose a larger output size or a less elongated photo"):
    return (
        f"This photo is {size[0]} × {size[1]} px; at {max_side} px on its long side the result would be "
        f"{fitted[0]} × {fitted[1]} px, and each side needs at least 32 px. "
        f"{advice} (at most {max_side // 32}:1 at {max_side} px)."
    )


def style_message(size, fitted):
    return (
        f"This style image is {size[0]} × {size[1]} px; at 1024 px on its long side the stored style would be "
        f"{fitted[0]} × {fitted[1]} px, and each side needs at least 32 px. "
        "Choose a less elongated image (at most 32:1 at 1024 px)."
    )


def stored(media_root) -> tuple:
    """Rows of photos, stylizations and styles, and the files under the media root."""
    return Photo.objects.count(), Stylization.objects.count(), Style.objects.count(), stored_files(media_root)


@pytest.mark.parametrize(
    ("size", "max_side", "fitted"),
    [
        ((20000, 32), 1024, (1024, 2)),
        ((32, 4000), 1024, (8, 1024)),
        ((2000, 40), 1024, (1024, 20)),
        ((5000, 100), 512, (512, 10)),
        ((20000, 150), 4096, (4096, 31)),
    ],
)
def test_a_photo_thinner_than_the_minimum_at_its_output_size_is_refused(
    alice_client, public_style, media_root, size, max_side, fitted
):
    message = photo_message(size, max_side, fitted)
    before = stored(media_root)
    assert before[:2] == (0, 0)
    data = {"photo": upload(png_bytes(*size)), "style": public_style.pk, "max_side": max_side}
    response = alice_client.post(reverse("gallery:home"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"photo": [message]}
    assert stored(media_root) == before
    # the upload page's script sends the form itself: the same message comes back as JSON
    data["photo"] = upload(png_bytes(*size))
    response = alice_client.post(reverse("gallery:home"), data, headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"]["photo"] == [{"message": message, "code": ""}]
    assert stored(media_root) == before


@pytest.mark.parametrize(
    ("size", "max_side"),
    [((2000, 40), 2048), ((2048, 64), 1024), ((4096, 128), 4096), ((128, 4096), 4096), ((300, 32), 512)],
)
def test_a_photo_that_keeps_the_minimum_at_its_output_size_is_accepted(alice_client, public_style, size, max_side):
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(png_bytes(*size)), "style": public_style.pk, "max_side": max_side}
    )
    assert response.status_code == 302, response.context["form"].errors
    stylization = Stylization.objects.get()
    assert (stylization.photo.width, stylization.photo.height, stylization.max_side) == (*size, max_side)


def test_a_restyle_to_an_output_size_that_makes_the_photo_too_thin_is_refused(alice_client, public_style):
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(png_bytes(2000, 40)), "style": public_style.pk, "max_side": 2048}
    )
    assert response.status_code == 302
    source = Stylization.objects.get()
    restyle = reverse("gallery:restyle", args=[source.pk])
    response = alice_client.post(restyle, {"style": public_style.pk, "max_side": 1024})
    assert response.status_code == 200
    message = photo_message((2000, 40), 1024, (1024, 20), advice="Choose a larger output size")
    assert response.context["form"].errors == {"max_side": [message]}
    assert Stylization.objects.count() == 1
    response = alice_client.post(restyle, {"style": public_style.pk, "max_side": 4096})
    assert response.status_code == 302
    assert Stylization.objects.exclude(pk=source.pk).get().max_side == 4096


@pytest.mark.parametrize(("size", "fitted"), [((20000, 32), (1024, 2)), ((40, 2000), (20, 1024))])
def test_a_style_image_too_thin_once_stored_is_refused(alice_client, media_root, size, fitted):
    message = style_message(size, fitted)
    before = stored(media_root)
    response = alice_client.post(reverse("gallery:style_upload"), {"title": "Strip", "image": upload(png_bytes(*size))})
    assert response.status_code == 200
    assert response.context["form"].errors == {"image": [message]}
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(png_bytes(64, 64)), "style_image": upload(png_bytes(*size))}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"style_image": [message]}
    assert stored(media_root) == before


def test_a_style_image_that_keeps_the_minimum_once_stored_is_accepted(alice_client):
    response = alice_client.post(
        reverse("gallery:style_upload"), {"title": "Band", "image": upload(png_bytes(2048, 64))}
    )
    assert response.status_code == 302
    assert (Style.objects.get().width, Style.objects.get().height) == (1024, 32)


def test_the_upload_page_gives_its_script_the_limits_of_the_fitted_size(alice_client):
    # static/picstylist/upload.js checks the fitted size before sending, with the same words
    page = alice_client.get(reverse("gallery:home")).content.decode()
    assert 'data-min-side="32" data-style-side="1024"' in page
    assert re.search(r'<select name="max_side"[^>]*>', page), "the output size the script reads"
