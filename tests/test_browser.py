"""The site in a real browser: Debian's headless Chromium driven by Playwright.

A live server (pytest-django's, on the test database) and a real Celery
worker process. Each step writes a screenshot to the folder printed at the
start of the test (``var/test/screenshots/<test>/``), at desktop (1280 px)
and phone (375 px) width.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image

from .helpers import CONTENT_DIR, PASSWORD, STYLES_DIR, png_bytes, wait_for_status

CHROMIUM = os.environ.get("PICSTYLIST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
DONE_TIMEOUT_MS = 120_000
MIME = {".png": "image/png", ".jpg": "image/jpeg"}

pytestmark = [pytest.mark.worker, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install chromium chromium-driver` "
            "(bin/test does it where apt-get is available)."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of
    # the test itself are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def styles(transactional_db):
    from gallery.models import Style

    made = {}
    for title, name in (("Starry Night", "starry_night.jpg"), ("The Great Wave", "great_wave_off_kanagawa.jpg")):
        with Image.open(STYLES_DIR / name) as image:
            made[title] = Style.objects.create_from_image(image.convert("RGB"), title=title, is_public=True)
    return made


class Journey:
    """One browser page on the live server, with numbered screenshots and a record of every request."""

    def __init__(self, page, base: str, folder: Path) -> None:
        self.page, self.base, self.folder, self.step = page, base, folder, 0
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[tuple[int, str]] = []  # (HTTP status, path) of every answer of 400 or more
        self.posts: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("request", lambda request: request.method == "POST" and self.posts.append(request.url))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.failed.append((response.status, response.url.removeprefix(self.base)))
            ),
        )
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_up(self, username: str) -> None:
        self.go("/accounts/signup/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password1", PASSWORD)
        self.page.fill("#id_password2", PASSWORD)
        self.page.click("button:has-text('Create my account')")
        self.page.wait_for_url(self.base + "/")
        assert self.page.locator(".messages").inner_text().startswith(f"Welcome, {username}!")

    def no_horizontal_scroll(self) -> None:
        """Nothing is wider than the window, and no image sticks out of its box."""
        # clientWidth is the layout width (375 px on the phone); a phone browser zooms out to show
        # a page that is too wide, so window.innerWidth grows with the page and would hide it.
        overflow = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{self.page.url} is {overflow} px wider than the window"
        sticking_out = self.page.evaluate(
            """() => Array.from(document.querySelectorAll("main img")).filter((img) => {
                const box = img.getBoundingClientRect(), parent = img.parentElement.getBoundingClientRect();
                return box.width > 0 && box.right > parent.right + 1;
            }).map((img) => img.outerHTML.slice(0, 80))"""
        )
        assert not sticking_out, f"images wider than their box on {self.page.url}: {sticking_out}"

    def wait_for_done(self) -> None:
        status = self.page.locator('[data-role="status"]')
        status.filter(has_text=re.compile("Done|Failed")).wait_for(timeout=DONE_TIMEOUT_MS)
        assert status.inner_text() == "Done", self.page.locator('[data-role="error"]').inner_text()

    def only_own_origin(self, expected_failures: tuple[tuple[int, str], ...] = ()) -> None:
        """Nothing came from elsewhere (no CDN); no script error or Content-Security-Policy
        violation; and no answer of 400 or more but ``expected_failures`` ((status, path) pairs)."""
        foreign = [url for url in self.requests if not url.startswith((self.base, "data:", "blob:"))]
        assert not foreign, f"requests outside the site: {foreign}"
        assert sorted(self.failed) == sorted(expected_failures), f"failed requests: {self.failed}"
        # Chromium logs each of those answers as a console error too, without its address.
        unexpected = [text for text in self.console_errors if not text.startswith("Failed to load resource:")]
        assert not unexpected, f"errors in the browser console: {unexpected}"


def _journey(browser, live_server, request, viewport: dict, **context_options) -> Journey:
    folder = Path(django_settings.DATA_DIR) / "screenshots" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[screenshots] {folder}")
    context = browser.new_context(viewport=viewport, **context_options)
    request.addfinalizer(context.close)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return Journey(page, live_server.url, folder)


def _drop_files(page, paths: list[Path], target: str = '[data-role="dropzone"]') -> list[bool]:
    """Drop ``paths`` on ``target``, as dragging them from the desktop does.

    Returns, for each of dragenter, dragover and drop, whether the page cancelled
    the browser's own handling (opening the file in place of the page).
    """
    return page.evaluate(
        """([files, target]) => {
            const transfer = new DataTransfer();
            for (const [data, name, type] of files) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            const element = document.querySelector(target);
            return ["dragenter", "dragover", "drop"].map((kind) => !element.dispatchEvent(
                new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true })
            ));
        }""",
        [[[base64.b64encode(p.read_bytes()).decode(), p.name, MIME[p.suffix]] for p in paths], target],
    )


@contextmanager
def paused_worker():
    """Stop this test's Celery worker processes (SIGSTOP) for the block, then let them go on."""
    pids = [
        int(pid)
        for pid in subprocess.run(
            ["pgrep", "-f", f"hostname test-{os.getpid()}@"], capture_output=True, text=True
        ).stdout.split()
    ]
    assert pids, "the worker processes were not found"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def _slider_position(page) -> str:
    return page.evaluate(
        "getComputedStyle(document.querySelector('[data-role=compare]')).getPropertyValue('--position').trim()"
    )


def test_desktop_sign_up_upload_watch_compare_publish_restyle(
    browser, live_server, styles, celery_worker_process, request, tmp_path
):
    from gallery.models import Stylization

    journey = _journey(browser, live_server, request, DESKTOP)
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
        page.set_input_files("#id_photo", str(path))
        photo_errors.filter(has_text=message).wait_for()
        assert page.locator('[data-role="preview"]').is_hidden()
    journey.shot("upload-error-too-big")
    posts = len(journey.posts)
    page.click("button:has-text('Stylize')")  # refused on the page: nothing is sent
    assert page.evaluate("document.activeElement.getAttribute('data-errors-for')") == "photo"
    assert "This file is 30.0 MB" in photo_errors.inner_text()
    style_errors = page.locator('[data-errors-for="style"]')
    assert style_errors.inner_text() == "Pick a style or upload your own style image."
    page.click("label.style-choice:has-text('Starry Night')")
    assert style_errors.is_hidden(), "picking a style clears its error"
    assert len(journey.posts) == posts, "nothing was sent"
    # ... and after sending: a TIFF header, which browsers cannot preview, so only the server can tell.
    scan = tmp_path / "scan.tif"
    whole = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(whole, "TIFF")
    scan.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])  # cut short
    page.set_input_files("#id_photo", str(scan))
    page.locator('[data-role="file-info"]').filter(has_text="checked when you send it").wait_for()
    assert photo_errors.is_hidden()
    page.click("button:has-text('Stylize')")
    photo_errors.filter(has_text="damaged or incomplete").wait_for()
    assert page.evaluate("document.activeElement.getAttribute('data-errors-for')") == "photo"
    assert page.url == journey.base + "/"
    assert Stylization.objects.count() == 0
    journey.shot("upload-error-from-server")

    # Drag and drop a photo: an immediate preview at the photo's own size. Two dropped at
    # once: the first is the one previewed and sent.
    photo = CONTENT_DIR / "astronaut.png"
    assert _drop_files(page, [photo, CONTENT_DIR / "rocket.jpg"]) == [True, True, True]
    preview = page.locator('[data-role="preview"]')
    preview.wait_for()
    assert page.evaluate("document.querySelector('[data-role=preview]').naturalWidth") == 512
    assert photo_errors.is_hidden()
    file_info = page.locator('[data-role="file-info"]')
    file_info.filter(has_text="(one photo at a time: 1 more not used)").wait_for()
    assert file_info.inner_text().startswith("astronaut.png, 773 KB, 512 × 512 px")
    assert page.evaluate("document.querySelector('#id_photo').files.length") == 1
    # a file dropped beside the drop zone is not opened in place of the page
    assert _drop_files(page, [CONTENT_DIR / "rocket.jpg"], "h1")[1:] == [True, True]
    assert page.url == journey.base + "/"
    page.click("label.style-choice:has-text('Starry Night')")
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
    assert page.evaluate("document.activeElement.getAttribute('data-errors-for')") == "second_style"
    journey.shot("upload-error-same-style-twice")
    page.select_option("#id_second_style", "")
    assert twice.is_hidden()
    assert [page.locator(f".control-{name}").is_visible() for name in mix_controls] == [False] * 4
    assert len(journey.posts) == posts, "nothing was sent"

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
    page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"), timeout=60_000)
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
    assert _slider_position(page) == "50%"
    box = compare.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    assert 15 <= int(page.input_value('[data-role="compare-range"]')) <= 25
    journey.shot("detail-slider-mouse")
    page.focus('[data-role="compare-range"]')
    page.keyboard.press("End")
    assert _slider_position(page) == "100%"
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    assert _slider_position(page) == "90%"
    clip = page.evaluate("getComputedStyle(document.querySelector('[data-role=before-clip]')).clipPath")
    assert clip == "inset(0px 10% 0px 0px)"
    journey.shot("detail-slider-keyboard")
    download = page.get_attribute('[data-role="download"]', "href")
    assert page.request.get(journey.base + download).headers["content-disposition"].startswith("attachment")

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
        page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"))
        second = Stylization.objects.exclude(pk=first.pk).get()
        assert page.url == f"{journey.base}/s/{second.pk}/"
        queue = page.locator('[data-role="queue"]')
        # one stylization has finished, so the wait is estimated from its time
        queue.filter(has_text=re.compile(r"^next in line, ready in about (a second|\d+ s)$")).wait_for()
        assert page.locator('[data-role="status"]').inner_text() == "Queued"
        journey.shot("restyle-queued")
        # the worker does not come: 10 s past the estimate the page stops promising it
        queue.filter(has_text="next in line, taking longer than expected").wait_for(timeout=30_000)
        journey.shot("restyle-queued-late")
    assert second.photo_id == first.photo_id
    assert second.style == styles["The Great Wave"]
    journey.wait_for_done()
    journey.shot("restyle-done")
    # the one failed request: the server's 400 answer to the damaged TIFF sent on purpose
    journey.only_own_origin(expected_failures=((400, "/"),))


def test_phone_and_keyboard_only(browser, live_server, styles, celery_worker_process, request):
    from gallery.models import Stylization

    journey = _journey(browser, live_server, request, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = journey.page
    journey.sign_up("dave")
    journey.no_horizontal_scroll()
    journey.shot("phone-upload-page")

    # Picking the file is the one step a keyboard hands to the system's file dialog.
    page.set_input_files("#id_photo", str(CONTENT_DIR / "rocket.jpg"))
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
        page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"))
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
    assert _slider_position(page) == "0%"
    page.keyboard.press("PageUp")
    assert _slider_position(page) != "0%"
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


def test_running_and_failed_show_live(browser, live_server, styles, celery_worker_process, request, tmp_path):
    """The two states the main journey passes too quickly to see: running, and failed with its reason."""
    from gallery.models import Stylization

    journey = _journey(browser, live_server, request, DESKTOP)
    page = journey.page
    journey.sign_up("erin")
    status, queue = page.locator('[data-role="status"]'), page.locator('[data-role="queue"]')
    waiting_text = page.locator('[data-role="waiting-text"]')

    # Failed: the photo's stored file is lost while the job waits in line.
    page.set_input_files("#id_photo", str(CONTENT_DIR / "coffee.png"))
    page.click("label.style-choice:has-text('Starry Night')")
    with paused_worker():
        page.click("button:has-text('Stylize')")
        page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"))
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
    page.set_input_files("#id_photo", str(big))
    page.click("label.style-choice:has-text('The Great Wave')")
    page.click("summary:has-text('Style controls')")
    page.select_option("#id_max_side", "2048")
    page.click("button:has-text('Stylize')")
    page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"), timeout=60_000)
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


def _stylized(owner, style, photo: Path, public: bool = False):
    """A finished stylization of ``photo``, painted in this process by the real network."""
    from stylizer.tasks import stylize_stylization

    from .helpers import make_stylization

    stylization = make_stylization(owner, style, photo.read_bytes(), name=photo.name)
    with Image.open(photo) as image:
        stylization.photo.width, stylization.photo.height = image.size
    stylization.photo.save(update_fields=["width", "height"])
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    if public:
        stylization.set_public(True)
    return stylization


def _tab_through(journey, max_tabs: int = 60) -> int:
    """Tab through the page from the top; every element that takes focus shows it, on screen.

    Returns how many elements took focus before it came round to the start.
    """
    page = journey.page
    # Start from the top of the document, as a page freshly opened (an autofocus field aside).
    page.evaluate(
        """() => { const body = document.body; body.tabIndex = -1; body.focus();
                   body.removeAttribute("tabindex"); window.scrollTo(0, 0); }"""
    )
    seen = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                // The outline is on the element, or (for the comparison slider's invisible range) on its box.
                let shown = null;
                for (let node = el, depth = 0; node && depth < 3; node = node.parentElement, depth++) {
                    const style = getComputedStyle(node);
                    if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 && style.opacity !== "0") {
                        shown = node; break;
                    }
                }
                const box = (shown || el).getBoundingClientRect(), [w, h] = [window.innerWidth, window.innerHeight];
                return {
                    html: el.outerHTML.slice(0, 100), visible: !!shown,
                    onScreen: box.bottom > 0 && box.top < h && box.right > 0 && box.left < w,
                };
            }"""
        )
        if focused is None or (seen and focused["html"] == seen[0]["html"]):
            break
        assert focused["visible"], f"no visible focus on {focused['html']} at {page.url}"
        assert focused["onScreen"], f"focus off screen on {focused['html']} at {page.url}"
        seen.append(focused)
    assert seen and "Skip to content" in seen[0]["html"], f"the first Tab does not reach the skip link on {page.url}"
    return len(seen)


def test_every_page_fits_a_phone_and_shows_keyboard_focus(browser, live_server, styles, request):
    """Each page at 375 px: nothing wider than the screen, and Tab shows where the focus is, on screen."""
    from django.contrib.auth import get_user_model

    from gallery.models import Style

    starry, wave = styles["Starry Night"], styles["The Great Wave"]
    # Long names without a break, as people pick them, must wrap rather than widen the page.
    with Image.open(STYLES_DIR / "the_scream.jpg") as image:
        Style.objects.create_from_image(image.convert("RGB"), title="Komposition" * 8, is_public=True)
    owner_journey = _journey(browser, live_server, request, PHONE, is_mobile=True, has_touch=True)
    frank_name, gina_name = "frank.featherstonehaugh.maximilian@example.com", "gina_" + "w" * 70
    owner_journey.sign_up(frank_name)
    frank = get_user_model().objects.get(username=frank_name)
    gina = get_user_model().objects.create_user(gina_name, password=PASSWORD)
    mine = _stylized(frank, starry, CONTENT_DIR / "coffee.png", public=True)
    _stylized(frank, wave, CONTENT_DIR / "chelsea.png")
    theirs = _stylized(gina, wave, CONTENT_DIR / "rocket.jpg", public=True)
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
    anonymous_journey = _journey(browser, live_server, request, PHONE, is_mobile=True, has_touch=True)
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
            assert _tab_through(journey) >= 2
    owner_journey.only_own_origin(expected_failures=((404, "/no-such-page/"),))
    anonymous_journey.only_own_origin()


def test_without_javascript_the_form_posts_and_the_page_reloads_until_done(
    browser, live_server, styles, celery_worker_process, request
):
    """With scripts off: the form posts as a plain form, the page reloads itself until the
    result is there, and the result shows at its size (the comparison box needs no script)."""
    from gallery.models import Stylization

    journey = _journey(browser, live_server, request, DESKTOP, java_script_enabled=False)
    page = journey.page
    journey.sign_up("hana")
    page.set_input_files("#id_photo", str(CONTENT_DIR / "chelsea.png"))
    page.click("label.style-choice:has-text('Starry Night')")
    with paused_worker():
        page.click("button:has-text('Stylize')")
        page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"))
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
