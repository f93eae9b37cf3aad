"""The upload form: what is stored, what is refused, and what is queued."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Style, Stylization

from .helpers import CONTENT_DIR, STYLES_DIR, UPLOADS_DIR, png_bytes, upload


def stored_files(media_root: Path) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def test_upload_page_requires_a_login_and_lists_public_styles(client, alice, public_style):
    assert b"Sign up" in client.get(reverse("gallery:home")).content
    client.force_login(alice)
    page = client.get(reverse("gallery:home"))
    assert page.status_code == 200
    assert list(page.context["form"].fields["style"].queryset) == [public_style]


def test_upload_with_a_public_style_stores_the_row_and_queues_the_task(
    alice_client, alice, public_style, media_root, django_capture_on_commit_callbacks, published_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("gallery:home"), {"photo": upload(CONTENT_DIR / "coffee.png"), "style": public_style.pk}
        )
    stylization = Stylization.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:detail", args=[stylization.pk])
    assert published_tasks == [str(stylization.pk)]
    assert stylization.owner == alice
    assert stylization.style == public_style
    assert stylization.status == "queued"
    assert (stylization.photo.width, stylization.photo.height) == (600, 400)
    assert (stylization.strength, stylization.colors, stylization.brush, stylization.max_side) == (
        1.0,
        1.0,
        "medium",
        1024,
    )
    assert [(w.style, w.weight) for w in stylization.weights.all()] == [(public_style, 1.0)]
    assert re.fullmatch(r"private/photos/[0-9a-f]{32}\.png", stylization.photo.image.name)
    assert stylization.photo.image.name.endswith(".png")
    assert "coffee" not in stylization.photo.image.name
    with Image.open(media_root / stylization.photo.image.name) as stored:
        assert stored.size == (600, 400)


def test_two_uploads_with_the_same_name_get_two_files(alice_client, public_style, media_root):
    for _ in range(2):
        alice_client.post(
            reverse("gallery:home"), {"photo": upload(png_bytes(), "IMG_0001.jpg"), "style": public_style.pk}
        )
    names = {s.photo.image.name for s in Stylization.objects.all()}
    assert len(names) == 2
    assert all(name.endswith(".png") for name in names), "extension comes from the decoded format"


def test_upload_with_an_own_style_image_creates_a_private_style(alice_client, alice, media_root):
    response = alice_client.post(
        reverse("gallery:home"),
        {"photo": upload(CONTENT_DIR / "chelsea.png"), "style_image": upload(STYLES_DIR / "udnie.jpg")},
    )
    assert response.status_code == 302
    style = Style.objects.get()
    assert style.owner == alice
    assert style.is_public is False
    assert Stylization.objects.get().style == style
    assert (style.width, style.height) == (512, 512)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated_jpeg.jpg", "damaged"),
        ("empty_zero_bytes.jpg", "empty"),
        ("anchor_horizontal.svg", "not an image we can read"),
        ("png_bomb_20000x20000_1bit.png", "too many pixels"),
    ],
)
def test_unreadable_photo_is_a_form_error_and_stores_nothing(alice_client, public_style, media_root, name, message):
    files_before = stored_files(media_root)
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(UPLOADS_DIR / name), "style": public_style.pk}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["photo"])
    assert Stylization.objects.count() == 0
    assert stored_files(media_root) == files_before


@pytest.mark.parametrize(
    ("size", "refused"), [((31, 300), True), ((4000, 30), True), ((1, 1), True), ((32, 32), False), ((300, 32), False)]
)
def test_photos_and_style_images_need_32_px_on_each_side(alice_client, public_style, media_root, size, refused):
    message = f"This image is {size[0]} x {size[1]} px; it needs at least 32 px on each side."
    files_before = stored_files(media_root)
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes(*size)), "style": public_style.pk})
    if refused:
        assert response.context["form"].errors == {"photo": [message]}
        response = alice_client.post(
            reverse("gallery:home"), {"photo": upload(png_bytes(64, 64)), "style_image": upload(png_bytes(*size))}
        )
        assert response.context["form"].errors == {"style_image": [message]}
        response = alice_client.post(
            reverse("gallery:style_upload"), {"title": "Tiny", "image": upload(png_bytes(*size))}
        )
        assert response.context["form"].errors == {"image": [message]}
        assert Stylization.objects.count() == 0 and stored_files(media_root) == files_before
    else:
        assert response.status_code == 302
        assert Stylization.objects.get().photo.width == size[0]


def test_upload_over_the_byte_limit_is_refused(alice_client, public_style, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = alice_client.post(
        reverse("gallery:home"), {"photo": upload(CONTENT_DIR / "coffee.png"), "style": public_style.pk}
    )
    assert "the limit is 1000" in " ".join(response.context["form"].errors["photo"])
    assert Stylization.objects.count() == 0


def test_a_style_is_required_and_only_one(alice_client, public_style):
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes())})
    assert response.context["form"].errors["style"] == ["Pick a style or upload your own style image."]
    response = alice_client.post(
        reverse("gallery:home"),
        {"photo": upload(png_bytes()), "style": public_style.pk, "style_image": upload(png_bytes())},
    )
    assert "not both" in " ".join(response.context["form"].non_field_errors())
    assert Stylization.objects.count() == 0


def test_another_users_private_style_cannot_be_picked(alice_client, bob):
    with Image.open(STYLES_DIR / "udnie.jpg") as image:
        private = Style.objects.create_from_image(image.convert("RGB"), title="Bob's", owner=bob)
    response = alice_client.post(reverse("gallery:home"), {"photo": upload(png_bytes()), "style": private.pk})
    assert response.status_code == 200
    assert "style" in response.context["form"].errors
    assert Stylization.objects.count() == 0
