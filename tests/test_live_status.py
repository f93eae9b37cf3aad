"""The upload page's JSON answers, the queue position and wait estimate, and restyling from the style gallery."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from gallery.models import Photo, Stylization

from .helpers import CONTENT_DIR, make_stylization, png_bytes, upload

JSON = {"HTTP_ACCEPT": "application/json"}


def _finished(owner, style, seconds: float, minutes_ago: int) -> Stylization:
    row = make_stylization(owner, style, png_bytes())
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    Stylization.objects.filter(pk=row.pk).update(
        status="done", started=finished - timedelta(seconds=seconds), finished=finished
    )
    return row


def _queued_at(owner, style, seconds_ago: int) -> Stylization:
    row = make_stylization(owner, style, png_bytes())
    Stylization.objects.filter(pk=row.pk).update(created=timezone.now() - timedelta(seconds=seconds_ago))
    row.refresh_from_db()
    return row


def test_status_gives_place_in_queue_and_wait_from_recent_times(alice_client, alice, bob, public_style, settings):
    settings.STYLIZER_QUEUE_WORKERS = 1
    for seconds, minutes_ago in ((2.0, 5), (4.0, 4), (9.0, 3)):  # median 4.0 s
        _finished(bob, public_style, seconds, minutes_ago)
    running = make_stylization(bob, public_style, png_bytes())
    Stylization.objects.filter(pk=running.pk).update(status="running", started=timezone.now() - timedelta(seconds=1))
    first = _queued_at(bob, public_style, 30)  # someone else's, ahead in the queue
    mine = _queued_at(alice, public_style, 20)
    later = _queued_at(alice, public_style, 10)

    ids = [mine.pk, later.pk, first.pk, running.pk]
    data = alice_client.get("/status/", {"id": ids}).json()["stylizations"]

    assert set(data) == {str(mine.pk), str(later.pk)}, "others' rows are left out"
    # one queued ahead + one running, 4.0 s each, then its own 4.0 s
    assert data[str(mine.pk)]["position"] == 2
    assert data[str(mine.pk)]["eta_seconds"] == 12.0
    assert data[str(later.pk)]["position"] == 3
    assert data[str(later.pk)]["eta_seconds"] == 16.0

    settings.STYLIZER_QUEUE_WORKERS = 2
    data = alice_client.get("/status/", {"id": [mine.pk]}).json()["stylizations"]
    assert data[str(mine.pk)]["eta_seconds"] == 8.0  # (1 + 1) * 4 / 2 + 4


def test_running_row_gets_time_left_and_finished_rows_none(alice_client, alice, public_style):
    _finished(alice, public_style, 6.0, 1)
    running = make_stylization(alice, public_style, png_bytes())
    Stylization.objects.filter(pk=running.pk).update(status="running", started=timezone.now() - timedelta(seconds=2))
    overdue = make_stylization(alice, public_style, png_bytes())
    Stylization.objects.filter(pk=overdue.pk).update(status="running", started=timezone.now() - timedelta(seconds=60))
    done = Stylization.objects.filter(status="done").get()

    data = alice_client.get("/status/", {"id": [running.pk, overdue.pk, done.pk]}).json()["stylizations"]

    assert data[str(running.pk)]["position"] is None
    assert 3.5 <= data[str(running.pk)]["eta_seconds"] <= 4.0  # 6 s typical, 2 s gone
    assert data[str(overdue.pk)]["eta_seconds"] == 0.0
    assert data[str(done.pk)]["position"] is None and data[str(done.pk)]["eta_seconds"] is None


def test_no_wait_is_made_up_before_anything_finished(alice_client, alice, public_style):
    row = make_stylization(alice, public_style, png_bytes())
    running = make_stylization(alice, public_style, png_bytes())
    Stylization.objects.filter(pk=running.pk).update(status="running", started=timezone.now())
    data = alice_client.get("/status/", {"id": [row.pk, running.pk]}).json()["stylizations"]
    assert (data[str(row.pk)]["position"], data[str(row.pk)]["eta_seconds"]) == (1, None)
    assert data[str(running.pk)]["eta_seconds"] is None


def test_status_of_a_done_row_links_result_preview_and_thumbnail(alice_client, alice, public_style):
    from .helpers import finish_stylization

    row = finish_stylization(make_stylization(alice, public_style, png_bytes()))
    data = alice_client.get("/status/", {"id": [row.pk]}).json()["stylizations"][str(row.pk)]
    assert data["status"] == "done"
    assert data["result"] == f"/s/{row.pk}/result/"
    assert data["thumbnail"] == f"/s/{row.pk}/thumbnail/"
    assert data["preview"] == (f"/s/{row.pk}/preview/" if row.preview_image else None)


def test_upload_script_gets_the_detail_url_as_json(alice_client, public_style, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = alice_client.post(
            "/",
            {"photo": upload(CONTENT_DIR / "astronaut.png"), "style": public_style.pk, "strength": 100},
            **JSON,
        )
    assert response.status_code == 201
    stylization = Stylization.objects.get()
    assert response.json() == {"redirect": f"/s/{stylization.pk}/"}


@pytest.mark.parametrize(
    ("photo", "field", "message"),
    [
        (b"GIF89a but broken", "photo", "This file is not an image we can read."),
        (None, "photo", "This field is required."),
    ],
)
def test_upload_script_gets_field_errors_as_json_and_nothing_is_stored(
    alice_client, public_style, media_root, photo, field, message
):
    data = {"style": public_style.pk, "strength": 100, "max_side": 512}
    if photo is not None:
        data["photo"] = upload(photo, "holiday.jpg")
    response = alice_client.post("/", data, **JSON)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[field][0]["message"].startswith(message)
    assert Stylization.objects.count() == 0 and Photo.objects.count() == 0
    assert not [p for p in media_root.rglob("*") if p.is_file() and "photos" in p.parts]


def test_upload_script_gets_form_wide_errors_under_all(alice_client, public_style):
    data = {"photo": upload(png_bytes()), "style": public_style.pk, "style_image": upload(png_bytes())}
    response = alice_client.post("/", data, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"][0]["message"] == (
        "Pick a style from the gallery or upload your own style image, not both."
    )
    # a missing style is the style picker's own error
    response = alice_client.post("/", {"photo": upload(png_bytes()), "strength": 100, "max_side": 512}, **JSON)
    assert response.json()["errors"] == {
        "style": [{"message": "Pick a style or upload your own style image.", "code": ""}]
    }


def test_style_gallery_restyle_links_lead_to_the_restyle_form_with_that_style(
    alice_client, alice, public_style, client, bob
):
    from gallery.models import Style

    from .helpers import finish_stylization

    other = Style.objects.create_from_image(Image.new("RGB", (64, 64), (0, 90, 200)), title="Blue", is_public=True)
    source = finish_stylization(make_stylization(alice, public_style, png_bytes()))

    page = alice_client.get(f"/styles/?restyle={source.pk}").content.decode()
    assert f'href="/s/{source.pk}/restyle/?style={other.pk}"' in page
    assert "Pick a style to restyle" in page

    form = alice_client.get(f"/s/{source.pk}/restyle/?style={other.pk}").content.decode()

    def radio(style) -> str:
        return re.search(rf'<input type="radio" name="style" value="{style.pk}"[^>]*>', form).group(0)

    assert " checked" in radio(other)
    assert " checked" not in radio(public_style)

    # someone else's stylization id, or a malformed one, gives the plain style gallery
    client.force_login(bob)
    for value in (source.pk, "not-a-uuid", uuid.uuid4()):
        page = client.get(f"/styles/?restyle={value}").content.decode()
        assert "/restyle/" not in page
        assert f'href="/?style={other.pk}"' in page


def test_a_style_picked_in_the_gallery_replaces_a_mix_and_keeps_the_other_controls(alice_client, alice, public_style):
    from gallery.models import Style

    other = Style.objects.create_from_image(Image.new("RGB", (64, 64), (0, 90, 200)), title="Blue", is_public=True)
    # a 70/30 mix of the two, at 60 % strength, 512 px, 30 % of the style's colours, a broad brush
    source = make_stylization(
        alice, [(public_style, 0.7), (other, 0.3)], png_bytes(), max_side=512, strength=0.6, colors=0.3, brush="broad"
    )
    response = alice_client.get(f"/s/{source.pk}/restyle/?style={other.pk}")
    form = response.context["form"]
    assert form["style"].value() == str(other.pk)
    assert (form["second_style"].value(), form["third_style"].value()) == (None, None)
    controls = ("strength", "colors", "brush", "max_side")
    assert tuple(form[name].value() for name in controls) == (60, 30, "broad", 512)
    # sending the form as shown restyles with that one style
    data = {"style": other.pk, "strength": 60, "colors": 30, "brush": "broad", "max_side": 512}
    assert alice_client.post(f"/s/{source.pk}/restyle/?style={other.pk}", data).status_code == 302
    restyled = Stylization.objects.exclude(pk=source.pk).get()
    assert [(w.style_id, w.weight) for w in restyled.weights.all()] == [(other.pk, 1.0)]
    # without a style from the gallery, the restyle form starts from the whole mix
    form = alice_client.get(f"/s/{source.pk}/restyle/").context["form"]
    assert (form["style"].value(), form["second_style"].value()) == (public_style.pk, other.pk)
    assert (form["main_weight"].value(), form["second_weight"].value()) == (70, 30)


def test_pagination_keeps_the_pages_other_parameters(alice_client, alice, public_style):
    from gallery.models import Style

    from .helpers import finish_stylization

    for number in range(12):  # 13 public styles: two pages of 12
        Style.objects.create_from_image(
            Image.new("RGB", (32, 32), (number * 20, 0, 0)), title=f"S{number}", is_public=True
        )
    source = finish_stylization(make_stylization(alice, public_style, png_bytes()))

    first = alice_client.get(f"/styles/?restyle={source.pk}").content.decode()
    assert f'href="?restyle={source.pk}&amp;page=2"' in first
    second = alice_client.get(f"/styles/?restyle={source.pk}&page=2").content.decode()
    assert "Pick a style to restyle" in second
    assert f"/s/{source.pk}/restyle/?style=" in second
    assert f'href="?restyle={source.pk}&amp;page=1"' in second


def test_status_of_many_queued_rows_costs_a_fixed_number_of_queries(
    alice_client, alice, public_style, django_assert_max_num_queries
):
    rows = [_queued_at(alice, public_style, 100 - number) for number in range(12)]
    with django_assert_max_num_queries(6):  # session, user, rows, typical time, one count for all
        data = alice_client.get("/status/", {"id": [row.pk for row in rows]}).json()["stylizations"]
    assert [data[str(row.pk)]["position"] for row in rows] == list(range(1, 13))
