"""``bin/serve``, the README's first command, as a user runs it: start, a crash mid-job, restart, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from .helpers import CONTENT_DIR, PASSWORD, REPO

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="bin/serve runs the embedded default; .ci/run's embedded pass runs this test",
    ),
]
READY = re.compile(r"^picstylist: ready at (http://\S+) ", re.M)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Serve:
    """One ``bash bin/serve`` run in its own session, as from a terminal; output in ``log``."""

    def __init__(self, data_dir: Path, port: int, log: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY", "PICSTYLIST_DATA_DIR"}
        }
        env.update({"PICSTYLIST_DATA_DIR": str(data_dir), "PICSTYLIST_ADDRESS": f"127.0.0.1:{port}"})
        self.log = log
        self.start_offset = log.stat().st_size if log.exists() else 0
        # A terminal's shell starts it with SIGINT at its default; a process that ignores
        # SIGINT (some earlier test's child handling may leave it so) would pass the
        # ignoring on, and bash cannot trap a signal ignored on entry.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        with log.open("a") as handle:
            self.process = subprocess.Popen(
                ["bash", "bin/serve"],
                cwd=REPO,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        signal.signal(signal.SIGINT, previous)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[self.start_offset :]

    def wait_ready(self, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while not (match := READY.search(self.output())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"bin/serve did not say it was ready:\n{self.output()[-4000:]}")
            time.sleep(0.2)
        return match.group(1)


def _db(data_dir: Path, query: str, *args):
    with sqlite3.connect(data_dir / "db.sqlite3", timeout=30) as connection:
        return connection.execute(query, args).fetchone()


def _session(base: str) -> requests.Session:
    session = requests.Session()
    session.get(base + "accounts/signup/", timeout=30).raise_for_status()
    session.post(
        base + "accounts/signup/",
        data={"username": "painter", "password1": PASSWORD, "password2": PASSWORD},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": base},
        timeout=30,
    ).raise_for_status()
    return session


def _raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        received = b""
        deadline = time.monotonic() + 10
        while received.count(b"HTTP/1.1 ") < 2 and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def _kill_everything(serve: Serve, data_dir: Path) -> None:
    """SIGKILL the script and every process group it started (its pids file names them)."""
    pids_file = data_dir / "serve.pids"
    groups = [int(pid) for pid in pids_file.read_text().split()] if pids_file.exists() else []
    for group in [*groups, serve.process.pid]:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    serve.process.wait(timeout=30)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_recovers_a_job_killed_mid_run_and_stops_cleanly(tmp_path: Path):
    data_dir, port, log = tmp_path / "var", _free_port(), tmp_path / "serve.log"
    first = Serve(data_dir, port, log)
    try:
        base = first.wait_ready()
        assert base == f"http://127.0.0.1:{port}/"
        started = first.output()
        assert len(READY.findall(started)) == 1
        for noise in ("AXES: BEGIN", "superuser privileges", "No hostname was supplied", "Traceback", "ERROR"):
            assert noise not in started, noise
        key_file = data_dir / "secret_key"
        assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_text().strip()) >= 50
        key = key_file.read_text()

        # DEBUG is off: a 404 is the site's own page, without the URL patterns.
        missing = requests.get(base + "no-such-page", timeout=30)
        assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
        assert "URLconf" not in missing.text and "no-such-page" not in missing.text
        # An empty chunked POST keeps the connection in step: the next request gets its own answer.
        answers = _raw_exchange(
            port,
            b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        assert re.findall(rb"HTTP/1\.1 (\d{3})", answers) == [b"403", b"200"], answers[:400]  # CSRF refuses the POST

        # A print-size job, killed with everything else while it runs.
        big = tmp_path / "big.jpg"
        with Image.open(CONTENT_DIR / "rocket.jpg") as image:
            image.convert("RGB").resize((4096, 2731), Image.Resampling.BICUBIC).save(big, quality=90)
        session = _session(base)
        style_id = _db(data_dir, "SELECT id FROM gallery_style ORDER BY title LIMIT 1")[0]
        with big.open("rb") as photo:
            response = session.post(
                base,
                data={"style": style_id, "max_side": 4096},
                files={"photo": ("big.jpg", photo, "image/jpeg")},
                headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": base},
                allow_redirects=False,
                timeout=60,
            )
        assert response.status_code == 302, response.text[:2000]
        deadline = time.monotonic() + 60
        while _db(data_dir, "SELECT status FROM gallery_stylization")[0] != "running":
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        _kill_everything(first, data_dir)
        assert _db(data_dir, "SELECT status FROM gallery_stylization")[0] == "running"
    finally:
        _kill_everything(first, data_dir)

    restarted_at = time.monotonic()
    second = Serve(data_dir, port, log)
    try:
        second.wait_ready()
        while (row := _db(data_dir, "SELECT status, attempts, error_message FROM gallery_stylization"))[0] != "done":
            assert row[0] in {"running", "queued"}, row
            assert time.monotonic() - restarted_at < 120, f"still {row} two minutes after the restart"
            time.sleep(0.5)
        assert row[1] == 2, "taken once before the crash and once after"
        # The sweep that requeued it says so in one line; its routine runs every 15 s say nothing.
        assert "Sweep: {'dispatched': 1, 'requeued': 1, 'failed': 0}" in second.output()
        assert "Task stylizer.sweep_stylizations[" not in second.output()
        assert "Sending due task" not in second.output()
        assert (data_dir / "secret_key").read_text() == key, "the key is made once and kept"
        groups = [int(pid) for pid in (data_dir / "serve.pids").read_text().split()]

        # Ctrl-C, as a terminal sends it: SIGINT to the script's foreground process group.
        before_stop = len(second.output())
        os.killpg(second.process.pid, signal.SIGINT)
        try:
            assert second.process.wait(timeout=90) == 0
        except subprocess.TimeoutExpired:
            raise AssertionError(f"bin/serve did not stop on Ctrl-C:\n{second.output()[-4000:]}") from None
        stopping = second.output()[before_stop:]
        assert "picstylist: stopped" in stopping
        assert "ERROR" not in stopping and "Traceback" not in stopping, stopping
        time.sleep(1)
        assert not any(_alive(pid) for pid in groups), "web and worker are gone"
    finally:
        if second.process.poll() is None:
            _kill_everything(second, data_dir)
