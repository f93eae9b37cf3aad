"""Galleries, visibility, likes, style submissions, the permission matrix and page cost."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from gallery.models import Like, Photo, Style, Stylization

from .helpers import STYLES_DIR, finish_stylization, make_stylization, png_bytes, upload


@pytest.fixture
def private_item(alice, public_style) -> Stylization:
    return finish_stylization(make_stylization(alice, public_style, png_bytes(60, 40)))


@pytest.fixture
def public_item(alice, public_style, django_capture_on_commit_callbacks) -> Stylization:
    with django_capture_on_commit_callbacks(execute=True):
        return finish_stylization(make_stylization(alice, public_style, png_bytes(60, 40)), public=True)


@pytest.fixture
def private_style(alice) -> Style:
    with Image.open(STYLES_DIR / "udnie.jpg") as image:
        return Style.objects.create_from_image(image.convert("RGB"), title="Alice's own", owner=alice)


PERSONAS = ["owner", "other", "anonymous", "staff"]


@pytest.fixture
def as_persona(client, alice, bob, staff):
    def login(persona: str):
        client.logout()
        user = {"owner": alice, "other": bob, "staff": staff}.get(persona)
        if user:
            client.force_login(user)
        return client

    return login


# (view, method, expected status for owner, other, anonymous, staff)
PRIVATE_MATRIX = [
    ("detail", "get", None, (200, 404, 404, 200)),
    ("file:photo", "get", None, (200, 404, 404, 200)),
    ("file:preview", "get", None, (200, 404, 404, 200)),
    ("file:result", "get", None, (200, 404, 404, 200)),
    ("file:thumbnail", "get", None, (200, 404, 404, 200)),
    ("restyle", "get", None, (200, 404, 302, 404)),
    ("visibility", "post", {"public": "1"}, (302, 404, 302, 404)),
    ("like", "post", None, (404, 404, 302, 404)),
    ("delete", "get", None, (200, 404, 302, 404)),
    ("delete", "post", None, (302, 404, 302, 404)),
]
PUBLIC_MATRIX = [
    ("detail", "get", None, (200, 200, 200, 200)),
    ("file:photo", "get", None, (200, 404, 404, 200)),
    ("file:preview", "get", None, (200, 200, 200, 200)),
    ("file:result", "get", None, (200, 200, 200, 200)),
    ("file:thumbnail", "get", None, (200, 200, 200, 200)),
    ("restyle", "get", None, (200, 404, 302, 404)),
    ("visibility", "post", {"public": "0"}, (302, 404, 302, 404)),
    ("like", "post", None, (302, 302, 302, 302)),
    ("delete", "get", None, (200, 404, 302, 404)),
    ("delete", "post", None, (302, 404, 302, 404)),
]


def url_for(view: str, pk) -> str:
    if view.startswith("file:"):
        return reverse("gallery:file", args=[pk, view.split(":")[1]])
    return reverse(f"gallery:{view}", args=[pk])


@pytest.mark.parametrize("visibility", ["private", "public"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix_for_every_stylization_view(request, as_persona, visibility, persona):
    item = request.getfixturevalue(f"{visibility}_item")
    matrix = PRIVATE_MATRIX if visibility == "private" else PUBLIC_MATRIX
    for view, method, data, expected in matrix:
        if view == "delete" and method == "post":
            continue  # checked last, below: it removes the item
        client = as_persona(persona)
        response = getattr(client, method)(url_for(view, item.pk), data or {})
        want = expected[PERSONAS.index(persona)]
        assert response.status_code == want, f"{persona} {method.upper()} {view} of a {visibility} item"
        if want == 302 and persona == "anonymous":
            assert response["Location"].startswith(reverse("login"))
        item.refresh_from_db()
        if view == "visibility" and want == 302:
            item.set_public(visibility == "public")  # put it back for the next checks
    delete_expected = dict(zip(PERSONAS, matrix[-1][3], strict=True))[persona]
    response = as_persona(persona).post(url_for("delete", item.pk))
    assert response.status_code == delete_expected
    assert Stylization.objects.filter(pk=item.pk).exists() == (persona != "owner")


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix_for_style_files_and_pages(as_persona, persona, private_style, public_style):
    expected_private = {"owner": 200, "other": 404, "anonymous": 404, "staff": 200}[persona]
    client = as_persona(persona)
    for kind in ("image", "thumbnail"):
        assert client.get(reverse("gallery:style_file", args=[private_style.pk, kind])).status_code == expected_private
        assert client.get(reverse("gallery:style_file", args=[public_style.pk, kind])).status_code == 200
    signed_in = persona != "anonymous"
    for name in ("mine", "style_upload"):
        assert client.get(reverse(f"gallery:{name}")).status_code == (200 if signed_in else 302)
    for path in (reverse("gallery:public"), reverse("gallery:styles"), reverse("gallery:user", args=["alice"])):
        assert client.get(path).status_code == 200


def test_every_post_needs_a_csrf_token(alice, public_item):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for view in ("visibility", "like", "delete", "restyle"):
        assert client.post(url_for(view, public_item.pk)).status_code == 403, view
    for path in (reverse("gallery:home"), reverse("gallery:style_upload"), reverse("logout")):
        assert client.post(path).status_code == 403, path


def test_making_public_moves_derived_files_to_public_keys_and_back(
    alice_client, private_item, django_capture_on_commit_callbacks
):
    old = [f.name for f in private_item.stored_files()]
    assert all(name.startswith("private/") for name in old)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("gallery:visibility", args=[private_item.pk]), {"public": "1"})
    assert response.status_code == 302
    private_item.refresh_from_db()
    assert private_item.is_public
    new = [f.name for f in private_item.stored_files()]
    assert all(name.startswith("public/") for name in new)
    assert not any(default_storage.exists(name) for name in old), "old objects deleted after commit"
    assert private_item.photo.image.name.startswith("private/"), "the original photo stays private"
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("gallery:visibility", args=[private_item.pk]), {"public": "0"})
    private_item.refresh_from_db()
    assert not private_item.is_public
    assert all(f.name.startswith("private/") for f in private_item.stored_files())


def test_unfinished_stylization_cannot_be_made_public(alice_client, alice, public_style):
    queued = make_stylization(alice, public_style, png_bytes())
    alice_client.post(reverse("gallery:visibility", args=[queued.pk]), {"public": "1"})
    queued.refresh_from_db()
    assert not queued.is_public


def test_delete_removes_files_after_commit_and_the_unused_photo(
    alice_client, private_item, django_capture_on_commit_callbacks
):
    names = [f.name for f in private_item.stored_files()] + [private_item.photo.image.name]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("gallery:delete", args=[private_item.pk]))
    assert not Stylization.objects.exists()
    assert not Photo.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_delete_asks_first_and_says_whether_the_photo_goes_too(alice_client, alice, public_style, private_item):
    url = reverse("gallery:delete", args=[private_item.pk])
    page = alice_client.get(url).content.decode()
    assert "Delete this stylization?" in page
    assert "Your photo is removed with it: nothing else uses it." in page
    assert f'href="{reverse("gallery:detail", args=[private_item.pk])}">Cancel</a>' in page
    assert Stylization.objects.filter(pk=private_item.pk).exists(), "asking deletes nothing"
    Stylization.objects.create(owner=alice, photo=private_item.photo, style=public_style, max_side=512, engine="onnx")
    assert "Your photo stays: other stylizations use it." in alice_client.get(url).content.decode()
    detail = alice_client.get(reverse("gallery:detail", args=[private_item.pk])).content.decode()
    assert f'<a class="button danger" href="{url}">Delete</a>' in detail, "the detail page's Delete leads here"


def test_deleting_one_restyle_keeps_the_shared_photo(alice, public_style, private_item):
    restyle = Stylization.objects.create(
        owner=alice, photo=private_item.photo, style=public_style, max_side=512, engine="onnx"
    )
    restyle.delete()
    assert Photo.objects.filter(pk=private_item.photo_id).exists()


def test_like_counts_once(client, bob, public_item):
    client.force_login(bob)
    client.post(reverse("gallery:like", args=[public_item.pk]))
    client.post(reverse("gallery:like", args=[public_item.pk]))
    public_item.refresh_from_db()
    assert public_item.like_count == 1
    assert Like.objects.filter(stylization=public_item).count() == 1


def test_public_gallery_sorts_by_newest_and_by_likes(client, alice, bob, staff, public_style):
    items = [finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True) for _ in range(3)]
    finish_stylization(make_stylization(alice, public_style, png_bytes()))  # private: never listed
    items[0].like(bob)
    items[0].like(staff)
    items[1].like(bob)
    newest = list(client.get(reverse("gallery:public")).context["page"].object_list)
    liked = list(client.get(reverse("gallery:public") + "?sort=liked").context["page"].object_list)
    assert newest == [items[2], items[1], items[0]]
    assert liked == [items[0], items[1], items[2]]
    assert list(client.get(reverse("gallery:user", args=["alice"])).context["page"].object_list) == newest
    assert client.get(reverse("gallery:user", args=["nobody"])).status_code == 404


def test_my_gallery_filters_by_status(alice_client, alice, public_style):
    done = finish_stylization(make_stylization(alice, public_style, png_bytes()))
    queued = make_stylization(alice, public_style, png_bytes())
    assert list(alice_client.get(reverse("gallery:mine") + "?status=done").context["page"].object_list) == [done]
    assert list(alice_client.get(reverse("gallery:mine") + "?status=queued").context["page"].object_list) == [queued]
    assert len(alice_client.get(reverse("gallery:mine")).context["page"].object_list) == 2


def test_style_gallery_shows_credit_licence_examples_and_use_this_style(client, alice, public_style):
    Style.objects.filter(pk=public_style.pk).update(artist="Vincent van Gogh", licence="Public domain")
    examples = [finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True) for _ in range(4)]
    page = client.get(reverse("gallery:styles"))
    entry = page.context["page"].object_list[0]
    assert entry.examples == [examples[3], examples[2], examples[1]]
    html = page.content.decode()
    assert "Vincent van Gogh" in html and "Public domain" in html
    use_url = f"{reverse('gallery:home')}?style={public_style.pk}"
    assert use_url in html
    client.force_login(alice)
    form = client.get(use_url).context["form"]
    assert str(form["style"].value()) == str(public_style.pk)


def test_submitted_style_is_public_only_after_staff_approve(alice_client, client, django_capture_on_commit_callbacks):
    response = alice_client.post(
        reverse("gallery:style_upload"),
        {
            "title": "Neon",
            "artist": "Alice",
            "licence": "CC BY 4.0",
            "image": upload(png_bytes(300, 300)),
            "submit_public": "on",
        },
    )
    assert response.status_code == 302
    style = Style.objects.get(title="Neon")
    assert (style.is_submitted, style.is_public, style.image.name.startswith("private/")) == (True, False, True)
    assert style not in client.get(reverse("gallery:styles")).context["page"].object_list
    with django_capture_on_commit_callbacks(execute=True):
        style.set_public(True)
    assert style.image.name.startswith("public/") and style.thumbnail.name.startswith("public/")
    assert style in client.get(reverse("gallery:styles")).context["page"].object_list


def test_private_style_upload_stays_private(alice_client, bob, client):
    alice_client.post(reverse("gallery:style_upload"), {"title": "Mine", "image": upload(png_bytes(200, 200))})
    style = Style.objects.get(title="Mine")
    assert not style.is_submitted and not style.is_public
    client.force_login(bob)
    assert style not in client.get(reverse("gallery:home")).context["form"].fields["style"].queryset


@pytest.mark.parametrize(
    ("url_name", "query", "expected"),
    [("mine", "", 5), ("public", "", 5), ("public", "?sort=liked", 5), ("user", "", 6), ("styles", "", 6)],
)
def test_gallery_pages_run_a_constant_number_of_queries(
    client, alice, public_style, django_assert_num_queries, url_name, query, expected
):
    client.force_login(alice)
    url = reverse(f"gallery:{url_name}", args=["alice"] if url_name == "user" else []) + query
    for count in (2, 10):
        while Stylization.objects.count() < count:
            finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True)
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "index"),
    [("public", "public_newest"), ("public?sort=liked", "public_most_liked"), ("mine", "owner_newest")],
)
def test_gallery_pages_read_their_rows_in_order_from_an_index(client, alice, public_style, query, index):
    """The query each gallery page runs for its rows (caught as the view runs it) reads them in order from
    its index, never sorting every row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        finish_stylization(make_stylization(alice, public_style, png_bytes()), public=True)
    client.force_login(alice)
    name, _, parameters = query.partition("?")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(f"gallery:{name}") + ("?" + parameters if parameters else "")).status_code == 200
    page_queries = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and '"gallery_stylization"' in query["sql"].split(" WHERE ")[0]
        and "ORDER BY" in query["sql"]
        and "LIMIT" in query["sql"]
    ]
    assert len(page_queries) == 1, page_queries
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + page_queries[0])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            sorted_all = "TEMP B-TREE FOR ORDER BY" in plan
        else:  # PostgreSQL: a few test rows are always read whole, so ask what the index allows
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + page_queries[0])
            plan = " ".join(row[0] for row in cursor.fetchall())
            sorted_all = "Sort" in plan
    assert index in plan, plan
    assert not sorted_all, plan
