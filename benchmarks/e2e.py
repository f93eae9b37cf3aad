"""End to end: a 12-megapixel JPEG uploaded through the web view until its row is ``done``.

    .venv/bin/python benchmarks/e2e.py [--runs 5] [--backend embedded|production|both]

Starts the site as the README does (``runserver`` and one prefork Celery
worker) in a temporary data folder, on the embedded default (SQLite and
kombu's filesystem broker) or on PostgreSQL + Redis (``BENCH_DATABASE_URL``,
default the local ``picstylist_bench`` database, dropped and created; and
``BENCH_BROKER_URL``, default Redis db 4). A signed-up user uploads a 4032 x
3024 px JPEG made here (a test photo upscaled, with sensor-like noise) with
the 1024 px output size and polls ``/status/`` every 20 ms until ``done``.

Reports the median of ``--runs`` uploads (after one warm-up upload) of: the
whole wait (POST sent -> ``done`` seen), the upload request alone (POST ->
response of the redirect target) and the worker's own processing time.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import requests
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO.parent / "shared" / "testdata" / "content" / "coffee.png"
PASSWORD = "a-Long-enough-passw0rd"  # noqa: S105 - throwaway account of a throwaway database
SIZE = (4032, 3024)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """One Celery worker with one prefork child, started as ``bin/serve`` starts it, output discarded."""
    command = [sys.executable, "-m", "celery", "-A", "picstylist", "worker", "--pool=prefork", "--concurrency=1",
               "--without-gossip", "--without-mingle", "--loglevel=WARNING"]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(base: str, seconds: float = 40.0) -> None:
    """Poll ``base``/healthz until it answers 200, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)


def twelve_megapixel_jpeg() -> bytes:
    """A 4032 x 3024 px JPEG (quality 92) like a phone's: a test photo upscaled plus Gaussian noise (sigma 6)."""
    photo = Image.open(CONTENT).convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)
    noise = np.random.default_rng(0).normal(0, 6, (SIZE[1], SIZE[0], 3))
    pixels = np.clip(np.asarray(photo, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _site_env(backend: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env.update({"PICSTYLIST_DATA_DIR": data_dir, "SIGNUP_RATE": "100000/h", "STYLIZER_QUOTA_PER_HOUR": "100000"})
    if backend == "production":
        database = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/picstylist_bench")
        server, name = database.rsplit("/", 1)
        for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", server + "/postgres", "-c", statement], check=True, capture_output=True)
        env["DATABASE_URL"] = database
        env["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/4")
    return env


#: What ``bin/serve`` sets to serve production settings (DEBUG off, whitenoise) on plain HTTP here.
GUNICORN_ENV = {
    "DEBUG": "false", "SECRET_KEY": "benchmark-only-key-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "SECURE_HSTS_SECONDS": "0",
}  # fmt: skip


@contextmanager
def running_site(backend: str, gunicorn: bool = False, styles: Path | None = None):
    """Yield the base URL of a site started as ``bin/serve`` starts it, on ``backend``; stop it after.

    ``gunicorn``: served as ``bin/serve`` does (gunicorn, DEBUG off, static files from whitenoise with
    every middleware's headers); otherwise Django's ``runserver``. ``styles``: a folder of style images
    loaded as public styles (``manage.py load_styles``) beside the default ones.
    """
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="picstylist-e2e-") as data_dir:
        env = _site_env(backend, data_dir) | (GUNICORN_ENV if gunicorn else {})
        commands = (
            [["migrate", "--noinput"], ["create_default_styles"]]
            + ([["collectstatic", "--noinput"]] if gunicorn else [])
            + ([["load_styles", str(styles)]] if styles else [])
        )
        for command in commands:
            subprocess.run([python, "manage.py", *command], cwd=REPO, env=env, check=True, capture_output=True)
        subprocess.run(
            [python, "-m", "celery", "-A", "picstylist", "purge", "-f"], cwd=REPO, env=env, capture_output=True
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = (
            [python, "-m", "gunicorn", "picstylist.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
            if gunicorn
            else [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        )
        web = subprocess.Popen(serve, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes = [start_worker(env), web]
        try:
            wait_until_up(base)
            yield base
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(60)


def upload_until_done(session: requests.Session, base: str, photo: bytes, style: str) -> dict[str, float]:
    """Upload ``photo`` with ``style`` at 1024 px and wait for ``done``; seconds of each part."""
    data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], "style": style, "strength": 100, "max_side": 1024}
    started = time.perf_counter()
    response = session.post(base + "/", data=data, files={"photo": ("phone.jpg", photo, "image/jpeg")}, timeout=120)
    uploaded = time.perf_counter()
    match = re.search(r"/s/([0-9a-f-]{36})/$", response.url)
    if not match:
        raise RuntimeError(f"upload refused: {response.status_code} {response.url}")
    pk = match.group(1)
    while time.perf_counter() - started < 300:
        info = session.get(base + "/status/", params={"id": pk}, timeout=30).json()["stylizations"][pk]
        if info["status"] in {"done", "failed"}:
            break
        time.sleep(0.02)
    finished = time.perf_counter()
    if info["status"] != "done":
        raise RuntimeError(f"stylization ended {info['status']}: {info['error']}")
    return {"total": finished - started, "upload": uploaded - started, "worker": info["seconds"]}


def measure(backend: str, runs: int) -> dict[str, float]:
    """Median seconds (total, upload, worker) of ``runs`` 12 MP uploads on ``backend``, after one warm-up."""
    photo = twelve_megapixel_jpeg()
    with running_site(backend) as base:
        session = requests.Session()
        session.get(base + "/accounts/signup/", timeout=30)
        name = f"bench{int(time.time())}"
        form = {"csrfmiddlewaretoken": session.cookies["csrftoken"], "username": name}
        session.post(base + "/accounts/signup/", data={**form, "password1": PASSWORD, "password2": PASSWORD})
        page = session.get(base + "/", timeout=30).text
        style = re.findall(r'name="style" value="([0-9a-f-]{36})"', page)[0]
        upload_until_done(session, base, photo, style)  # warm-up: the style's bottleneck is computed once
        results = [upload_until_done(session, base, photo, style) for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]} | {"bytes": len(photo)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["embedded", "production", "both"], default="both")
    args = parser.parse_args()
    for backend in ["embedded", "production"] if args.backend == "both" else [args.backend]:
        result = measure(backend, args.runs)
        print(
            f"{backend}: upload -> done {result['total']:.2f} s (upload request {result['upload']:.2f} s, "
            f"worker {result['worker']:.2f} s), {result['bytes'] / 1e6:.1f} MB JPEG, median of {args.runs}"
        )


if __name__ == "__main__":
    main()
