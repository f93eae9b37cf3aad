"""A private style's title and artist stay private when a result made with it is published."""

from __future__ import annotations

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Style

from .helpers import finish_stylization, make_stylization, png_bytes

TITLE, ARTIST = "Grandma's secret sketch", "Grandma Ottilie"


@pytest.fixture
def published_mix(alice, public_style):
    """Alice's public result mixing her private style (heavier) with a public one."""
    private = Style.objects.create_from_image(Image.new("RGB", (64, 64), (90, 20, 20)), title=TITLE, owner=alice)
    Style.objects.filter(pk=private.pk).update(artist=ARTIST)
    stylization = make_stylization(alice, [(private, 0.7), (public_style, 0.3)], png_bytes())
    return finish_stylization(stylization, public=True)


def _pages(stylization) -> list[str]:
    return [
        reverse("gallery:detail", args=[stylization.pk]),
        reverse("gallery:public"),
        reverse("gallery:public") + "?sort=liked",
        reverse("gallery:user", args=[stylization.owner.username]),
    ]


@pytest.mark.parametrize("viewer", ["anonymous", "bob"])
def test_others_see_a_private_style_on_every_public_page(client, bob, published_mix, viewer):
    if viewer == "bob":
        client.force_login(bob)
    for path in _pages(published_mix):
        page = client.get(path).content.decode()
        assert TITLE.replace("'", "&#x27;") not in page and ARTIST not in page, path
        assert "a private style + Starry Night" in page, path
    detail = client.get(reverse("gallery:detail", args=[published_mix.pk])).content.decode()
    assert "Style: a private style (70 %)" in detail
    private = published_mix.weights.first().style
    assert reverse("gallery:style_file", args=[private.pk, "image"]) not in detail


@pytest.mark.parametrize("viewer", ["alice", "staff"])
def test_the_owner_and_staff_see_its_title(client, alice, staff, published_mix, viewer):
    client.force_login(alice if viewer == "alice" else staff)
    detail = client.get(reverse("gallery:detail", args=[published_mix.pk])).content.decode()
    escaped = TITLE.replace("'", "&#x27;")
    assert f"{escaped} + Starry Night" in detail
    assert f"Style: {escaped}, {ARTIST} (70 %)" in detail
    gallery = client.get(reverse("gallery:public")).content.decode()
    assert f"{escaped} + Starry Night" in gallery


def test_a_style_withdrawn_from_the_public_gallery_is_private_again(client, bob, alice, public_style):
    Style.objects.filter(pk=public_style.pk).update(owner=bob)
    result = finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True)
    assert "Starry Night" in client.get(reverse("gallery:detail", args=[result.pk])).content.decode()
    public_style.refresh_from_db()
    public_style.set_public(False)
    page = client.get(reverse("gallery:detail", args=[result.pk])).content.decode()
    assert "Starry Night" not in page and "in the style of a private style" in page
    client.force_login(bob)  # its owner still sees it
    assert "in the style of Starry Night" in client.get(reverse("gallery:detail", args=[result.pk])).content.decode()
