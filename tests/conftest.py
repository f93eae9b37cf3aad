"""Personas, real test images, and a real Celery worker process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Passwords hashed with one quick round in this process's tests, as Django's testing docs advise:
    PBKDF2 takes about 0.2 s per user made or log-in checked here, several hundred times in the
    suite. The site (and ``bin/serve`` in tests/test_serve.py) keeps Django's default hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache, as with an empty database: the rate-limit
    counters (sign-ups per address) are kept there, and would otherwise carry over
    from earlier tests and earlier runs (the file cache lives under ``var/test/``)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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
def published_tasks():
    """Ids of the stylizations whose task this process sent to the (real) broker during the test."""
    from celery.signals import before_task_publish

    sent: list[str] = []

    def record(sender, body, **kwargs):
        sent.append(body[0][0])

    before_task_publish.connect(record, sender="stylizer.stylize_stylization")
    yield sent
    before_task_publish.disconnect(record, sender="stylizer.stylize_stylization")


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> str:
    """A real S3-compatible HTTP server (moto's server mode) on 127.0.0.1, in its own process.

    Yields its endpoint URL. Skips, with the reason, where moto is not installed.
    """
    try:
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("moto[server] is not installed: the S3 storage tests need it (pip install -r requirements-dev.txt)")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"The moto S3 server did not start on {endpoint}")
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def s3(s3_server: str, settings, worker_env: dict[str, str]):
    """S3 storage as the default storage, on a fresh bucket of the test server.

    Sets the same storage for this process (``settings.STORAGES``) and for a
    worker started by ``celery_worker_process`` (its environment). Yields an
    :class:`S3Bucket`.
    """
    import boto3

    from picstylist.storages import spaces_storage

    bucket = f"picstylist-test-{uuid.uuid4().hex[:12]}"
    env = {
        "SPACES_BUCKET": bucket,
        "SPACES_REGION": "nyc3",
        "SPACES_ENDPOINT_URL": s3_server,
        "SPACES_ACCESS_KEY_ID": "test-access-key",
        "SPACES_SECRET_ACCESS_KEY": "test-secret-key",
        "SPACES_ADDRESSING_STYLE": "path",
        "SPACES_CDN_DOMAIN": "cdn.example.test",
        "SPACES_MAX_ATTEMPTS": "1",
        "STYLIZER_STORAGE_RETRIES": "3",
        "STYLIZER_STORAGE_RETRY_DELAY": "0.2",
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="nyc3",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
    )
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "nyc3"})

    def configure(endpoint: str = s3_server) -> None:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": spaces_storage(
                bucket=bucket,
                region="nyc3",
                endpoint_url=endpoint,
                access_key="test-access-key",
                secret_key="test-secret-key",
                cdn_domain="cdn.example.test",
                addressing_style="path",
                max_attempts=1,
            ),
        }
        worker_env.update({**env, "SPACES_ENDPOINT_URL": endpoint})

    configure()
    settings.STYLIZER_STORAGE_RETRIES = 3
    settings.STYLIZER_STORAGE_RETRY_DELAY = 0.2
    yield S3Bucket(name=bucket, client=client, endpoint=s3_server, configure=configure)


@dataclass
class S3Bucket:
    name: str
    client: object
    endpoint: str
    configure: Callable[..., None]

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra environment for the worker process started by ``celery_worker_process``."""
    return {}


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path: Path, worker_env: dict[str, str]):
    """A real ``celery worker`` process (prefork, one child) on the test database and media folder.

    Yields the path of the worker's log (its main pid is in ``worker.pid`` beside
    it). The worker drops messages left in the queue by earlier tests
    (``--purge``) before it takes new ones.
    """
    yield from _celery_worker(tmp_path / "worker.log", settings.MEDIA_ROOT, worker_env)


@pytest.fixture(scope="module")
def shared_media_root(tmp_path_factory) -> Path:
    """One media folder for all the tests of a module that share ``shared_celery_worker``."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def shared_celery_worker(django_db_setup, shared_media_root: Path, tmp_path_factory):
    """``celery_worker_process`` started once for a module's tests, on ``shared_media_root``.

    For tests that need no fresh worker: each must use ``shared_media_root`` as its
    ``MEDIA_ROOT`` (as ``tests/browser/conftest.py`` does) and ``transactional_db``,
    and leave no job for the next test (the worker takes whatever is queued).
    """
    yield from _celery_worker(tmp_path_factory.mktemp("worker") / "worker.log", shared_media_root, {})


def _celery_worker(log_path: Path, media_root: Path, worker_env: dict[str, str], queues: str = ""):
    env = {
        **os.environ,
        "DATABASE_URL": _worker_database_url(),
        "MEDIA_ROOT": str(media_root),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
        **worker_env,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "picstylist", "worker",
        "--pool=prefork", "--concurrency=1", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--purge",
        "--queues", queues or f"celery,{django_settings.STYLIZER_CLIP_QUEUE}",
        "--hostname", f"test-{os.getpid()}@%h",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    # Beside the log: the main process's pid, so that tests signal this worker and no other on the machine.
    log_path.with_name("worker.pid").write_text(str(process.pid))
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield log_path
    finally:
        # The test is over: the worker and its child go at once (SIGKILL to its process group).
        # A warm or cold shutdown waited 4-5 s for the pool to close, for each of the suite's workers.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # a test killed it already
        process.wait(timeout=30)
