"""Fixtures of the browser tests: Chromium (one per module), the styles, a Celery worker shared by
the tests of a module, and ``open_journey``, which opens a page whose screenshots go to the
folder printed at the start of the test (``var/test/screenshots/<test>/``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image

from ..helpers import STYLES_DIR
from .journey import CHROMIUM, CHROMIUM_ARGS, Journey


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


@pytest.fixture(autouse=True)
def not_isolated(settings):
    """Pages without Cross-Origin-Embedder-Policy in the browser tests. The live server serves static files
    itself, without the project's middleware, so with it the preview's workers would be refused and the
    network would run on the page's thread; without it the page runs the network in a worker, as production
    does (production also isolates the page and runs threads: benchmarks/live_preview.py measures that)."""
    settings.CROSS_ORIGIN_EMBEDDER_POLICY = ""


@pytest.fixture(autouse=True)
def media_root(settings, shared_media_root: Path) -> Path:
    """The module's media folder, which its shared worker (``worker``) reads and writes too."""
    settings.MEDIA_ROOT = shared_media_root
    return shared_media_root


@pytest.fixture
def worker(transactional_db, shared_celery_worker: Path) -> Path:
    """The module's real Celery worker (started by its first test), on the test database."""
    return shared_celery_worker


@pytest.fixture
def styles(transactional_db):
    from gallery.models import Style

    made = {}
    for title, name in (("Starry Night", "starry_night.jpg"), ("The Great Wave", "great_wave_off_kanagawa.jpg")):
        with Image.open(STYLES_DIR / name) as image:
            made[title] = Style.objects.create_from_image(image.convert("RGB"), title=title, is_public=True)
    return made


@pytest.fixture
def open_journey(browser, live_server, request):
    """``open_journey(viewport, **context_options)``: a new browser context's page, as a :class:`Journey`.

    The test's screenshot folder is emptied, and printed, on the first call.
    """
    folder = Path(django_settings.DATA_DIR) / "screenshots" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[screenshots] {folder}")

    def open_page(viewport: dict, **context_options) -> Journey:
        context = browser.new_context(viewport=viewport, **context_options)
        request.addfinalizer(context.close)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return Journey(page, live_server.url, folder)

    return open_page
