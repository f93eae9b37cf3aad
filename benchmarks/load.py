"""A bounded load run on 127.0.0.1: gunicorn (2 workers) + one Celery worker, PostgreSQL and Redis.

    .venv/bin/python benchmarks/load.py [--users 20] [--seconds 60]

Simulated users sign up, then for ``--seconds`` browse the galleries and now
and then upload a photo from ../shared/testdata/content/. When time is up the
script waits for the queue to drain and reports: requests, errors, uploads,
how each upload ended (every one must end ``done`` or ``failed`` with a
message: none lost), and p50/p95 page times. Nothing here asserts a time.

Needs PostgreSQL (``LOAD_DATABASE_URL``, default the local ``picstylist_load``
database, created if missing) and Redis (``LOAD_BROKER_URL``, default db 3).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from e2e import free_port, start_worker, wait_until_up

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO.parent / "shared" / "testdata" / "content"
PASSWORD = "a-Long-enough-passw0rd"  # noqa: S105 - throwaway accounts of a throwaway database
PAGES = ["/gallery/", "/gallery/?sort=liked", "/styles/", "/mine/", "/"]


def csrf(session: requests.Session, base: str, path: str) -> str:
    session.get(base + path, timeout=30)
    return session.cookies["csrftoken"]


class User(threading.Thread):
    def __init__(self, number: int, base: str, until: float, stats: dict, lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self.number, self.base, self.until, self.stats, self.lock = number, base, until, stats, lock
        self.session = requests.Session()
        self.random = random.Random(number)  # noqa: S311 - load pattern, not security

    def record(self, seconds: float, ok: bool, what: str) -> None:
        with self.lock:
            self.stats["times"].append(seconds)
            if not ok:
                self.stats["errors"].append(what)

    def request(self, method: str, path: str, **kwargs) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException as exc:
            self.record(time.perf_counter() - started, False, f"{method} {path}: {exc}")
            return None
        self.record(
            time.perf_counter() - started, response.status_code < 400, f"{method} {path}: {response.status_code}"
        )
        return response

    def sign_up(self) -> None:
        token = csrf(self.session, self.base, "/accounts/signup/")
        name = f"load{self.number}-{int(time.time())}"
        data = {"csrfmiddlewaretoken": token, "username": name, "password1": PASSWORD, "password2": PASSWORD}
        self.request("POST", "/accounts/signup/", data=data)

    def upload(self) -> None:
        page = self.request("GET", "/")
        if page is None:
            return
        styles = re.findall(r'name="style" value="([0-9a-f-]{36})"', page.text)
        photo = self.random.choice(sorted(CONTENT.glob("*.*")))
        if photo.suffix == ".md" or not styles:
            return
        data = {
            "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
            "style": self.random.choice(styles),
            "strength": 100,
            "max_side": 512,
        }
        with photo.open("rb") as handle:
            response = self.request("POST", "/", data=data, files={"photo": (photo.name, handle)})
        if response is not None and re.search(r"/s/[0-9a-f-]{36}/$", response.url):
            with self.lock:
                self.stats["uploads"] += 1

    def run(self) -> None:
        self.sign_up()
        while time.monotonic() < self.until:
            if self.random.random() < 0.15:
                self.upload()
            else:
                self.request("GET", self.random.choice(PAGES))
            time.sleep(self.random.uniform(1.0, 3.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    database = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/picstylist_load")
    broker = os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:6379/3")
    data_dir = tempfile.mkdtemp(prefix="picstylist-load-")
    name = database.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", database.rsplit("/", 1)[0] + "/postgres", "-c", f"DROP DATABASE IF EXISTS {name}"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["psql", database.rsplit("/", 1)[0] + "/postgres", "-c", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
    )
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "PICSTYLIST_DATA_DIR": data_dir,
        "DEBUG": "false",
        "SECRET_KEY": "load-run-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",  # plain HTTP on loopback
        "SIGNUP_RATE": "100000/h",
    }
    python = sys.executable
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["create_default_styles"]):
        subprocess.run([python, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True)
    subprocess.run([python, "-m", "celery", "-A", "picstylist", "purge", "-f"], cwd=REPO, env=env, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen(
        [python, "-m", "gunicorn", "picstylist.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = start_worker(env)
    try:
        wait_until_up(base)
        stats: dict = {"times": [], "errors": [], "uploads": 0}
        lock = threading.Lock()
        until = time.monotonic() + args.seconds
        users = [User(number, base, until, stats, lock) for number in range(args.users)]
        for user in users:
            user.start()
        for user in users:
            user.join()
        drain_started = time.monotonic()
        counts = {}
        while time.monotonic() - drain_started < 900:
            output = subprocess.run(
                [python, "manage.py", "shell", "-c",
                 "from django.db.models import Count; from gallery.models import Stylization as S\n"
                 "for r in S.objects.values('status').annotate(n=Count('pk')): print('COUNT', r['status'], r['n'])"],
                cwd=REPO, env=env, capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            counts = {p[1]: p[2] for p in (line.split() for line in output.splitlines()) if p[:1] == ["COUNT"]}
            if not counts.get("queued") and not counts.get("running"):
                break
            time.sleep(2)
        drain_seconds = time.monotonic() - drain_started
    finally:
        web.terminate()
        worker.terminate()
        web.wait(30)
        worker.wait(60)
    times = sorted(stats["times"])
    done, failed = int(counts.get("done", 0)), int(counts.get("failed", 0))
    print(f"users {args.users}, {args.seconds} s, gunicorn 2 workers, 1 Celery worker, PostgreSQL + Redis")
    print(f"requests {len(times)}, errors {len(stats['errors'])}")
    for error in stats["errors"][:10]:
        print("  error:", error)
    print(
        f"uploads accepted {stats['uploads']}: done {done}, failed {failed}, still queued/running "
        f"{int(counts.get('queued', 0)) + int(counts.get('running', 0))}; lost {stats['uploads'] - done - failed}"
    )
    print(f"queue drained {drain_seconds:.0f} s after the load stopped")
    if times:
        p95 = times[max(0, int(0.95 * len(times)) - 1)]
        print(f"page time p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
