"""The browser tests' journey: one page of Debian's headless Chromium (driven by Playwright) on the
live server, with numbered screenshots, a record of every request, and the steps the tests share
(sign up, upload, wait for the result, ...)."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from ..helpers import PASSWORD

CHROMIUM = os.environ.get("PICSTYLIST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
PHONE_CONTEXT = {"is_mobile": True, "has_touch": True}
DONE_TIMEOUT_MS = 120_000
MIME = {".png": "image/png", ".jpg": "image/jpeg"}
#: The address of a stylization's page.
DETAIL_URL = re.compile(r"/s/[0-9a-f-]{36}/$")


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

    def choose_photo(self, photo: Path) -> None:
        """Picks ``photo`` on the upload page (the system's file dialog)."""
        self.page.set_input_files("#id_photo", str(photo))

    def pick_style(self, title: str) -> None:
        self.page.click(f"label.style-choice:has-text('{title}')")

    def upload(self, photo: Path, style: str) -> None:
        """Sends ``photo`` in the style titled ``style`` from the upload page; on the stylization's page after."""
        self.choose_photo(photo)
        self.pick_style(style)
        self.page.click("button:has-text('Stylize')")
        self.page.wait_for_url(DETAIL_URL, timeout=60_000)

    def wait_for_done(self) -> None:
        status = self.page.locator('[data-role="status"]')
        status.filter(has_text=re.compile("Done|Failed")).wait_for(timeout=DONE_TIMEOUT_MS)
        assert status.inner_text() == "Done", self.page.locator('[data-role="error"]').inner_text()

    def first_painting(self, username: str, photo: Path, style: str):
        """Signs up as ``username``, uploads ``photo`` in ``style`` and waits until it is done; its row."""
        from gallery.models import Stylization

        self.sign_up(username)
        self.upload(photo, style)
        self.wait_for_done()
        return Stylization.objects.get()

    def focused_errors(self) -> str | None:
        """The control whose errors have the focus (``data-errors-for``), or None."""
        return self.page.evaluate("document.activeElement.getAttribute('data-errors-for')")

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

    def only_own_origin(self, expected_failures: tuple[tuple[int, str], ...] = ()) -> None:
        """Nothing came from elsewhere (no CDN); no script error or Content-Security-Policy
        violation; and no answer of 400 or more but ``expected_failures`` ((status, path) pairs)."""
        foreign = [url for url in self.requests if not url.startswith((self.base, "data:", "blob:"))]
        assert not foreign, f"requests outside the site: {foreign}"
        assert sorted(self.failed) == sorted(expected_failures), f"failed requests: {self.failed}"
        # Chromium logs each of those answers as a console error too, without its address.
        unexpected = [text for text in self.console_errors if not text.startswith("Failed to load resource:")]
        assert not unexpected, f"errors in the browser console: {unexpected}"


def drop_files(page, paths: list[Path], target: str = '[data-role="dropzone"]') -> list[bool]:
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


def slider_position(page) -> str:
    return page.evaluate(
        "getComputedStyle(document.querySelector('[data-role=compare]')).getPropertyValue('--position').trim()"
    )


def stylized(owner, style, photo: Path, public: bool = False):
    """A finished stylization of ``photo``, painted in this process by the real network."""
    from gallery.tasks import stylize_stylization

    from ..helpers import make_stylization

    stylization = make_stylization(owner, style, photo.read_bytes(), name=photo.name)
    with Image.open(photo) as image:
        stylization.photo.width, stylization.photo.height = image.size
    stylization.photo.save(update_fields=["width", "height"])
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    if public:
        stylization.set_public(True)
    return stylization


def tab_through(journey: Journey, max_tabs: int = 60) -> int:
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
