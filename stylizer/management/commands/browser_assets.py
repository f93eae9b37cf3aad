"""python manage.py browser_assets"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stylizer.browser_assets import AssetError, build


class Command(BaseCommand):
    help = (
        "Write the files the page's live preview runs (the transfer and prediction networks, onnxruntime-web "
        "from the npm registry by package-lock.json's integrity) into BROWSER_ASSETS_DIR; a no-op when up to date."
    )

    def handle(self, *args: object, **options: object) -> None:
        folder = settings.BROWSER_ASSETS_DIR
        try:
            made = build(folder, settings.BASE_DIR / "package-lock.json")
        except AssetError as exc:
            raise CommandError(str(exc)) from exc
        if made:
            self.stdout.write(f"browser assets written to {folder}")
