"""The galleries in a browser: a stylization made public shows in the public gallery, and leaves
it when made private again."""

from __future__ import annotations

import pytest

from ..helpers import CONTENT_DIR
from .journey import DESKTOP

pytestmark = [pytest.mark.worker, pytest.mark.browser]


def test_made_public_it_shows_in_the_public_gallery_until_made_private(open_journey, styles, worker):

    journey = open_journey(DESKTOP)
    page = journey.page
    first = journey.first_painting("carol", CONTENT_DIR / "astronaut.png", "Starry Night")

    # Make it public and find it in the public gallery.
    page.click("button:has-text('Make public')")
    page.locator(".messages").filter(has_text="It is now public.").wait_for()
    first.refresh_from_db()
    assert first.is_public
    journey.go("/gallery/")
    card = page.locator(f"a[href='/s/{first.pk}/']")
    assert card.count() == 1
    journey.shot("public-gallery")

    # ... and private again: it leaves the public gallery.
    journey.go(f"/s/{first.pk}/")
    page.click("button:has-text('Make private')")
    page.locator(".messages").filter(has_text="It is now private.").wait_for()
    first.refresh_from_db()
    assert not first.is_public
    journey.go("/gallery/")
    assert page.locator(f"a[href='/s/{first.pk}/']").count() == 0
    journey.shot("public-gallery-after-private")
    journey.only_own_origin()
