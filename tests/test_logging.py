"""What the site logs for requests refused with 400 and for real errors, read from gunicorn's stderr."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import REPO

# A well-formed CSRF cookie, so that the POST reaches the body's parsing.
CSRF_COOKIE = "csrftoken=" + "a" * 32


@dataclass
class Server:
    port: int
    log: Path

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, list[str]]:
        """The answer's status and the lines the server wrote to stderr while answering."""
        before = self.log.stat().st_size
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        with self.log.open("rb") as log:  # Django writes the record before it answers
            log.seek(before)
            return response.status, log.read().decode().splitlines()


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def server(request, tmp_path: Path) -> Iterator[Server]:
    """gunicorn on the repository's settings, production (DEBUG off) or the embedded default's DEBUG on.

    Its database has no tables, so that a page that reads one fails with a real 500.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACES_", "DATABASE_", "CELERY_", "SENTRY_"))}
    env.update(
        DEBUG="true" if request.param else "false",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        PICSTYLIST_DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
    )
    log = tmp_path / "stderr.log"
    command = [
        sys.executable, "-m", "gunicorn", "picstylist.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--preload", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while True:  # with --preload the app is loaded before gunicorn listens
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield Server(port=port, log=log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_multipart_body_without_boundary_is_one_warning_line(server):
    status, lines = server.request(
        "POST",
        "/",
        {"Host": "127.0.0.1", "Content-Type": "multipart/form-data", "Cookie": CSRF_COOKIE},
        body=b"photo=x",
    )
    assert status == 400
    assert lines == ["WARNING django.request: Bad request (Unable to parse request body): /"]


def test_a_disallowed_host_is_one_warning_line(server):
    status, lines = server.request("GET", "/", {"Host": "evil.example"})
    assert status == 400
    assert len(lines) == 1, lines
    assert lines[0].startswith("WARNING django.security.DisallowedHost: Invalid HTTP_HOST header: 'evil.example'.")
    assert "Traceback" not in lines[0]


def test_a_server_error_keeps_its_traceback(server):
    status, lines = server.request("GET", "/u/nobody/", {"Host": "127.0.0.1"})  # no tables: a real 500
    assert status == 500
    assert lines[0] == "ERROR django.request: Internal Server Error: /u/nobody/"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "django.db.utils.OperationalError: no such table: auth_user"
    assert lines.count(lines[0]) == 1, "logged once"
