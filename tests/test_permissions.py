"""Private stylizations and styles: 404 for everyone but the owner (and staff)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from PIL import Image

from gallery.models import Style, Stylization

from .helpers import STYLES_DIR, make_stylization, png_bytes


@pytest.fixture
def finished(alice, public_style) -> Stylization:
    stylization = make_stylization(alice, public_style, png_bytes(60, 40))
    stylization.mark_running()
    stylization.mark_done(png_bytes(60, 40, (1, 2, 3)), (60, 40), png_bytes(30, 20), png_bytes(60, 40, (9, 9, 9)))
    return stylization


def urls_of(stylization: Stylization) -> list[str]:
    return [
        reverse("gallery:detail", args=[stylization.pk]),
        reverse("gallery:file", args=[stylization.pk, "photo"]),
        reverse("gallery:file", args=[stylization.pk, "result"]),
        reverse("gallery:file", args=[stylization.pk, "thumbnail"]),
        reverse("gallery:file", args=[stylization.pk, "result"]) + "?download",
    ]


def test_owner_sees_the_detail_page_and_files(client, alice, finished):
    client.force_login(alice)
    for url in urls_of(finished):
        response = client.get(url)
        assert response.status_code == 200, url
    download = client.get(reverse("gallery:file", args=[finished.pk, "result"]) + "?download")
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == finished.result_image.open("rb").read()


@pytest.mark.parametrize("who", ["anonymous", "bob"])
def test_others_get_404_for_the_detail_page_and_files(client, bob, finished, who):
    if who == "bob":
        client.force_login(bob)
    for url in urls_of(finished):
        assert client.get(url).status_code == 404, url


def test_staff_see_everything(client, staff, finished):
    client.force_login(staff)
    for url in urls_of(finished):
        assert client.get(url).status_code == 200, url


def test_status_endpoint_only_reports_the_users_own_stylizations(client, alice, bob, finished):
    url = reverse("gallery:status") + f"?id={finished.pk}&id=not-a-uuid"
    client.force_login(bob)
    assert client.get(url).json() == {"stylizations": {}}
    client.logout()
    assert client.get(url).json() == {"stylizations": {}}
    client.force_login(alice)
    info = client.get(url).json()["stylizations"][str(finished.pk)]
    assert info["status"] == "done"
    assert info["result"] == reverse("gallery:file", args=[finished.pk, "result"])


def test_my_gallery_lists_only_my_stylizations(client, alice, bob, finished):
    client.force_login(bob)
    assert list(client.get(reverse("gallery:mine")).context["page"].object_list) == []
    client.force_login(alice)
    page = client.get(reverse("gallery:mine"))
    assert list(page.context["page"].object_list) == [finished]
    assert b"Done" in page.content


def test_my_gallery_redirects_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("gallery:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_private_style_image_is_only_for_its_owner(client, alice, bob, public_style):
    with Image.open(STYLES_DIR / "udnie.jpg") as image:
        private = Style.objects.create_from_image(image.convert("RGB"), title="Mine", owner=alice)
    for kind in ["image", "thumbnail"]:
        private_url = reverse("gallery:style_file", args=[private.pk, kind])
        public_url = reverse("gallery:style_file", args=[public_style.pk, kind])
        assert client.get(public_url).status_code == 200
        assert client.get(private_url).status_code == 404
        client.force_login(bob)
        assert client.get(private_url).status_code == 404
        client.force_login(alice)
        assert client.get(private_url).status_code == 200
        client.logout()


def test_unknown_file_kind_is_404(client, alice, finished):
    client.force_login(alice)
    assert client.get(f"/s/{finished.pk}/secret/").status_code == 404


def test_posts_need_a_csrf_token(alice, public_style):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("gallery:home"), {"style": public_style.pk})
    assert response.status_code == 403
