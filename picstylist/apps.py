"""The project's own app: it makes the embedded default's folders when Django starts, never at import."""

from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


def data_folders() -> list[Path]:
    """Folders the embedded default writes into that nothing else creates: the SQLite database's
    folder and the filesystem broker's folders (empty when PostgreSQL and Redis are used)."""
    folders = []
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        folders.append(Path(database["NAME"]).parent)
        test_name = database.get("TEST", {}).get("NAME")
        if test_name:
            folders.append(Path(test_name).parent)
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
            folders.append(Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key])))
    return folders


class PicStylistConfig(AppConfig):
    name = "picstylist"
    verbose_name = "PicStylist"

    def ready(self) -> None:
        for folder in [*data_folders(), Path(settings.BROWSER_ASSETS_DIR)]:
            folder.mkdir(parents=True, exist_ok=True)
