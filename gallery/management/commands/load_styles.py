"""python manage.py load_styles FOLDER"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gallery.models import Style
from stylizer.pipeline import ImageRejected, decode_image


def title_from_filename(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().title() or path.name


def credits_from_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """File name -> {"title", "artist"} from a MANIFEST.md table.

    The table needs a header row naming the columns ``File`` and ``Title``
    (``Artist`` and ``Year`` are used when present); file cells are in backticks.
    """
    manifest = folder / "MANIFEST.md"
    if not manifest.is_file():
        return {}
    credits: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    for line in manifest.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip().startswith("|"):
            columns = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if "File" in cells and "Title" in cells:
            columns = cells
            continue
        if not columns or len(cells) != len(columns) or not cells[0].startswith("`"):
            continue
        row = dict(zip(columns, cells, strict=True))
        artist = ", ".join(part for part in (row.get("Artist", ""), row.get("Year", "")) if part)
        credits[row["File"].strip("`")] = {"title": row["Title"], "artist": artist}
    return credits


class Command(BaseCommand):
    help = (
        "Load every image of a folder as a public built-in style (skips titles that exist). "
        "Titles come from the folder's MANIFEST.md table if it has one, else from the file names."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="folder of style images")
        parser.add_argument(
            "--licence", default="", help="licence note shown with every style of the folder (default: none)"
        )

    def handle(self, *args, folder: Path, licence: str, **options) -> None:
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        created = skipped = refused = 0
        credits = credits_from_manifest(folder)
        paths = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "MANIFEST.md" and p.name[0] != ".")
        for path in paths:
            credit = credits.get(path.name, {})
            title = credit.get("title") or title_from_filename(path)
            if Style.objects.filter(owner=None, title=title).exists():
                skipped += 1
                continue
            try:
                with path.open("rb") as handle:
                    image = decode_image(handle, settings.STYLIZER_MAX_PIXELS)
            except ImageRejected as exc:
                refused += 1
                self.stdout.write(f"skipped {path.name}, not a usable image: {exc}")
                continue
            Style.objects.create_from_image(
                image, title=title, is_public=True, artist=credit.get("artist", ""), licence=licence
            )
            created += 1
            self.stdout.write(f"added {title}")
        self.stdout.write(f"{created} styles added, {skipped} already present, {refused} not usable images")
