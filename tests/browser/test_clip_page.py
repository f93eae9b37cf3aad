"""A clip in the browser: the upload page checks it and previews its middle frame, the live preview paints
that frame, and once the worker is done its page plays the painted clip."""

from __future__ import annotations

import pytest

from .. import clipmaker
from .journey import DESKTOP
from .test_live_preview import PREVIEW, wait_for_preview

pytestmark = [pytest.mark.browser]


def test_a_clip_is_checked_previewed_painted_and_played(open_journey, styles, worker, tmp_path):
    from gallery.models import Stylization

    journey = open_journey(DESKTOP)
    page = journey.page
    journey.sign_up("dora")
    # Too long: refused on the page, in the server's words, before anything is sent.
    frame = clipmaker.pan((64, 64), 1)[0]
    long_clip = clipmaker.write_clip(tmp_path / "long.webm", [frame] * 32, rate=2, codec="libvpx-vp9")
    journey.choose_photo(long_clip)
    page.locator('[data-errors-for="photo"]').filter(has_text="This clip is 16.0 s long; the limit is 15 s.").wait_for()
    # A 2 s WebM with sound: its facts and its middle frame, then the live preview of that frame.
    clip = clipmaker.write_clip(
        tmp_path / "walk.webm", clipmaker.pan((320, 180), 50), codec="libvpx-vp9", audio_seconds=2.0
    )
    journey.choose_photo(clip)
    info = page.locator('[data-role="file-info"]')
    info.filter(has_text="320 × 180 px, 2.0 s: a clip, every frame painted").wait_for()
    assert page.locator('[data-errors-for="photo"]').is_hidden()
    assert page.locator('[data-role="preview"]').is_visible()
    journey.pick_style("Starry Night")
    page.locator("details.controls summary").click()
    page.select_option("#id_brush", "bold")
    page.select_option("#id_clip_side", "360")
    wait_for_preview(page)
    assert page.get_attribute(f"{PREVIEW} canvas", "width") == "320"
    journey.shot("clip-previewed")
    page.click("button:has-text('Stylize')")
    page.wait_for_url("**/s/*/", timeout=60_000)
    stylization = Stylization.objects.get()
    assert (stylization.photo.kind, stylization.max_side, stylization.brush) == ("video", 360, "bold")
    # The page follows its frames, then reloads itself to play the result.
    page.wait_for_selector("video[data-role='clip']", timeout=180_000)
    stylization.refresh_from_db()
    assert stylization.status == "done" and stylization.frames_done == 50
    duration = page.evaluate(
        """() => new Promise((resolve) => {
            const video = document.querySelector("video[data-role='clip']");
            if (video.readyState >= 1) resolve(video.duration);
            else video.addEventListener("loadedmetadata", () => resolve(video.duration), { once: true });
        })"""
    )
    assert duration == pytest.approx(2.0, abs=0.1)
    journey.shot("clip-done")
