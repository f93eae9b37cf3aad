"""With scripts off, the site still works: the upload form posts as a plain form, and the
stylization's page reloads itself until the result is there."""

from __future__ import annotations

import pytest

from ..helpers import CONTENT_DIR
from .journey import DESKTOP, DETAIL_URL, DONE_TIMEOUT_MS, paused_worker

pytestmark = [pytest.mark.worker, pytest.mark.browser]


def test_without_javascript_the_form_posts_and_the_page_reloads_until_done(open_journey, styles, worker):
    """With scripts off: the form posts as a plain form, the page reloads itself until the
    result is there, and the result shows at its size (the comparison box needs no script)."""
    from gallery.models import Stylization

    journey = open_journey(DESKTOP, java_script_enabled=False)
    page = journey.page
    journey.sign_up("hana")
    journey.choose_photo(CONTENT_DIR / "chelsea.png")
    journey.pick_style("Starry Night")
    with paused_worker():
        page.click("button:has-text('Stylize')")
        page.wait_for_url(DETAIL_URL)
        assert page.locator('[data-role="status"]').inner_text() == "Queued"
        assert page.locator('[data-role="waiting-text"]').inner_text() == "Waiting in line…"
        journey.shot("no-script-queued")
    # the status is only ever updated by the page reloading itself (every 3 s)
    page.locator('[data-role="status"]', has_text="Done").wait_for(timeout=DONE_TIMEOUT_MS)
    stylization = Stylization.objects.get()
    assert stylization.status == "done"
    result = page.locator("img[data-role=result]")
    # "Done" is in the page's HTML; the image it names may still be loading (CI saw naturalWidth 0).
    page.wait_for_function("document.querySelector('img[data-role=result]').complete", timeout=DONE_TIMEOUT_MS)
    assert page.evaluate("document.querySelector('img[data-role=result]').naturalWidth") == 451
    assert result.bounding_box()["height"] == pytest.approx(300, abs=1)
    assert page.locator('[data-role="compare"]').bounding_box()["height"] == pytest.approx(300, abs=1)
    assert page.locator("noscript").count() == 0, "a finished page does not reload"
    journey.shot("no-script-done")
    journey.only_own_origin()
