"""The live preview in a browser (Chromium, WebAssembly): it appears once a photo and a style are chosen,
follows the strength without asking the server anything, matches the worker's render of the same recipe,
and "Stylize" sends the recipe previewed; on the upload and the restyle pages."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from ..helpers import CONTENT_DIR, STYLES_DIR
from .journey import DESKTOP

pytestmark = [pytest.mark.browser]

PHOTO = CONTENT_DIR / "astronaut.png"
#: The issue's bound on the mean difference (0-1 pixel values) between the preview and the render downscaled.
MATCH = 0.03
PREVIEW = "[data-live-preview]"


def preview_pixels(page) -> np.ndarray:
    """The preview canvas's pixels, uint8 H x W x 3."""
    url = page.evaluate("document.querySelector('[data-live-preview] canvas').toDataURL('image/png')")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGB"))


def wait_for_preview(page, after: str | None = None) -> None:
    """Until the preview is drawn (after a render whose ``data-rendered-ms`` differs from ``after``, if given)."""
    page.wait_for_function(
        """([selector, after]) => {
            const figure = document.querySelector(selector);
            if (figure.dataset.state === "failed") throw new Error(figure.innerText);
            return figure.dataset.state === "drawn" && (after === null || figure.dataset.renderSeq !== after);
        }""",
        arg=[PREVIEW, after],
        timeout=120_000,
    )


def render_seq(page) -> str:
    return page.get_attribute(PREVIEW, "data-render-seq")


def result_at_preview_size(stylization, size: tuple[int, int]) -> np.ndarray:
    """The worker's result downscaled (Lanczos) to the preview's (width, height)."""
    with stylization.result_image.open("rb") as file, Image.open(file) as image:
        return np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean() / 255.0)


def previewed_recipe(page) -> dict:
    """The recipe of the preview drawn (``data-recipe``): styles, weights, strength, colours, brush, output size."""
    recipe = json.loads(page.get_attribute(PREVIEW, "data-recipe"))
    total = sum(recipe["weights"])
    return {
        "mix": {style: round(w / total, 3) for style, w in zip(recipe["styles"], recipe["weights"], strict=True)},
        "strength": round(recipe["strength"], 2),
        "colors": round(recipe["colors"], 2),
        "brush": recipe["brush"],
        "max_side": recipe["maxSide"],
    }


def sent_recipe(row) -> dict:
    """The same for a stylization the server stored."""
    return {
        "mix": {str(w.style_id): round(w.weight, 3) for w in row.weights.all()},
        "strength": round(row.strength_percent / 100, 2),
        "colors": round(row.colors_percent / 100, 2),
        "brush": row.brush,
        "max_side": row.max_side,
    }


def set_strength(page, percent: int) -> None:
    page.locator("details.controls summary").click() if not page.locator("#id_strength").is_visible() else None
    page.locator("#id_strength").fill(str(percent))


def test_the_preview_follows_the_controls_and_matches_the_render(open_journey, styles, worker):
    from gallery.models import Stylization

    journey = open_journey(DESKTOP)
    page = journey.page
    journey.sign_up("pia")
    figure = page.locator(PREVIEW)
    assert figure.inner_text() == "Choose a photo and a style to see a live preview."

    journey.choose_photo(PHOTO)
    journey.pick_style("Starry Night")
    wait_for_preview(page)
    full = preview_pixels(page)
    assert full.shape == (384, 384, 3)  # the 512 px photo's result, shown at 384 px
    assert figure.get_attribute("data-proxy") == "true"  # the network runs in a worker, not on the page's thread
    assert int(figure.get_attribute("data-rendered-ms")) > 0
    journey.shot("preview-strength-100")

    # The strength moves: a new preview, and not one request to the server for it.
    requests = len(journey.requests)
    seq = render_seq(page)
    set_strength(page, 40)
    wait_for_preview(page, after=seq)
    weaker = preview_pixels(page)
    recipe = previewed_recipe(page)
    assert journey.requests[requests:] == []
    photo = np.asarray(Image.open(PHOTO).convert("RGB").resize((384, 384), Image.Resampling.LANCZOS))
    # 40 % lies between the photo and the full style.
    assert difference(weaker, photo) < 0.75 * difference(full, photo)
    assert difference(weaker, full) > 0.02
    journey.shot("preview-strength-40")

    # One's own style image lets go of the gallery's style (the form takes one or the other), and the
    # preview paints with it; picking a gallery style again lets go of the image.
    seq = render_seq(page)
    page.set_input_files("#id_style_image", str(STYLES_DIR / "the_scream.jpg"))
    wait_for_preview(page, after=seq)
    assert page.locator('input[name="style"]:checked').count() == 0
    assert previewed_recipe(page)["mix"] == {"own": 1.0}
    seq = render_seq(page)
    journey.pick_style("Starry Night")
    wait_for_preview(page, after=seq)
    assert page.evaluate("() => document.querySelector('#id_style_image').files.length") == 0
    assert previewed_recipe(page) == recipe

    # "Stylize" sends the recipe previewed; its result matches the preview.
    page.click("button:has-text('Stylize')")
    journey.wait_for_done()
    row = Stylization.objects.get()
    assert (row.strength_percent, row.brush, row.max_side) == (40, "medium", 1024)
    assert [w.style.title for w in row.weights.all()] == ["Starry Night"]
    assert recipe == sent_recipe(row)
    assert difference(weaker, result_at_preview_size(row, (384, 384))) < MATCH

    # The restyle page previews the stored photo: at 100 % and 15 %, and with the bold brush (whose
    # working size measures its blend weight itself), each matching its render.
    for strength, brush in ((100, "medium"), (15, "medium"), (55, "bold")):
        journey.go(f"/s/{row.pk}/restyle/")
        wait_for_preview(page)
        seq = render_seq(page)
        set_strength(page, strength)
        if brush != "medium":
            wait_for_preview(page, after=seq)
            seq = render_seq(page)
            page.select_option("#id_brush", brush)
        wait_for_preview(page, after=seq)
        shown = preview_pixels(page)
        recipe = previewed_recipe(page)
        journey.shot(f"restyle-preview-{strength}")
        page.click("button:has-text('Restyle')")
        journey.wait_for_done()
        made = Stylization.objects.latest("created")
        assert (made.strength_percent, made.brush) == (strength, brush)
        assert recipe == sent_recipe(made)
        assert difference(shown, result_at_preview_size(made, (384, 384))) < MATCH
    assert Stylization.objects.count() == 4  # nothing entered the gallery but what was sent
    journey.only_own_origin()


def test_without_webassembly_or_the_network_the_form_works_as_before(open_journey, styles, worker):
    from gallery.messages import PREVIEW_WORDS
    from gallery.models import Stylization

    # A network that fails to load (here: answered 404): the note, and the form sends as before.
    journey = open_journey(DESKTOP)
    journey.page.route("**/transfer*.onnx", lambda route: route.fulfill(status=404, body="gone"))
    journey.sign_up("quinn")
    journey.choose_photo(PHOTO)
    journey.pick_style("Starry Night")
    note = journey.page.locator(f"{PREVIEW} [data-role='preview-note']")
    note.filter(has_text=PREVIEW_WORDS["failed"]).wait_for()
    assert journey.page.locator(f"{PREVIEW} canvas").is_hidden()
    journey.shot("network-failed")
    journey.page.click("button:has-text('Stylize')")
    journey.wait_for_done()

    # No WebAssembly at all (taken away before any script of the page runs): the note, no request for
    # the runtime or the networks, and the form sends as before.
    bare = open_journey(DESKTOP)
    page = bare.page
    page.context.add_init_script("delete globalThis.WebAssembly")
    bare.go("/")
    assert page.evaluate("typeof WebAssembly") == "undefined"
    bare.sign_up("rosa")
    bare.choose_photo(PHOTO)
    bare.pick_style("The Great Wave")
    note = page.locator(f"{PREVIEW} [data-role='preview-note']")
    note.filter(has_text=PREVIEW_WORDS["no_wasm"]).wait_for()
    assert not [url for url in bare.requests if ".onnx" in url or ".wasm" in url or "ort." in url]
    page.click("button:has-text('Stylize')")
    bare.wait_for_done()
    assert Stylization.objects.filter(status="done").count() == 2
    bare.only_own_origin()


@pytest.fixture(scope="module")
def chromium_with_camera(browser):
    """Chromium with its fake camera (a moving test pattern) and camera permission granted."""
    from .journey import CHROMIUM, CHROMIUM_ARGS

    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield chromium
    chromium.close()


def test_the_camera_is_painted_live_and_a_snapshot_becomes_the_upload(
    chromium_with_camera, live_server, styles, worker, tmp_path
):
    from gallery.messages import PREVIEW_WORDS
    from gallery.models import Stylization

    from .journey import Journey

    context = chromium_with_camera.new_context(viewport=DESKTOP, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    journey = Journey(page, live_server.url, tmp_path)
    journey.sign_up("sam")
    journey.go("/camera/")
    journey.pick_style("The Great Wave")
    page.click("[data-role='camera-start']")
    camera = page.locator("[data-camera]")
    page.wait_for_function("() => Number(document.querySelector('[data-camera]').dataset.frames) >= 5")
    assert float(camera.get_attribute("data-fps")) > 0
    painted = page.evaluate("document.querySelector('.camera-painted').toDataURL('image/png')")
    with Image.open(io.BytesIO(base64.b64decode(painted.split(",", 1)[1]))) as image:
        assert max(image.size) == 256
        assert np.asarray(image.convert("L")).std() > 10  # a picture, not a blank canvas
    journey.shot("camera-live")

    page.click("[data-role='camera-snap']")
    page.wait_for_function("() => document.querySelector('[data-camera]').dataset.snapshots === '1'")
    assert camera.get_attribute("data-state") == "off"  # the photo is taken: the camera stops
    assert page.locator("[data-role='camera-note']").inner_text() == PREVIEW_WORDS["camera_taken"]
    assert page.evaluate("document.querySelector('#id_photo').files[0].type") == "image/jpeg"
    wait_for_preview(page)  # the snapshot is previewed as any photo is
    journey.shot("camera-snapshot")
    page.click("button:has-text('Stylize')")
    journey.wait_for_done()
    row = Stylization.objects.get()
    assert (row.photo.width, row.photo.height) == (640, 480) or max(row.photo.width, row.photo.height) >= 640
    assert row.photo.image.name.endswith((".jpg", ".jpeg"))
    journey.only_own_origin()
    context.close()
