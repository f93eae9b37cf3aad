"""The upload page in a browser: the checks before sending (in the server's words), the server's
own errors inline, drag and drop with a preview, and the style controls with a mix's weights."""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from PIL import Image

from ..helpers import CONTENT_DIR, png_bytes
from .journey import DESKTOP, drop_files

pytestmark = [pytest.mark.browser]


def test_files_are_checked_before_sending_and_by_the_server(open_journey, styles, tmp_path):
    from gallery.models import Stylization

    journey = open_journey(DESKTOP)
    page = journey.page
    journey.sign_up("carol")
    journey.shot("upload-page")

    # Inline errors before sending: not an image (by its first bytes, whatever its name), a
    # damaged one, a format we do not take, over the size limit.
    photo_errors = page.locator('[data-errors-for="photo"]')
    for name, content, message in (
        ("notes.txt", b"not a photo", "“notes.txt” is not an image we can read."),
        ("holiday.jpg", b"just text named like a photo", "“holiday.jpg” is not an image we can read."),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"not the rest of a JPEG" * 4, "This image file is damaged or incomplete"),
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'/>", "is not an image we can"),
        ("icon.png", png_bytes(20, 20), "This image is 20 x 20 px; it needs at least 32 px on each side."),
        (
            "strip.png",
            png_bytes(2000, 40),
            "This photo is 2000 × 40 px; at 1024 px on its long side the result would be 1024 × 20 px, "
            "and each side needs at least 32 px. Choose a larger output size or a less elongated photo "
            "(at most 32:1 at 1024 px).",
        ),
        # a GIF whose header declares 60000 x 60000 px: refused from its header, never decoded
        ("bomb.gif", b"GIF89a" + (60000).to_bytes(2, "little") * 2 + bytes(32), "(3600 megapixels); the limit is 50"),
        (
            "huge.jpg",
            b"\xff\xd8\xff" + bytes(django_settings.MAX_UPLOAD_BYTES + 5 * 1024 * 1024),
            "This file is 30.0 MB; the limit is 25.0 MB.",
        ),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        journey.choose_photo(path)
        photo_errors.filter(has_text=message).wait_for()
        assert page.locator('[data-role="preview"]').is_hidden()
    journey.shot("upload-error-too-big")
    posts = len(journey.posts)
    page.click("button:has-text('Stylize')")  # refused on the page: nothing is sent
    assert journey.focused_errors() == "photo"
    assert "This file is 30.0 MB" in photo_errors.inner_text()
    style_errors = page.locator('[data-errors-for="style"]')
    assert style_errors.inner_text() == "Pick a style or upload your own style image."
    journey.pick_style("Starry Night")
    assert style_errors.is_hidden(), "picking a style clears its error"
    assert len(journey.posts) == posts, "nothing was sent"

    # ... and after sending: a TIFF header, which browsers cannot preview, so only the server can tell.
    scan = tmp_path / "scan.tif"
    whole = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(whole, "TIFF")
    scan.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])  # cut short
    journey.choose_photo(scan)
    page.locator('[data-role="file-info"]').filter(has_text="checked when you send it").wait_for()
    assert photo_errors.is_hidden()
    page.click("button:has-text('Stylize')")
    photo_errors.filter(has_text="damaged or incomplete").wait_for()
    assert journey.focused_errors() == "photo"
    assert page.url == journey.base + "/"
    assert Stylization.objects.count() == 0
    journey.shot("upload-error-from-server")
    # the one failed request: the server's 400 answer to the damaged TIFF sent on purpose
    journey.only_own_origin(expected_failures=((400, "/"),))


def test_drop_preview_and_style_controls(open_journey, styles):
    journey = open_journey(DESKTOP)
    page = journey.page
    journey.sign_up("carol")
    photo_errors = page.locator('[data-errors-for="photo"]')

    # Drag and drop a photo: an immediate preview at the photo's own size. Two dropped at
    # once: the first is the one previewed and sent.
    assert drop_files(page, [CONTENT_DIR / "astronaut.png", CONTENT_DIR / "rocket.jpg"]) == [True, True, True]
    preview = page.locator('[data-role="preview"]')
    preview.wait_for()
    assert page.evaluate("document.querySelector('[data-role=preview]').naturalWidth") == 512
    assert photo_errors.is_hidden()
    file_info = page.locator('[data-role="file-info"]')
    file_info.filter(has_text="(one photo at a time: 1 more not used)").wait_for()
    assert file_info.inner_text().startswith("astronaut.png, 773 KB, 512 × 512 px")
    assert page.evaluate("document.querySelector('#id_photo').files.length") == 1
    # a file dropped beside the drop zone is not opened in place of the page
    assert drop_files(page, [CONTENT_DIR / "rocket.jpg"], "h1")[1:] == [True, True]
    assert page.url == journey.base + "/"
    journey.pick_style("Starry Night")
    assert page.is_checked(f"input[name=style][value='{styles['Starry Night'].pk}']")
    journey.shot("upload-preview-style-chosen")

    # The style controls, folded away with their defaults: full strength, one style, the
    # photo's own look replaced, the site's default output size.
    assert page.locator("#id_strength").is_hidden()
    page.click("summary:has-text('Style controls')")
    assert page.input_value("#id_strength") == "100"
    assert page.locator('[data-role="strength-value"]').inner_text() == "100"
    assert page.input_value("#id_second_style") == ""
    assert page.locator("#id_second_style option:checked").inner_text() == "No mix"
    assert page.input_value("#id_colors") == "100"
    assert page.input_value("#id_brush") == "medium"
    assert page.input_value("#id_max_side") == str(django_settings.STYLIZER_MAX_SIDE)
    # A mix's weights show once there is a style to mix with.
    mix_controls = ("main_weight", "second_weight", "third_style", "third_weight")
    assert [page.locator(f".control-{name}").is_visible() for name in mix_controls] == [False] * 4
    journey.shot("upload-style-controls")
    page.select_option("#id_second_style", label="The Great Wave")
    assert [page.locator(f".control-{name}").is_visible() for name in mix_controls] == [True, True, True, False]

    # The weights show as shares of the mix, adding up to 100 %, while they are set.
    def shares() -> list[str]:
        return [
            page.locator(f'output[data-weight="{name}"]').inner_text()
            for name in ("main_weight", "second_weight", "third_weight")
        ]

    assert shares() == ["= 67 % of the mix", "= 33 % of the mix", ""]
    page.fill("#id_main_weight", "25")
    assert shares() == ["= 33 % of the mix", "= 67 % of the mix", ""]
    page.fill("#id_main_weight", "100")
    page.locator("#id_colors").fill("40")
    assert page.locator('[data-role="colors-value"]').inner_text() == "40"
    page.locator("#id_colors").fill("100")
    # The same style twice in a mix: refused under that control, before anything is sent.
    page.select_option("#id_second_style", label="Starry Night")
    posts = len(journey.posts)
    page.click("button:has-text('Stylize')")
    twice = page.locator('[data-errors-for="second_style"]')
    twice.filter(has_text="Pick different styles to mix: this one is already in the mix.").wait_for()
    assert journey.focused_errors() == "second_style"
    journey.shot("upload-error-same-style-twice")
    page.select_option("#id_second_style", "")
    assert twice.is_hidden()
    assert [page.locator(f".control-{name}").is_visible() for name in mix_controls] == [False] * 4
    assert len(journey.posts) == posts, "nothing was sent"
    journey.only_own_origin()
