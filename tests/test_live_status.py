"""The upload page's JSON answers, the queue position and wait estimate, and restyling from the style gallery."""

from __future__ import annotations

import re
import statistics
import uuid
from collections import defaultdict
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


def _status(client, ids, running: Stylization) -> tuple[dict, tuple[float, float]]:
    """The status answer for ``ids``, and how long ``running`` had been running (s) just before and after it.

    What is left of a running job depends on when the server reads the clock; a slow machine can spend
    a few tenths of a second between setting a row up and the answer, so tests bound it by both times.
    """
    started = Stylization.objects.get(pk=running.pk).started
    before = (timezone.now() - started).total_seconds()
    data = client.get("/status/", {"id": ids}).json()["stylizations"]
    after = (timezone.now() - started).total_seconds()
    return data, (before, after)


def _within(eta: float, expected_at_start: float, elapsed: tuple[float, float]) -> bool:
    """Whether ``eta`` is ``expected_at_start`` less the running job's elapsed time (rounded to 0.1 s)."""
    before, after = elapsed
    return expected_at_start - after - 0.05 <= eta <= expected_at_start - before + 0.05


def test_status_gives_place_in_queue_and_wait_from_recent_times(alice_client, alice, bob, public_style, settings):
    # Photos without recorded dimensions: each job counts as the median of the last runs.
    settings.STYLIZER_QUEUE_WORKERS = 1
    for seconds, minutes_ago in ((2.0, 5), (4.0, 4), (9.0, 3)):  # median 4.0 s
        _finished(bob, public_style, seconds, minutes_ago)
    running = make_stylization(bob, public_style, png_bytes())
    Stylization.objects.filter(pk=running.pk).update(status="running", started=timezone.now() - timedelta(seconds=1))
    first = _queued_at(bob, public_style, 30)  # someone else's, ahead in the queue
    mine = _queued_at(alice, public_style, 20)
    later = _queued_at(alice, public_style, 10)

    Photo.objects.update(width=0, height=0)  # no recorded dimensions (photos stored before they were kept)
    ids = [mine.pk, later.pk, first.pk, running.pk]
    data, elapsed = _status(alice_client, ids, running)

    assert set(data) == {str(mine.pk), str(later.pk)}, "others' rows are left out"
    # the running one has 4.0 s less its elapsed time left, then one queued ahead, 4.0 s, then its own 4.0 s
    assert data[str(mine.pk)]["position"] == 2
    assert _within(data[str(mine.pk)]["eta_seconds"], 12.0, elapsed)
    assert data[str(later.pk)]["position"] == 3
    assert _within(data[str(later.pk)]["eta_seconds"], 16.0, elapsed)

    settings.STYLIZER_QUEUE_WORKERS = 2
    data, elapsed = _status(alice_client, [mine.pk], running)
    # the first queued goes to the idle worker (done at 4 s); mine to the other, free when the running one ends
    assert _within(data[str(mine.pk)]["eta_seconds"], 8.0, elapsed)


def _done_of_size(owner, style, size: tuple[int, int], seconds: float, minutes_ago: float, brush="medium"):
    """A finished run with a ``size`` (width, height) px result that took ``seconds``."""
    row = make_stylization(owner, style, png_bytes(), max_side=max(size), brush=brush)
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    Stylization.objects.filter(pk=row.pk).update(
        status="done",
        started=finished - timedelta(seconds=seconds),
        finished=finished,
        result_width=size[0],
        result_height=size[1],
    )
    return row


def _waiting(owner, style, photo: tuple[int, int], max_side: int, seconds_ago: float, *, brush="medium", started=None):
    """A job of a ``photo`` (width, height) px at ``max_side``, queued ``seconds_ago``; running if ``started`` s ago."""
    row = make_stylization(owner, style, png_bytes(), max_side=max_side, brush=brush)
    Photo.objects.filter(pk=row.photo_id).update(width=photo[0], height=photo[1])
    fields = {"created": timezone.now() - timedelta(seconds=seconds_ago)}
    if started is not None:
        fields.update(status="running", started=timezone.now() - timedelta(seconds=started))
    Stylization.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


#: Recent runs: (result width, height px, seconds). 1024 px results and 4096 px results.
RUNS_1024 = [((1024, 768), 0.6), ((1024, 1024), 1.2), ((800, 600), 0.5)]
RUNS_4096 = [((4096, 3072), 6.0), ((4096, 2730), 5.0)]


def _model_rates(runs) -> dict:
    """Seconds per megapixel the model should use for each (size, brush) group of ``runs``
    ((size, brush), (width, height), seconds), newest first: the group's median, times the
    median pace of the newest five against their group's median."""
    per_group = defaultdict(list)
    for group, (w, h), seconds in runs:
        per_group[group].append(seconds / (w * h / 1e6))
    medians = {group: statistics.median(rates) for group, rates in per_group.items()}
    speed = statistics.median(seconds / (w * h / 1e6) / medians[group] for group, (w, h), seconds in runs[:5])
    return {group: median * speed for group, median in medians.items()}


def _runs():
    return [((1024, "medium"), size, seconds) for size, seconds in RUNS_1024] + [
        ((4096, "medium"), size, seconds) for size, seconds in RUNS_4096
    ]


@pytest.fixture
def recent_runs(bob, public_style):
    for minutes_ago, (size, seconds) in enumerate(RUNS_1024 + RUNS_4096, start=1):
        _done_of_size(bob, public_style, size, seconds, minutes_ago)
    rates = _model_rates(_runs())
    return rates[(1024, "medium")], rates[(4096, "medium")]


def _eta(client, row) -> float:
    return client.get("/status/", {"id": [row.pk]}).json()["stylizations"][str(row.pk)]["eta_seconds"]


def test_a_big_job_behind_a_small_one_waits_for_both_at_their_size_rates(
    alice_client, alice, bob, public_style, recent_runs, settings
):
    settings.STYLIZER_QUEUE_WORKERS = 1
    rate_1024, rate_4096 = recent_runs
    small = _waiting(bob, public_style, (2000, 1500), 1024, 20)  # result 1024 x 768
    big = _waiting(alice, public_style, (4000, 3000), 4096, 10)  # never enlarged: 4000 x 3000
    small_seconds = rate_1024 * 1024 * 768 / 1e6
    big_seconds = rate_4096 * 4000 * 3000 / 1e6

    data = alice_client.get("/status/", {"id": [big.pk]}).json()["stylizations"][str(big.pk)]

    assert data["position"] == 2
    assert data["eta_seconds"] == round(small_seconds + big_seconds, 1)
    assert _eta(client_for(bob), small) == round(small_seconds, 1)


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_job_waits_longer_behind_big_jobs_than_behind_small_ones(
    alice_client, alice, bob, public_style, recent_runs, settings
):
    settings.STYLIZER_QUEUE_WORKERS = 1
    rate_1024, rate_4096 = recent_runs
    ahead = [_waiting(bob, public_style, (640, 480), 1024, 30 - n) for n in range(2)]  # 640 x 480, as they are
    mine = _waiting(alice, public_style, (640, 480), 1024, 10)
    own = rate_1024 * 640 * 480 / 1e6
    behind_small = _eta(alice_client, mine)
    assert behind_small == round(3 * own, 1)

    Photo.objects.filter(stylizations__in=ahead).update(width=4096, height=3072)
    Stylization.objects.filter(pk__in=[row.pk for row in ahead]).update(max_side=4096)
    behind_big = _eta(alice_client, mine)
    assert behind_big == round(2 * rate_4096 * 4096 * 3072 / 1e6 + own, 1)
    assert behind_big > 5 * behind_small


def test_two_workers_share_the_jobs_ahead(alice_client, alice, bob, public_style, recent_runs, settings):
    rate_1024, rate_4096 = recent_runs
    big = rate_4096 * 4096 * 3072 / 1e6
    small = rate_1024 * 1024 * 768 / 1e6
    assert 3 * small < big  # so the small ones all pass the big one on the other worker
    _waiting(bob, public_style, (4096, 3072), 4096, 40)
    for n in range(2):
        _waiting(bob, public_style, (2048, 1536), 1024, 30 - n)
    mine = _waiting(alice, public_style, (1024, 768), 1024, 10)

    settings.STYLIZER_QUEUE_WORKERS = 1
    assert _eta(alice_client, mine) == round(big + 3 * small, 1)
    settings.STYLIZER_QUEUE_WORKERS = 2
    # one worker takes the big job; the other the two small ones, then mine
    assert _eta(alice_client, mine) == round(3 * small, 1)
    settings.STYLIZER_QUEUE_WORKERS = 4
    assert _eta(alice_client, mine) == round(small, 1)  # a worker is idle for it


def test_running_jobs_count_what_is_left_of_their_expected_time(
    alice_client, alice, bob, public_style, recent_runs, settings
):
    settings.STYLIZER_QUEUE_WORKERS = 1
    rate_1024, rate_4096 = recent_runs
    running = _waiting(alice, public_style, (4096, 3072), 4096, 60, started=2.0)
    mine = _waiting(alice, public_style, (1024, 768), 1024, 10)
    expected = rate_4096 * 4096 * 3072 / 1e6
    data, elapsed = _status(alice_client, [running.pk, mine.pk], running)

    assert data[str(running.pk)]["position"] is None
    assert _within(data[str(running.pk)]["eta_seconds"], expected, elapsed)
    mine_eta = data[str(mine.pk)]["eta_seconds"] - rate_1024 * 1024 * 768 / 1e6
    assert _within(mine_eta, expected, (elapsed[0] - 0.05, elapsed[1] + 0.05))  # two roundings
    # past its expected time: 0 left, and the next job is expected to start now
    Stylization.objects.filter(pk=running.pk).update(started=timezone.now() - timedelta(seconds=60))
    data = alice_client.get("/status/", {"id": [running.pk, mine.pk]}).json()["stylizations"]
    assert data[str(running.pk)]["eta_seconds"] == 0.0
    assert data[str(mine.pk)]["eta_seconds"] == round(rate_1024 * 1024 * 768 / 1e6, 1)


def test_a_size_or_brush_without_runs_takes_the_nearest_rate(alice_client, alice, public_style, recent_runs, settings):
    settings.STYLIZER_QUEUE_WORKERS = 1
    rate_1024, rate_4096 = recent_runs
    # 512 px: no runs; 1024 is the nearest size with runs. A fine brush: no runs; the medium brush's.
    mine = _waiting(alice, public_style, (1000, 500), 512, 10, brush="fine")
    assert _eta(alice_client, mine) == round(rate_1024 * 512 * 256 / 1e6, 1)
    # 2048 px lies as near 1024 as 4096: the smaller size's rate
    Stylization.objects.filter(pk=mine.pk).update(max_side=2048)
    Photo.objects.filter(stylizations=mine).update(width=2048, height=1024)
    assert _eta(alice_client, mine) == round(rate_1024 * 2048 * 1024 / 1e6, 1)


def test_running_row_gets_time_left_and_finished_rows_none(alice_client, alice, public_style):
    _finished(alice, public_style, 6.0, 1)
    running = make_stylization(alice, public_style, png_bytes())
    Stylization.objects.filter(pk=running.pk).update(status="running", started=timezone.now() - timedelta(seconds=2))
    overdue = make_stylization(alice, public_style, png_bytes())
    Stylization.objects.filter(pk=overdue.pk).update(status="running", started=timezone.now() - timedelta(seconds=60))
    done = Stylization.objects.filter(status="done").get()
    Photo.objects.update(width=0, height=0)  # each job counts as the median run

    data, elapsed = _status(alice_client, [running.pk, overdue.pk, done.pk], running)

    assert data[str(running.pk)]["position"] is None
    assert _within(data[str(running.pk)]["eta_seconds"], 6.0, elapsed)  # 6 s typical, about 2 s gone
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
    with django_assert_max_num_queries(6):  # session, user, rows, recent runs, the line
        data = alice_client.get("/status/", {"id": [row.pk for row in rows]}).json()["stylizations"]
    assert [data[str(row.pk)]["position"] for row in rows] == list(range(1, 13))


def test_each_brush_has_its_own_rate(alice_client, alice, bob, public_style, recent_runs, settings):
    settings.STYLIZER_QUEUE_WORKERS = 1
    # a fine brush paints at 2048 px whatever the output size: its runs are slower
    _done_of_size(bob, public_style, (1024, 1024), 3.0, 0, brush="fine")
    rates = _model_rates([((1024, "fine"), (1024, 1024), 3.0), *_runs()])
    assert rates[(1024, "fine")] > 2 * rates[(1024, "medium")]
    fine = _waiting(alice, public_style, (1024, 512), 1024, 10, brush="fine")
    assert _eta(alice_client, fine) == round(rates[(1024, "fine")] * 1024 * 512 / 1e6, 1)
    Stylization.objects.filter(pk=fine.pk).update(brush="medium")
    assert _eta(alice_client, fine) == round(rates[(1024, "medium")] * 1024 * 512 / 1e6, 1)


def test_a_machine_that_just_got_slower_shows_in_every_size_at_once(
    alice_client, alice, bob, public_style, recent_runs, settings
):
    settings.STYLIZER_QUEUE_WORKERS = 1
    _, rate_4096 = recent_runs
    mine = _waiting(alice, public_style, (4096, 3072), 4096, 10)
    before = _eta(alice_client, mine)
    assert before == round(rate_4096 * 4096 * 3072 / 1e6, 1)
    # the three newest runs, all 1024 px, took twice as long as the 1024 px ones before them
    newer = [((1024, 768), 1.2), ((1024, 1024), 2.4), ((800, 600), 1.0)]
    for tenths, (size, seconds) in enumerate(newer, start=1):
        _done_of_size(bob, public_style, size, seconds, tenths / 10)
    rates = _model_rates([((1024, "medium"), size, seconds) for size, seconds in newer] + _runs())
    after = _eta(alice_client, mine)
    assert after == round(rates[(4096, "medium")] * 4096 * 3072 / 1e6, 1)
    assert after > before
