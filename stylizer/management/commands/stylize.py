"""python manage.py stylize CONTENT STYLE -o OUT [--max-side N] [--engine onnx|tfhub]"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from stylizer.pipeline import ImageRejected
from stylizer.runtime import ENGINE_NAMES, EngineUnavailable, get_engine
from stylizer.tasks import render


class Command(BaseCommand):
    help = "Stylize one photo with one style image and write the result as JPEG."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("content", type=Path, help="content image (the photo)")
        parser.add_argument("style", type=Path, help="style image (the painting)")
        parser.add_argument("-o", "--output", type=Path, required=True, help="output JPEG path")
        parser.add_argument(
            "--max-side",
            type=int,
            default=settings.STYLIZER_MAX_SIDE,
            help="long side of the output in px; the photo is never upscaled (default: %(default)s)",
        )
        parser.add_argument(
            "--engine",
            choices=ENGINE_NAMES,
            default=settings.STYLIZER_ENGINE,
            help="stylization engine (default: %(default)s)",
        )

    def handle(self, *args, content: Path, style: Path, output: Path, max_side: int, engine: str, **options) -> None:
        if max_side < 16:
            raise CommandError("--max-side must be at least 16 px")
        try:
            started = time.perf_counter()
            get_engine(engine)
            load_seconds = time.perf_counter() - started
            with content.open("rb") as content_file, style.open("rb") as style_file:
                rendered = render(content_file, style_file, max_side=max_side, engine_name=engine)
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(rendered.jpeg)
        except (OSError, ImageRejected, EngineUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        width, height = rendered.size
        self.stdout.write(
            f"{output}: {width}x{height} px, stylized in {rendered.seconds:.2f} s "
            f"(engine {engine}, model load {load_seconds:.2f} s)"
        )
