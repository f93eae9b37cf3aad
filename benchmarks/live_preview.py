"""The live preview and the camera in Debian's Chromium (issue 17): change-to-drawn times, camera frames per
second, where the photo's own bottleneck is best computed, and how closely the preview matches the worker.

    .venv/bin/python benchmarks/live_preview.py [--changes 20] [--sheet PATH]

Starts the site as ``bin/serve`` does (embedded default, gunicorn with DEBUG off, one worker; the pages are
cross-origin isolated, so WebAssembly runs one thread per core, up to 4) and drives headless Chromium
(WebAssembly backend) through Playwright. For each brush it moves the strength ``--changes`` times to
values not previewed before and reads each render's ``data-rendered-ms`` (the control's change to the
preview drawn, 384 px long side);
then the colours (no network run). The camera page runs on Chromium's fake camera for 10 s at 256 px.
The photo's bottleneck: the prediction network in the page (timed there) against the server's engine
(timed in this process; a request through the queue comes on top). Fidelity: the preview against the
worker's result (JPEG) and against ``stylizer.painting.paint`` itself (lossless), both downscaled to the
preview's size (Lanczos), at strengths 100 % (upload page: the preview paints the file chosen, the worker
its stored copy, a JPEG re-encoded at quality 95), then 50, 20 and 100 % again (restyle page: both paint the
stored copy) with The Starry Night (../shared/testdata/styles);
``--sheet`` writes the previews (left) beside the results (right).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.e2e import PASSWORD, REPO, running_site  # noqa: E402

PHOTO = REPO.parent / "shared" / "testdata" / "content" / "rocket.jpg"
STYLES = REPO.parent / "shared" / "testdata" / "styles"
STYLE = "Starry Night"  # a painting, from STYLES (public domain)
CHROMIUM = os.environ.get("PICSTYLIST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
BRUSH_NAMES = [name for name in os.environ.get("BENCH_BRUSHES", "bold,broad,medium,fine").split(",") if name]
BRUSHES = tuple((name, 3 if name == "fine" else None) for name in BRUSH_NAMES)  # fine: 3 changes (seconds each)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def drawn(page, after: str | None) -> None:
    page.wait_for_function(
        """(after) => { const f = document.querySelector("[data-live-preview]");
            if (f.dataset.state === "failed") throw new Error(f.innerText);
            return f.dataset.state === "drawn" && f.dataset.renderSeq !== after; }""",
        arg=after,
        timeout=300_000,
    )


def change(page, name: str, value: int) -> float:
    """Set control ``name`` to ``value``; the render's data-rendered-ms once drawn."""
    seq = page.get_attribute("[data-live-preview]", "data-render-seq")
    if not page.locator(f"#id_{name}").is_visible():
        page.locator("details.controls summary").click()
    page.locator(f"#id_{name}").fill(str(value))
    drawn(page, seq)
    return float(page.get_attribute("[data-live-preview]", "data-rendered-ms"))


def preview_pixels(page) -> np.ndarray:
    url = page.evaluate("document.querySelector('[data-live-preview] canvas').toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def sign_up(page, base: str) -> None:
    page.goto(base + "/accounts/signup/")
    page.fill("#id_username", f"bench{int(time.time())}")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def open_form(page, base: str, brush: str) -> None:
    page.goto(base + "/")
    page.set_input_files("#id_photo", str(PHOTO))
    page.locator("label.style-choice", has_text=STYLE).click()
    page.locator("details.controls summary").click()
    page.select_option("#id_brush", brush)
    drawn(page, None)


def timings(page, base: str, changes: int) -> dict[str, dict[str, float]]:
    results = {}
    for brush, limit in BRUSHES:
        # Each strength previewed once on a page (95, 90, ... 5 %; the page opens at 100 %); then a fresh page.
        steps = list(range(95, 0, -5))
        values = [steps[i % len(steps)] for i in range(limit or changes)]
        strength, colors = [], []
        for i, value in enumerate(values):
            if i % len(steps) == 0:
                open_form(page, base, brush)
            strength.append(change(page, "strength", value))
        colors = [change(page, "colors", value) for value in values]
        results[brush] = {
            "strength_median": statistics.median(strength), "strength_p95": percentile(strength, 0.95),
            "colors_median": statistics.median(colors), "colors_p95": percentile(colors, 0.95), "n": len(values),
        }  # fmt: skip
        print(brush, results[brush], flush=True)
    return results


def photo_bottleneck_in_page(page) -> float:
    """Median ms of the prediction network on a 256 px square, in the page (after one warm-up run)."""
    return page.evaluate(
        """async () => {
            const { loadNetworks } = await import("/static/picstylist/preview-network.js");
            const config = JSON.parse(document.getElementById("preview-config").textContent);
            const networks = await loadNetworks(config);
            const square = { width: 256, height: 256, data: new Uint8ClampedArray(256 * 256 * 4).fill(128) };
            await networks.bottleneck(square);
            const times = [];
            for (let i = 0; i < 10; i++) {
                const t = performance.now();
                await networks.bottleneck(square);
                times.push(performance.now() - t);
            }
            times.sort((a, b) => a - b);
            return times[5];
        }"""
    )


def django_ready() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "picstylist.settings")
    import django

    django.setup()


def photo_bottleneck_on_server() -> float:
    """Median ms of the site's engine (OpenVINO here) computing the same bottleneck in this process."""
    django_ready()
    from stylizer.runtime import get_engine

    engine = get_engine()
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    engine.style_bottleneck(photo)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        engine.style_bottleneck(photo)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def fidelity(page, base: str, sheet: Path | None) -> list[dict[str, float]]:
    django_ready()
    from stylizer.engines import OnnxEngine
    from stylizer.measures import resized
    from stylizer.painting import Controls, paint
    from stylizer.render import content_image

    rows, tiles = [], []
    open_form(page, base, "medium")
    for strength in (100, 50, 20, 100):
        if rows:  # the restyle page opens with the last strength sent, never the same as this one
            change(page, "strength", strength)
        shown = preview_pixels(page)
        style_id = page.locator('input[name="style"]:checked').get_attribute("value")
        page.locator("button", has_text=re.compile("^(Stylize|Restyle)$")).click()
        page.wait_for_url(re.compile(r"/s/[0-9a-f-]{36}/$"))
        page.locator('[data-role="status"]').filter(has_text="Done").wait_for(timeout=300_000)
        pk = page.url.rstrip("/").rsplit("/", 1)[1]
        result = page.request.get(f"{base}/s/{pk}/result/").body()
        size = (shown.shape[1], shown.shape[0])
        server = np.asarray(Image.open(io.BytesIO(result)).convert("RGB").resize(size, Image.Resampling.LANCZOS))
        bottleneck = page.request.get(f"{base}/styles/{style_id}/bottleneck/").json()["bottleneck"]
        engine = OnnxEngine()
        with PHOTO.open("rb") as file:
            photo = np.asarray(content_image(file, 1024))
        content = engine.style_bottleneck(photo)
        lossless = paint(engine, photo, Controls(strength=strength / 100, colors=1.0, brush="medium"),
                         style_bottlenecks=[np.asarray(bottleneck, np.float32)], weights=[1.0],
                         content_bottleneck=content)  # fmt: skip
        lossless = resized(lossless, size)
        row = {
            "strength": strength,
            "page": "restyle page, the stored photo" if rows else "upload page, the photo as chosen",
            "jpeg": float(np.abs(shown.astype(float) - server).mean() / 255),
            "lossless": float(np.abs(shown.astype(float) - lossless).mean() / 255),
        }
        print(row, flush=True)
        rows.append(row)
        tiles.append((shown, server))
        page.goto(base + f"/s/{pk}/restyle/")
        drawn(page, None)
    if sheet:
        height, width = tiles[0][0].shape[:2]
        canvas = Image.new("RGB", (2 * width + 8, 3 * height + 16), "white")
        for i, (shown, server) in enumerate(tiles[:3]):
            canvas.paste(Image.fromarray(shown), (0, i * (height + 8)))
            canvas.paste(Image.fromarray(server), (width + 8, i * (height + 8)))
        canvas.save(sheet, quality=90)
    return rows


def camera_fps(browser_type, base: str, state: dict) -> dict[str, float]:
    chromium = browser_type.launch(executable_path=CHROMIUM, headless=True, args=ARGS + CAMERA_ARGS)
    context = chromium.new_context(permissions=["camera"], storage_state=state)
    page = context.new_page()
    page.goto(base + "/camera/")
    page.locator("label.style-choice", has_text=STYLE).click()
    page.click("[data-role='camera-start']")
    page.wait_for_function("() => Number(document.querySelector('[data-camera]').dataset.frames) >= 3", timeout=120_000)
    first = int(page.get_attribute("[data-camera]", "data-frames"))
    started = time.perf_counter()
    time.sleep(10)
    frames = int(page.get_attribute("[data-camera]", "data-frames")) - first
    fps = frames / (time.perf_counter() - started)
    frame_ms = float(page.get_attribute("[data-camera]", "data-frame-ms"))
    chromium.close()
    return {"fps": fps, "last_frame_ms": frame_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--sheet", type=Path, default=None)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_site("embedded", gunicorn=True, styles=STYLES) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)
        sign_up(page, base)
        found = timings(page, base, args.changes)
        threads = page.get_attribute("[data-live-preview]", "data-threads")
        proxy = page.get_attribute("[data-live-preview]", "data-proxy")
        in_page = photo_bottleneck_in_page(page)
        rows = fidelity(page, base, args.sheet)
        camera = camera_fps(playwright.chromium, base, page.context.storage_state())
        browser.close()
    on_server = photo_bottleneck_on_server()
    print(f"\nChromium {browser.version}, {threads} WebAssembly thread(s), in a worker: {proxy}")
    print(f"Preview 384 px (long side); {PHOTO.name}")
    print("| brush | strength -> drawn, median / p95 (ms) | colours -> drawn, median / p95 (ms) | changes |")
    print("|---|---|---|---|")
    for brush, r in found.items():
        print(f"| {brush} | {r['strength_median']:.0f} / {r['strength_p95']:.0f} | "
              f"{r['colors_median']:.0f} / {r['colors_p95']:.0f} | {r['n']} |")  # fmt: skip
    print(f"\nPhoto bottleneck: {in_page:.0f} ms in the page (median of 10); {on_server:.0f} ms on the server's "
          "engine, before the request and the queue")  # fmt: skip
    print(f"Camera at 256 px: {camera['fps']:.1f} frames/s over 10 s (last frame {camera['last_frame_ms']:.0f} ms)")
    for row in rows:
        where = f"Fidelity at {row['strength']} % ({row['page']})"
        print(f"{where}: preview vs result JPEG {row['jpeg']:.4f}, vs the lossless painting {row['lossless']:.4f}")


if __name__ == "__main__":
    main()
