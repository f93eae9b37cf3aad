"""Personas, real test images, and a real Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from PIL import Image

from .helpers import PASSWORD, REPO, SHARED, STYLES_DIR


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (SHARED / "content").is_dir():
        pytest.exit(
            f"The shared test images are missing: {SHARED} has no content/ folder. "
            "Check the project out beside ../shared, or set PICSTYLIST_TESTDATA.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("carol", "carol@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def public_style(db):
    from gallery.models import Style

    with Image.open(STYLES_DIR / "starry_night.jpg") as image:
        return Style.objects.create_from_image(image.convert("RGB"), title="Starry Night", is_public=True)


def _worker_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    host = f"{credentials}@" if credentials else ""
    return f"postgres://{host}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path: Path):
    """A real ``celery worker`` process (prefork, one child) on the test database and media folder.

    Yields the path of the worker's log. The worker drops messages left in the
    queue by earlier tests (``--purge``) before it takes new ones.
    """
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _worker_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "picstylist", "worker",
        "--pool=prefork", "--concurrency=1", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--purge",
        "--hostname", f"test-{os.getpid()}@%h",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
