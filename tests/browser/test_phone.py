"""At phone width (375 px): the whole journey by touch and keyboard alone, and every page fitting
the screen with the keyboard focus visible on it."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from ..helpers import CONTENT_DIR, PASSWORD, STYLES_DIR
from .journey import DETAIL_URL, PHONE, PHONE_CONTEXT, paused_worker, slider_position, stylized, tab_through

pytestmark = [pytest.mark.worker, pytest.mark.browser]


def test_phone_and_keyboard_only(open_journey, styles, worker):
    from gallery.models import Stylization

    journey = open_journey(PHONE, **PHONE_CONTEXT, device_scale_factor=2)
    page = journey.page
    journey.sign_up("dave")
    journey.no_horizontal_scroll()
    journey.shot("phone-upload-page")

    # Picking the file is the one step a keyboard hands to the system's file dialog.
    journey.choose_photo(CONTENT_DIR / "rocket.jpg")
    page.locator('[data-role="preview"]').wait_for()
    # Keyboard alone from here: tab to the style picker, choose with the arrows, send with Enter.
    page.focus("#id_photo")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "style":
            break
    assert page.evaluate("document.activeElement.name") == "style"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    chosen = page.evaluate("document.querySelector('input[name=style]:checked').value")
    assert chosen == str(styles["The Great Wave"].pk)
    journey.no_horizontal_scroll()
    journey.shot("phone-upload-preview")
    with paused_worker():
        page.keyboard.press("Enter")  # submits the form from a radio button
        page.wait_for_url(DETAIL_URL)
        # nothing has finished yet on this site, so no wait is guessed
        page.locator('[data-role="queue"]').filter(has_text=re.compile(r"^next in line$")).wait_for()
        journey.no_horizontal_scroll()
        journey.shot("phone-status-queued")
    journey.wait_for_done()
    stylization = Stylization.objects.get()
    assert stylization.style == styles["The Great Wave"]
    journey.no_horizontal_scroll()
    journey.shot("phone-detail-done")

    # The slider by keyboard; then "Make public" reached with Tab and pressed with Enter.
    page.focus('[data-role="compare-range"]')
    page.keyboard.press("Home")
    assert slider_position(page) == "0%"
    page.keyboard.press("PageUp")
    assert slider_position(page) != "0%"
    journey.shot("phone-detail-slider")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Make public":
            break
    page.keyboard.press("Enter")
    page.locator(".messages").filter(has_text="It is now public.").wait_for()
    journey.go("/gallery/")
    assert page.locator(f"a[href='/s/{stylization.pk}/']").count() == 1
    journey.no_horizontal_scroll()
    journey.shot("phone-public-gallery")
    journey.only_own_origin()


def test_every_page_fits_a_phone_and_shows_keyboard_focus(open_journey, styles):
    """Each page at 375 px: nothing wider than the screen, and Tab shows where the focus is, on screen."""
    from django.contrib.auth import get_user_model

    from gallery.models import Style

    starry, wave = styles["Starry Night"], styles["The Great Wave"]
    # Long names without a break, as people pick them, must wrap rather than widen the page.
    with Image.open(STYLES_DIR / "the_scream.jpg") as image:
        Style.objects.create_from_image(image.convert("RGB"), title="Komposition" * 8, is_public=True)
    owner_journey = open_journey(PHONE, **PHONE_CONTEXT)
    frank_name, gina_name = "frank.featherstonehaugh.maximilian@example.com", "gina_" + "w" * 70
    owner_journey.sign_up(frank_name)
    frank = get_user_model().objects.get(username=frank_name)
    gina = get_user_model().objects.create_user(gina_name, password=PASSWORD)
    mine = stylized(frank, starry, CONTENT_DIR / "coffee.png", public=True)
    stylized(frank, wave, CONTENT_DIR / "chelsea.png")
    theirs = stylized(gina, wave, CONTENT_DIR / "rocket.jpg", public=True)
    signed_in = [
        ("/", "upload"),
        ("/mine/", "my-gallery"),
        ("/gallery/", "public-gallery"),
        ("/gallery/?sort=liked", "public-gallery-most-liked"),
        ("/styles/", "style-gallery"),
        ("/styles/new/", "style-upload"),
        (f"/s/{mine.pk}/", "detail-own"),
        (f"/s/{mine.pk}/restyle/", "restyle"),
        (f"/s/{theirs.pk}/", "detail-other-user"),
        (f"/u/{gina_name}/", "user-gallery"),
        (f"/report/stylization/{theirs.pk}/", "report"),
        ("/accounts/password_change/", "password-change"),
        ("/no-such-page/", "not-found"),
    ]
    anonymous_journey = open_journey(PHONE, **PHONE_CONTEXT)
    anonymous = [
        ("/", "anonymous-welcome"),
        ("/accounts/login/", "anonymous-log-in"),
        ("/accounts/signup/", "anonymous-sign-up"),
        ("/accounts/password_reset/", "anonymous-password-reset"),
        (f"/s/{theirs.pk}/", "detail-anonymous"),
    ]
    for journey, pages in ((owner_journey, signed_in), (anonymous_journey, anonymous)):
        for path, name in pages:
            journey.go(path)
            journey.no_horizontal_scroll()
            journey.shot(name)
            assert tab_through(journey) >= 2
    owner_journey.only_own_origin(expected_failures=((404, "/no-such-page/"),))
    anonymous_journey.only_own_origin()
