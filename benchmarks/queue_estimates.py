"""How close the live status's wait estimate is to the real wait, in a load run mixing 512, 1024 and 4096 px jobs.

    .venv/bin/python benchmarks/queue_estimates.py [--bursts 10] [--seed 1] [--backend embedded|production]

Starts the site as benchmarks/e2e.py does (``runserver`` and one prefork
Celery worker with one child, ``STYLIZER_QUEUE_WORKERS=1``) in a temporary
data folder. A signed-up user uploads photos through the upload form with
the ``max_side`` field: 512 px jobs from ../shared/testdata/content/ as
they are; 1024 px jobs from those photos as they are (results 451-1000 px)
or upscaled to a 2048 px long side (results 1024 px); 4096 px jobs from
those photos upscaled to a 4096 px long side (JPEGs made here in a temporary
folder: the site never enlarges a photo). First a warm-up: two jobs of each
kind, one at a time, so the cost model has recent runs. Then ``--bursts``
bursts of 1-6 jobs of random kinds, uploaded back to back so a queue forms,
each burst after a random pause (sometimes the queue has drained, sometimes
not).

For each job: ``eta_seconds`` from ``/status/`` right after its upload
answered (the estimate given at queueing), and the real wait from that
moment until a poller (every 0.1 s, all pending ids in one request) saw it
``done``. Reports the share of jobs whose estimate is within ±35 % of the
real wait, the ratios (estimate / real) by kind and the worker seconds per
result megapixel by kind. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
from e2e import PASSWORD, running_site
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO.parent / "shared" / "testdata" / "content"
PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "rocket.jpg"]
#: kind -> (max_side, long side the photo is upscaled to, or None to upload it as it is)
KINDS = {
    "512": (512, None),
    "1024 (photo as is)": (1024, None),
    "1024 (from 2048)": (1024, 2048),
    "4096": (4096, 4096),
}
TOLERANCE = 0.35


def make_photos(folder: Path) -> dict[tuple[str, int | None], Path]:
    """Each content photo as it is and upscaled (bicubic, JPEG quality 90) to each long side in KINDS."""
    photos = {}
    for name in PHOTOS:
        source = CONTENT / name
        photos[(name, None)] = source
        for side in {upscale for _, upscale in KINDS.values() if upscale}:
            image = Image.open(source).convert("RGB")
            scale = side / max(image.size)
            size = (round(image.width * scale), round(image.height * scale))
            path = folder / f"{source.stem}-{side}.jpg"
            image.resize(size, Image.Resampling.BICUBIC).save(path, "JPEG", quality=90)
            photos[(name, side)] = path
    return photos


class Poller(threading.Thread):
    """Polls /status/ for all pending ids every 0.1 s; records when each was first seen done or failed."""

    def __init__(self, session: requests.Session, base: str) -> None:
        super().__init__(daemon=True)
        self.session, self.base = session, base
        self.pending: set[str] = set()
        self.ended: dict[str, tuple[float, dict]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def watch(self, pk: str) -> None:
        with self.lock:
            self.pending.add(pk)

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                ids = sorted(self.pending)[:100]
            if ids:
                data = self.session.get(self.base + "/status/", params={"id": ids}, timeout=30).json()["stylizations"]
                seen = time.perf_counter()
                with self.lock:
                    for pk, info in data.items():
                        if info["status"] in {"done", "failed"}:
                            self.ended[pk] = (seen, info)
                            self.pending.discard(pk)
            time.sleep(0.1)

    def wait_for(self, pks: list[str], timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(pk in self.ended for pk in pks):
                    return
            time.sleep(0.05)
        raise RuntimeError("jobs still not done")


def submit(session: requests.Session, base: str, style: str, photo: Path, max_side: int) -> tuple[str, float, dict]:
    """Upload ``photo`` at ``max_side``; its id, the moment the upload answered and the status right after."""
    data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], "style": style, "strength": 100, "max_side": max_side}
    with photo.open("rb") as handle:
        response = session.post(base + "/", data=data, files={"photo": (photo.name, handle)}, timeout=120)
    queued = time.perf_counter()
    match = re.search(r"/s/([0-9a-f-]{36})/$", response.url)
    if not match:
        raise RuntimeError(f"upload refused: {response.status_code} {response.url}")
    pk = match.group(1)
    info = session.get(base + "/status/", params={"id": pk}, timeout=30).json()["stylizations"][pk]
    return pk, queued, info


def run(bursts: int, seed: int, backend: str) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311 - a load pattern, not security
    os.environ["STYLIZER_QUEUE_WORKERS"] = "1"  # one worker child (benchmarks/e2e.py start_worker)
    with tempfile.TemporaryDirectory(prefix="picstylist-queue-") as folder, running_site(backend) as base:
        photos = make_photos(Path(folder))
        session = requests.Session()
        session.get(base + "/accounts/signup/", timeout=30)
        form = {"csrfmiddlewaretoken": session.cookies["csrftoken"], "username": f"queue{int(time.time())}"}
        session.post(base + "/accounts/signup/", data={**form, "password1": PASSWORD, "password2": PASSWORD})
        style = re.findall(r'name="style" value="([0-9a-f-]{36})"', session.get(base + "/", timeout=30).text)[0]
        poller = Poller(requests.Session(), base)
        poller.session.cookies.update(session.cookies)
        poller.start()

        def job(kind: str) -> dict:
            max_side, upscale = KINDS[kind]
            name = rng.choice(PHOTOS)
            pk, queued, info = submit(session, base, style, photos[(name, upscale)], max_side)
            poller.watch(pk)
            return {"pk": pk, "kind": kind, "photo": name, "queued": queued, "eta": info["eta_seconds"]}

        for kind in list(KINDS) * 2:  # warm-up, one at a time
            warm = job(kind)
            poller.wait_for([warm["pk"]])
        jobs = []
        for _ in range(bursts):
            time.sleep(rng.choice([0.0, 1.0, 3.0, 8.0, 15.0]))
            jobs += [job(rng.choice(list(KINDS))) for _ in range(rng.randint(1, 6))]
        poller.wait_for([item["pk"] for item in jobs])
        poller.stop.set()
        for item in jobs:
            seen, info = poller.ended[item["pk"]]
            item.update(status=info["status"], wait=seen - item["queued"], worker=info["seconds"])
            item["ratio"] = item["eta"] / item["wait"] if item["eta"] is not None else None
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--verbose", action="store_true", help="one line per job")
    args = parser.parse_args()
    jobs = run(args.bursts, args.seed, args.backend)
    if args.verbose:
        for item in jobs:
            eta = "None" if item["eta"] is None else f"{item['eta']:.1f}"
            print(
                f"{item['kind']:>19} {item['photo']:>22} eta {eta:>6} s  wait {item['wait']:6.2f} s  "
                f"worker {item['worker'] or 0:5.2f} s  ratio {item['ratio'] or 0:.2f}"
            )
    ratios = [item["ratio"] for item in jobs if item["ratio"] is not None]
    within = sum(abs(ratio - 1) <= TOLERANCE for ratio in ratios)
    failed = sum(item["status"] != "done" for item in jobs)
    print(f"{args.backend}, 1 worker, {args.bursts} bursts, seed {args.seed}: {len(jobs)} jobs, failed {failed}")
    print(f"estimate within ±{TOLERANCE:.0%} of the real wait: {within} of {len(jobs)} ({within / len(jobs):.0%})")
    quantiles = statistics.quantiles(ratios, n=10) if len(ratios) > 1 else ratios
    print("ratio estimate / real, deciles: " + " ".join(f"{q:.2f}" for q in quantiles))
    for kind in KINDS:
        mine = [item for item in jobs if item["kind"] == kind]
        if not mine:
            continue
        kind_ratios = sorted(item["ratio"] for item in mine if item["ratio"] is not None)
        kind_within = sum(abs(ratio - 1) <= TOLERANCE for ratio in kind_ratios)
        print(
            f"  {kind}: {len(mine)} jobs, within {kind_within}, ratio median {statistics.median(kind_ratios):.2f} "
            f"(min {kind_ratios[0]:.2f}, max {kind_ratios[-1]:.2f}), wait median "
            f"{statistics.median(item['wait'] for item in mine):.1f} s, worker median "
            f"{statistics.median(item['worker'] for item in mine):.2f} s"
        )


if __name__ == "__main__":
    main()
