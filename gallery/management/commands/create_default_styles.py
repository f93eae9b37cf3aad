"""python manage.py create_default_styles"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from gallery.models import Style
from stylizer.textures import GENERATORS


class Command(BaseCommand):
    help = "Create the built-in procedural styles (mosaic, strokes, waves, dots) that are missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size", type=int, default=512, help="side of each style image in px (default: %(default)s)"
        )

    def handle(self, *args, size: int, **options) -> None:
        created = 0
        for title, generator in GENERATORS.items():
            if Style.objects.filter(owner=None, title=title).exists():
                continue
            Style.objects.create_from_image(
                generator(size),
                title=title,
                is_public=True,
                artist="PicStylist (procedural texture)",
                licence="Made by PicStylist; free to use.",
            )
            created += 1
        self.stdout.write(f"{created} default styles created, {len(GENERATORS) - created} already present")
