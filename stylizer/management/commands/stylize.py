"""python manage.py stylize PHOTO STYLE [STYLE ...] [--weights W ...] [--strength PERCENT]
[--brush SIZE] [--colors PERCENT] [--max-side N] [--engine onnx|tfhub] -o OUT"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from stylizer import pipeline
from stylizer.engines import EngineUnavailable, UnsupportedControl
from stylizer.painting import BRUSH_SIDES, DEFAULT_BRUSH, Controls
from stylizer.pipeline import ImageRejected
from stylizer.registry import ENGINE_NAMES
from stylizer.render import render
from stylizer.runtime import get_engine

#: The site's mix holds at most this many styles (gallery.models.MAX_STYLES_PER_MIX).
MAX_STYLES = 3


def percent(value: str) -> float:
    """A 0-100 argument as a 0-1 fraction."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {value!r}") from None
    if not 0.0 <= number <= 100.0:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {value}")
    return number / 100.0


class Command(BaseCommand):
    help = "Stylize one photo with one to three style images, with the site's controls; writes JPEG (or PNG)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("content", type=Path, help="content image (the photo)")
        parser.add_argument("styles", type=Path, nargs="+", metavar="style", help="style images (up to 3, a mix)")
        parser.add_argument("-o", "--output", type=Path, required=True, help="output path; .png writes PNG, else JPEG")
        parser.add_argument(
            "--weights", type=float, nargs="+", help="one weight per style, any positive numbers (default: equal)"
        )
        parser.add_argument(
            "--strength", type=percent, default=1.0, help="0-100: the photo (0) to the full style (default: 100)"
        )
        parser.add_argument(
            "--brush",
            choices=list(BRUSH_SIDES),
            default=DEFAULT_BRUSH,
            help="stroke size relative to the picture (default: %(default)s, the site's)",
        )
        parser.add_argument(
            "--colors", type=percent, default=1.0, help="0-100: the photo's colours (0) to the style's (default: 100)"
        )
        parser.add_argument(
            "--max-side",
            type=int,
            default=settings.STYLIZER_MAX_SIDE,
            help="long side of the output in px, at most STYLIZER_MAX_SIDE_CAP; "
            "the photo is never upscaled (default: %(default)s)",
        )
        parser.add_argument(
            "--engine",
            choices=ENGINE_NAMES,
            default=settings.STYLIZER_ENGINE,
            help="stylization engine (default: %(default)s)",
        )

    def handle(self, *args: object, content: Path, styles: list[Path], output: Path, **options: Any) -> None:
        weights, max_side, engine = options["weights"], options["max_side"], options["engine"]
        if len(styles) > MAX_STYLES:
            raise CommandError(f"give at most {MAX_STYLES} styles, got {len(styles)}")
        if weights is not None and (len(weights) != len(styles) or min(weights) <= 0):
            raise CommandError(f"--weights needs one positive number per style ({len(styles)})")
        if not 16 <= max_side <= settings.STYLIZER_MAX_SIDE_CAP:
            raise CommandError(f"--max-side must be from 16 to {settings.STYLIZER_MAX_SIDE_CAP} px")
        controls = Controls(strength=options["strength"], colors=options["colors"], brush=options["brush"])
        try:
            started = time.perf_counter()
            get_engine(engine)
            load_seconds = time.perf_counter() - started
            style_files = [io.BytesIO(path.read_bytes()) for path in styles]
            with content.open("rb") as content_file:
                result, seconds = render(
                    content_file, style_files, max_side=max_side, weights=weights, controls=controls, engine_name=engine
                )
            image = pipeline.from_array(result)
            del result
            buffer = io.BytesIO()
            if output.suffix.lower() == ".png":
                image.save(buffer, "PNG")
            else:
                buffer.write(pipeline.encode_jpeg(image, settings.STYLIZER_JPEG_QUALITY))
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(buffer.getvalue())
        except (OSError, ImageRejected, EngineUnavailable, UnsupportedControl) as exc:
            raise CommandError(str(exc)) from exc
        width, height = image.size
        self.stdout.write(
            f"{output}: {width}x{height} px, stylized in {seconds:.2f} s "
            f"(engine {engine}, model load {load_seconds:.2f} s)"
        )
