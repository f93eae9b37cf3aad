"""python manage.py stylize PHOTO|CLIP STYLE [STYLE ...] [--weights W ...] [--strength PERCENT]
[--brush SIZE] [--colors PERCENT] [--max-side N] [--steady PERCENT] [--engine onnx|tfhub] -o OUT

A clip (a video, or an animated GIF, WebP or PNG) is stylized frame by frame:
a video to an MP4 with its sound (OUT.mp4), an animation to an animated WebP (OUT.webp)."""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from stylizer import clips, pipeline
from stylizer.clip_render import render_clip
from stylizer.engines import EngineUnavailable, UnsupportedControl
from stylizer.painting import BRUSH_SIDES, DEFAULT_BRUSH, Controls
from stylizer.pipeline import ImageRejected
from stylizer.registry import ENGINE_NAMES
from stylizer.render import StyleSource, render
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
    help = (
        "Stylize one photo or clip with one to three style images, with the site's controls; "
        "writes JPEG (or PNG) for a photo, MP4 for a video, animated WebP for an animation."
    )

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
            default=None,
            help="long side of the output in px, at most STYLIZER_MAX_SIDE_CAP (clips: STYLIZER_CLIP_MAX_SIDE_CAP); "
            f"never upscaled (default: {settings.STYLIZER_MAX_SIDE}, clips {settings.STYLIZER_CLIP_MAX_SIDE})",
        )
        parser.add_argument(
            "--steady",
            type=percent,
            default=settings.STYLIZER_CLIP_BLEND,
            help="clips: 0-95, how much of the previous frame's result carries over where the motion allows "
            f"(0: off; default: {settings.STYLIZER_CLIP_BLEND * 100:.0f})",
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
        controls = Controls(strength=options["strength"], colors=options["colors"], brush=options["brush"])
        clip = self.clip_info(content)
        if clip is not None:
            self.stylize_clip(content, clip, styles, output, controls, options)
            return
        max_side = max_side or settings.STYLIZER_MAX_SIDE
        if not 16 <= max_side <= settings.STYLIZER_MAX_SIDE_CAP:
            raise CommandError(f"--max-side must be from 16 to {settings.STYLIZER_MAX_SIDE_CAP} px")
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

    def clip_info(self, content: Path) -> clips.ClipInfo | None:
        """The clip's :class:`stylizer.clips.ClipInfo`, or None for a photo; a bad clip stops the command."""
        try:
            with content.open("rb") as handle:
                if not clips.is_animation(handle):
                    try:
                        pipeline.inspect_image(handle, settings.STYLIZER_MAX_PIXELS)
                        return None
                    except pipeline.NotAnImage:
                        pass
                    except ImageRejected:
                        return None  # an image after all: render() says what is wrong with it
                return clips.probe_clip(handle, clips.limits_from_settings())
        except clips.NotAClip:
            return None  # neither: render() says so, in the photo's words
        except (OSError, ImageRejected) as exc:
            raise CommandError(str(exc)) from exc

    def stylize_clip(
        self,
        content: Path,
        info: clips.ClipInfo,
        styles: list[Path],
        output: Path,
        controls: Controls,
        options: dict[str, Any],
    ) -> None:
        max_side = options["max_side"] or settings.STYLIZER_CLIP_MAX_SIDE
        if not 16 <= max_side <= settings.STYLIZER_CLIP_MAX_SIDE_CAP:
            raise CommandError(f"--max-side must be from 16 to {settings.STYLIZER_CLIP_MAX_SIDE_CAP} px for a clip")
        suffix = ".mp4" if info.kind == clips.VIDEO else ".webp"
        if output.suffix.lower() != suffix:
            raise CommandError(
                f"this clip is {'a video' if suffix == '.mp4' else 'an animation'}: name the output *{suffix}"
            )
        if not 0.0 <= options["steady"] <= 0.95:
            raise CommandError("--steady must be from 0 to 95")
        weights = options["weights"] or [1.0] * len(styles)
        sources = [
            StyleSource(weight, image=io.BytesIO(path.read_bytes()))
            for weight, path in zip(weights, styles, strict=True)
        ]
        try:
            with tempfile.TemporaryDirectory(prefix="picstylist-clip-") as work:
                rendering = render_clip(
                    content,
                    info,
                    sources,
                    max_side=max_side,
                    controls=controls,
                    work_dir=work,
                    engine_name=options["engine"],
                    blend=options["steady"],
                )
                output.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(rendering.result, output)
        except (OSError, ImageRejected, EngineUnavailable, UnsupportedControl) as exc:
            raise CommandError(str(exc)) from exc
        width, height = rendering.size
        self.stdout.write(
            f"{output}: {width}x{height} px, {rendering.frames} frames ({info.seconds:.1f} s"
            f"{', with its sound' if info.has_audio else ''}), stylized in {rendering.seconds:.1f} s "
            f"({rendering.frames / rendering.seconds:.1f} frames/s, engine {options['engine']}, {rendering.encoder})"
        )
