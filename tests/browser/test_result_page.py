"""A stylization's page in a browser: the upload's progress bar, then the status live (queued,
running, late, failed, done) without a reload, the before/after slider and the download."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from ..helpers import CONTENT_DIR, wait_for_status
from .journey import DESKTOP, DETAIL_URL, DONE_TIMEOUT_MS, paused_worker, slider_position

pytestmark = [pytest.mark.worker, pytest.mark.browser]


def test_upload_progress_then_the_result_live_and_its_slider(open_journey, styles, worker):
    from gallery.models import Stylization

    journey = open_journey(DESKTOP)
    page = journey.page
    journey.sign_up("carol")
    journey.choose_photo(CONTENT_DIR / "astronaut.png")
    journey.pick_style("Starry Night")

    # Send it on a slow link so the progress bar shows.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 120 * 1024},
    )
    page.click("button:has-text('Stylize')")
    progress = page.locator('[data-role="progress-box"]')
    progress.wait_for()
    page.wait_for_function("() => document.querySelector('[data-role=progress]').value > 0")
    journey.shot("upload-progress")
    page.wait_for_url(DETAIL_URL, timeout=60_000)
    cdp.send("Network.disable")
    first = Stylization.objects.get()
    assert page.url == f"{journey.base}/s/{first.pk}/"
    journey.shot("status-live")

    # While it is painted, the placeholder has the result's size (512 px: never upscaled), so nothing jumps.
    waiting_width = page.evaluate("getComputedStyle(document.querySelector('[data-role=waiting]')).maxWidth")
    assert "512px" in waiting_width

    # Live status: done without a reload; the comparison slider appears.
    page.evaluate("window.__sameDocument = true")
    journey.wait_for_done()
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    compare = page.locator('[data-role="compare"]')
    assert compare.is_visible()
    assert page.locator('[data-role="waiting"]').is_hidden()
    assert page.evaluate("document.querySelector('img[data-role=result]').naturalWidth") == 512
    assert page.evaluate("document.querySelector('img[data-role=before]').naturalWidth") == 512
    assert re.fullmatch(r"in \d+\.\d s", page.locator('[data-role="seconds"]').inner_text())
    assert compare.bounding_box()["width"] == 512, "shown at the result's own size on a wide screen"
    journey.shot("detail-done")

    # The slider: dragging with the mouse, then the keyboard.
    assert slider_position(page) == "50%"
    box = compare.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    assert 15 <= int(page.input_value('[data-role="compare-range"]')) <= 25
    journey.shot("detail-slider-mouse")
    page.focus('[data-role="compare-range"]')
    page.keyboard.press("End")
    assert slider_position(page) == "100%"
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    assert slider_position(page) == "90%"
    clip = page.evaluate("getComputedStyle(document.querySelector('[data-role=before-clip]')).clipPath")
    assert clip == "inset(0px 10% 0px 0px)"
    journey.shot("detail-slider-keyboard")
    download = page.get_attribute('[data-role="download"]', "href")
    assert page.request.get(journey.base + download).headers["content-disposition"].startswith("attachment")
    journey.only_own_origin()


def test_restyle_from_the_style_gallery_waits_in_line_then_says_it_is_late(open_journey, styles, worker, settings):
    from gallery.models import Stylization

    # The page stops promising the estimated wait this long past it (10 s on the site).
    settings.STYLIZATION_LATE_AFTER_SECONDS = 2
    journey = open_journey(DESKTOP)
    page = journey.page
    first = journey.first_painting("carol", CONTENT_DIR / "astronaut.png", "Starry Night")

    # Restyle with a style picked in the style gallery.
    journey.go(f"/s/{first.pk}/")
    page.click("a:has-text('Restyle')")
    page.click("a:has-text('Browse the style gallery')")
    assert page.url == f"{journey.base}/styles/?restyle={first.pk}"
    journey.shot("style-gallery-restyle")
    page.click("a[aria-label='Use The Great Wave']")
    assert page.url.startswith(f"{journey.base}/s/{first.pk}/restyle/")
    assert page.is_checked(f"input[name=style][value='{styles['The Great Wave'].pk}']")
    # The worker is paused (SIGSTOP) while this one is sent, so the page shows it waiting in the queue.
    with paused_worker():
        page.click("button:has-text('Restyle')")
        page.wait_for_url(DETAIL_URL)
        second = Stylization.objects.exclude(pk=first.pk).get()
        assert page.url == f"{journey.base}/s/{second.pk}/"
        assert page.get_attribute("[data-status-url]", "data-late-after-seconds") == "2"
        queue = page.locator('[data-role="queue"]')
        # one stylization has finished, so the wait is estimated from its time
        queue.filter(has_text=re.compile(r"^next in line, ready in about (a second|\d+ s)$")).wait_for()
        assert page.locator('[data-role="status"]').inner_text() == "Queued"
        journey.shot("restyle-queued")
        # the worker does not come: 2 s (the setting) past the estimate the page stops promising it
        queue.filter(has_text="next in line, taking longer than expected").wait_for(timeout=30_000)
        journey.shot("restyle-queued-late")
    assert second.photo_id == first.photo_id
    assert second.style == styles["The Great Wave"]
    journey.wait_for_done()
    journey.shot("restyle-done")
    journey.only_own_origin()


def test_running_and_failed_show_live(open_journey, styles, worker, tmp_path):
    """The two states the other journeys pass too quickly to see: running, and failed with its reason."""
    from gallery.models import Stylization

    journey = open_journey(DESKTOP)
    page = journey.page
    journey.sign_up("erin")
    status, queue = page.locator('[data-role="status"]'), page.locator('[data-role="queue"]')
    waiting_text = page.locator('[data-role="waiting-text"]')

    # Failed: the photo's stored file is lost while the job waits in line.
    journey.choose_photo(CONTENT_DIR / "coffee.png")
    journey.pick_style("Starry Night")
    with paused_worker():
        page.click("button:has-text('Stylize')")
        page.wait_for_url(DETAIL_URL)
        lost = Stylization.objects.get()
        queue.filter(has_text="next in line").wait_for()
        assert waiting_text.inner_text() == "Waiting in line…"
        lost.photo.image.storage.delete(lost.photo.image.name)
    status.filter(has_text="Failed").wait_for(timeout=DONE_TIMEOUT_MS)
    assert page.locator('[data-role="error"]').inner_text() == "The photo or style file of this stylization is missing."
    assert waiting_text.inner_text() == "No result"
    assert queue.inner_text() == ""
    assert page.locator('[data-role="download"]').is_hidden()
    assert page.locator("button:has-text('Make public')").is_hidden()
    journey.shot("status-failed")

    # Running: a big photo at the largest output size takes the worker seconds; the worker is
    # stopped (SIGSTOP) once it has taken the job, so the page can be seen while it paints.
    big = tmp_path / "hubble-large.jpg"
    with Image.open(CONTENT_DIR / "hubble_deep_field.jpg") as image:
        image.convert("RGB").resize((3000, 2616)).save(big, quality=90)
    journey.go("/")
    journey.choose_photo(big)
    journey.pick_style("The Great Wave")
    page.click("summary:has-text('Style controls')")
    page.select_option("#id_max_side", "2048")
    page.click("button:has-text('Stylize')")
    page.wait_for_url(DETAIL_URL, timeout=60_000)
    painting = Stylization.objects.exclude(pk=lost.pk).get()
    wait_for_status(painting, {"running", "done", "failed"}, interval=0.01)
    assert painting.status == "running", "the job ended before it could be seen running"
    with paused_worker():
        status.filter(has_text="Running").wait_for()
        # nothing has finished on this site yet, so no time left is guessed
        assert queue.inner_text() == "painting…"
        assert waiting_text.inner_text() == "Painting your photo…"
        assert page.locator('[data-role="compare"]').is_hidden()
        journey.shot("status-running")
    journey.wait_for_done()
    assert page.evaluate("document.querySelector('img[data-role=result]').naturalWidth") == 2048
    journey.shot("detail-done-2048")
    journey.only_own_origin()
