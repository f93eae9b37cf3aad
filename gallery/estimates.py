"""How long a stylization will take, and how long a queued one will wait: the live status's estimates.

A job's worker time grows with the pixels it paints. The cost model learns
seconds per megapixel of result from recent finished runs, per group of
output size (the result's long side, to the nearest offered size: a 512 px
result costs more per pixel than a 4096 px one, because the painting runs at
the brush's working size whatever the output size, see
:data:`stylizer.painting.BRUSH_SIDES`) and brush, scaled by how fast the
newest runs went against those rates (a busier machine). A queued job then waits
for the jobs running now to finish and for each job queued ahead of it,
handed in order to whichever of ``settings.STYLIZER_QUEUE_WORKERS`` workers
is free first, plus its own run. benchmarks/queue_estimates.py measures how
close the estimate given at queueing comes to the real wait.
"""

from __future__ import annotations

import heapq
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from stylizer.pipeline import fitted_size

from .forms import OUTPUT_SIDES
from .models import Stylization

#: Finished runs read to learn from, newest first (one query; the last
#: :data:`GROUP_SAMPLE` of each group in use are among them on a busy site).
RECENT_RUNS = 400
#: Runs of each group whose median rate is used.
GROUP_SAMPLE = 20
#: Newest runs (any size) whose pace against their group's rate scales every estimate.
SPEED_SAMPLE = 5


def output_group(width: int, height: int) -> int:
    """The offered output size (``gallery.forms.OUTPUT_SIDES``) nearest the result's long side, by ratio."""
    side = max(width, height, 1)
    return min(OUTPUT_SIDES, key=lambda offered: abs(math.log(side / offered)))


def result_size(photo_width: int, photo_height: int, max_side: int) -> tuple[int, int]:
    """The (width, height) px a job's result will have: the photo fitted to ``max_side``, never enlarged."""
    return fitted_size((photo_width, photo_height), max_side)


@dataclass
class CostModel:
    """Expected worker seconds of a job, from recent finished runs.

    ``rates``: seconds per result megapixel, the median of the last
    :data:`GROUP_SAMPLE` runs of each (output group, brush);
    ``speed``: how the last :data:`SPEED_SAMPLE` runs of any size went
    against those rates (the median of their seconds / the seconds their
    group's rate gives), so a machine that has just become busier or
    quieter shows in every estimate at once, not only after 20 runs of each
    size; ``typical``: the median seconds of the last runs, for a job whose
    size is unknown (a photo without recorded dimensions).
    """

    rates: dict[tuple[int, str], float] = field(default_factory=dict)
    speed: float = 1.0
    typical: float | None = None

    @classmethod
    def from_recent_runs(cls) -> CostModel:
        runs = (
            Stylization.objects.filter(
                status=Stylization.Status.DONE, started__isnull=False, finished__isnull=False, photo__kind="image"
            )
            .order_by("-finished")
            .values_list("started", "finished", "result_width", "result_height", "brush")[:RECENT_RUNS]
        )
        samples: dict[tuple[int, str], list[float]] = defaultdict(list)
        seconds_all: list[float] = []
        # (key, seconds per megapixel) of the newest runs of known size
        newest: list[tuple[tuple[int, str], float]] = []
        for started, finished, width, height, brush in runs:
            seconds = (finished - started).total_seconds()
            if len(seconds_all) < GROUP_SAMPLE:
                seconds_all.append(seconds)
            if width and height:
                key = (output_group(width, height), brush)
                rate = seconds / (width * height / 1e6)
                if len(samples[key]) < GROUP_SAMPLE:
                    samples[key].append(rate)
                if len(newest) < SPEED_SAMPLE:
                    newest.append((key, rate))
        rates = {key: statistics.median(values) for key, values in samples.items()}
        return cls(
            rates=rates,
            speed=statistics.median(rate / rates[key] for key, rate in newest) if newest else 1.0,
            typical=statistics.median(seconds_all) if seconds_all else None,
        )

    def rate(self, group: int, brush: str) -> float | None:
        """Seconds per megapixel for ``group`` and ``brush``; without runs of that group, those of the
        nearest output size with runs (the smaller of two as near), preferring the same brush."""
        if (group, brush) in self.rates:
            return self.rates[(group, brush)]
        if not self.rates:
            return None
        same_brush = [key for key in self.rates if key[1] == brush] or list(self.rates)
        nearest = min(same_brush, key=lambda key: (abs(math.log(key[0] / group)), key))
        return self.rates[nearest]

    def seconds(self, width: int, height: int, brush: str) -> float | None:
        """Expected worker seconds of a job whose result is ``width`` x ``height`` px (its group's rate
        times ``speed``); None before any run."""
        if not (width and height):
            return self.typical
        rate = self.rate(output_group(width, height), brush)
        return None if rate is None else rate * self.speed * width * height / 1e6


@dataclass
class ClipCostModel:
    """Expected worker seconds of a clip: ``rate`` seconds per frame-megapixel (the median of the
    last :data:`GROUP_SAMPLE` finished clips), or None before any."""

    rate: float | None = None

    @classmethod
    def from_recent_runs(cls) -> ClipCostModel:
        runs = (
            Stylization.objects.filter(status=Stylization.Status.DONE, started__isnull=False, finished__isnull=False)
            .exclude(photo__kind="image")
            .order_by("-finished")
            .values_list("started", "finished", "result_width", "result_height", "frames_total")[:GROUP_SAMPLE]
        )
        rates = [
            (finished - started).total_seconds() / (frames * width * height / 1e6)
            for started, finished, width, height, frames in runs
            if frames and width and height
        ]
        return cls(statistics.median(rates) if rates else None)

    def seconds(self, width: int, height: int, frames: int) -> float | None:
        return None if self.rate is None else self.rate * frames * width * height / 1e6


@dataclass
class _Job:
    pk: uuid.UUID
    status: str
    created: object
    started: datetime | None
    width: int
    height: int
    brush: str
    frames_done: int = 0
    frames_total: int = 0


def _jobs_in_line(until, *, clips: bool = False) -> list[_Job]:
    """Running rows, and queued rows created up to ``until``, oldest first (one query), of one
    queue: photos, or clips (``clips``)."""
    rows = Stylization.objects.filter(
        Q(status=Stylization.Status.RUNNING) | Q(status=Stylization.Status.QUEUED, created__lte=until)
    )
    rows = rows.exclude(photo__kind="image") if clips else rows.filter(photo__kind="image")
    values = rows.order_by("created", "pk").values_list(
        "pk",
        "status",
        "created",
        "started",
        "photo__width",
        "photo__height",
        "max_side",
        "brush",
        "frames_done",
        "photo__frame_count",
    )
    return [
        _Job(pk, status, created, started, *result_size(width, height, max_side), brush, done, total)
        for pk, status, created, started, width, height, max_side, brush, done, total in values
    ]


def queue_estimates(rows: list[Stylization]) -> dict[uuid.UUID, dict[str, float | int | None]]:
    """Where each queued or running row stands, for the live status.

    For a queued row: ``position`` (1 = the next to start) among all queued
    rows of its queue, oldest first, and ``eta_seconds``: its wait until
    done. Photos and clips have queues (and workers) of their own, so each
    row is placed in its own. Each photo's expected seconds come from
    :class:`CostModel` (its result's pixels at the recent seconds per
    megapixel of its output size and brush, times the pace of the newest
    runs); a clip's from :class:`ClipCostModel`, and once it runs, from its
    own pace (seconds per frame so far times the frames left). The running
    jobs occupy the queue's workers (``settings.STYLIZER_QUEUE_WORKERS``,
    ``STYLIZER_CLIP_QUEUE_WORKERS``) for what is left of their expected
    time; each queued job ahead of the row goes, oldest first, to the worker
    free first; the row starts when a worker is next free, and its own
    expected time is added. For a running row: ``eta_seconds`` is its
    expected time less the time since it started (0 once over: the page then
    says it takes longer than expected). Finished rows get ``position`` and
    ``eta_seconds`` None, and so does ``eta_seconds`` before any run of its
    kind has finished. An estimate, not a promise: the page says "about".
    """
    estimates: dict[uuid.UUID, dict[str, float | int | None]] = {
        row.pk: {"position": None, "eta_seconds": None} for row in rows
    }
    waiting = [row for row in rows if row.status in {Stylization.Status.QUEUED, Stylization.Status.RUNNING}]
    photos = [row for row in waiting if not row.photo.is_clip]
    clips = [row for row in waiting if row.photo.is_clip]
    now = timezone.now()
    if photos:
        model = CostModel.from_recent_runs()
        jobs = _jobs_in_line(_last_queued(photos))
        estimates.update(
            _place(
                photos,
                jobs,
                lambda job: model.seconds(job.width, job.height, job.brush),
                lambda job, own: own,
                settings.STYLIZER_QUEUE_WORKERS,
                model.typical is not None,
                now,
            )
        )
    if clips:
        clip_model = ClipCostModel.from_recent_runs()
        jobs = _jobs_in_line(_last_queued(clips), clips=True)

        def running_total(job: _Job, own: float | None) -> float | None:
            # Its own pace once it has painted a few frames: the seconds so far per frame times all of them.
            if job.started and job.frames_done >= 3 and job.frames_total:
                elapsed = (now - job.started).total_seconds()
                return elapsed / job.frames_done * job.frames_total
            return own

        estimates.update(
            _place(
                clips,
                jobs,
                lambda job: clip_model.seconds(job.width, job.height, job.frames_total),
                running_total,
                settings.STYLIZER_CLIP_QUEUE_WORKERS,
                True,
                now,
            )
        )
    return estimates


def _last_queued(rows: list[Stylization]) -> datetime:
    queued = [row.created for row in rows if row.status == Stylization.Status.QUEUED]
    return max(queued) if queued else timezone.now()


def _place(
    rows: list[Stylization],
    jobs: list[_Job],
    expected: Callable[[_Job], float | None],
    running_expected: Callable[[_Job, float | None], float | None],
    workers: int,
    known: bool,
    now: datetime,
) -> dict[uuid.UUID, dict[str, float | int | None]]:
    """Positions and waits of ``rows`` among ``jobs`` (one queue's, oldest first) on ``workers`` workers."""
    wanted = {row.pk for row in rows}
    estimates: dict[uuid.UUID, dict[str, float | int | None]] = {}
    free_at = []  # seconds from now until each worker is free
    for job in jobs:
        if job.status != Stylization.Status.RUNNING:
            continue
        own = running_expected(job, expected(job))
        elapsed = (now - job.started).total_seconds() if job.started else 0.0
        left = None if own is None else max(0.0, own - elapsed)
        free_at.append(left or 0.0)
        if job.pk in wanted:
            estimates[job.pk] = {"position": None, "eta_seconds": None if left is None else round(left, 1)}
    workers = max(1, workers)
    free_at = sorted(free_at)[:workers]
    free_at += [0.0] * (workers - len(free_at))
    heapq.heapify(free_at)
    position = 0
    for job in jobs:
        if job.status != Stylization.Status.QUEUED:
            continue
        position += 1
        own = expected(job)
        known = known and own is not None
        done_at = heapq.heappop(free_at) + (own or 0.0)
        heapq.heappush(free_at, done_at)
        if job.pk in wanted:
            estimates[job.pk] = {"position": position, "eta_seconds": round(done_at, 1) if known else None}
    return estimates
