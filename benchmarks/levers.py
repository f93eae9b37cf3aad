"""Levers, each before and after, and where the transfer network's time goes, per node type in each runtime."""

from __future__ import annotations

import os

from .common import Bench, median_seconds, square
from .engines import OrtVariant, openvino_profile, operator_profile, saved_graph_load, transfer_graphs
from .fresh import first_call_after_warm_up
from .speed import LiteWork


def levers(bench: Bench, lite_work: LiteWork) -> bytes:
    """Every lever's row, in the order of RESULTS.md; returns the serialized graph OnnxEngine runs."""
    from stylizer.engines import OnnxEngine

    engine, threads, runs, row = bench.engine, bench.threads, bench.runs, bench.report.row
    content, bottleneck = bench.content, bench.bottleneck
    graphs = transfer_graphs()
    model_bytes = graphs["fused"]  # the graph OnnxEngine runs
    for level_name in ("ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL"):
        for thread_count in sorted({1, threads}):
            lever = OnnxEngine(intra_op_threads=thread_count, runtime="onnxruntime")
            lever._transfer = OrtVariant(model_bytes, thread_count, level_name)
            seconds = median_seconds(lambda lever=lever: lever.transfer(content, bottleneck), runs)
            row(
                f"lever: transfer 1024 px, onnxruntime {level_name}, {thread_count} intra-op threads",
                f"{seconds:.3f} s",
            )

    on_ort = OnnxEngine(intra_op_threads=threads, runtime="onnxruntime")
    folded = median_seconds(lambda: engine.transfer(content, bottleneck), runs)
    folded_ort = median_seconds(lambda: on_ort.transfer(content, bottleneck), runs)
    row("lever: transfer 1024 px, onnxruntime / OpenVINO (kept), the same graph", f"{folded_ort:.3f} / {folded:.3f} s")
    same_work = [median_seconds(lambda runner=runner: lite_work.ours(runner), runs) for runner in (on_ort, engine)]
    row(
        "lever: PicStylist same work as lite (384 px), onnxruntime / OpenVINO (kept)",
        f"{same_work[0]:.3f} / {same_work[1]:.3f} s",
    )
    for runtime in ("onnxruntime", "openvino"):
        int8 = OnnxEngine(intra_op_threads=threads, float_weights=False, runtime=runtime)
        row(
            f"lever: transfer 1024 px, int8 QDQ graph (before the fold), {runtime}",
            f"{median_seconds(lambda int8=int8: int8.transfer(content, bottleneck), runs):.3f} s",
        )
    row(
        "lever: transfer 1024 px, int8 folded into float32, redundant clips dropped, instance norms fused, "
        "onnxruntime / OpenVINO (kept)",
        f"{folded_ort:.3f} / {folded:.3f} s",
    )
    for label, graph in (
        ("folded graph only", graphs["folded"]),
        ("folded graph, redundant clips dropped, instance norms not fused", graphs["dropped"]),
    ):
        variant = OnnxEngine(intra_op_threads=threads, runtime="onnxruntime")
        variant._transfer = OrtVariant(graph, threads)
        seconds = median_seconds(lambda variant=variant: variant.transfer(content, bottleneck), runs)
        row(f"lever: transfer 1024 px, {label}, onnxruntime", f"{seconds:.3f} s")
    untiled = OnnxEngine(intra_op_threads=threads, tile_side=0)
    content_2048 = square(2048)
    row(
        "lever: transfer 2048 px, untiled / in tiles of 1024 px, statistics from a 1024 px copy (kept)",
        f"{median_seconds(lambda: untiled.transfer(content_2048, bottleneck), runs):.3f} / "
        f"{median_seconds(lambda: engine.transfer(content_2048, bottleneck), runs):.3f} s",
    )
    first_calls = [first_call_after_warm_up(threads, warm) for warm in (0, 1024)]
    row(
        "lever: first 1024x768 call in a fresh process, no warm-up / after a 1024 px warm-up (kept)",
        f"{first_calls[0]:.3f} / {first_calls[1]:.3f} s",
    )

    no_arena = OnnxEngine(intra_op_threads=threads, memory_arena=False, runtime="onnxruntime")
    row(
        "lever: transfer 1024 px, onnxruntime CPU memory arena on / off",
        f"{folded_ort:.3f} / {median_seconds(lambda: no_arena.transfer(content, bottleneck), runs):.3f} s",
    )

    build, load = saved_graph_load(model_bytes, threads)
    row(
        "lever: onnxruntime transfer session start, optimise at load / load a saved optimised graph",
        f"{build:.3f} / {load:.3f} s",
    )
    pipeline_levers(bench)
    return model_bytes


def pipeline_levers(bench: Bench) -> None:
    """JPEG draft-mode decoding and the filesystem broker's polling interval."""
    from stylizer import pipeline

    from . import e2e

    runs, row = bench.runs, bench.report.row
    jpeg = e2e.twelve_megapixel_jpeg()
    full_decode = median_seconds(lambda: pipeline.fit_long_side(pipeline.load_image(jpeg, 10**8)[0], 1024), runs)
    draft_decode = median_seconds(
        lambda: pipeline.fit_long_side(pipeline.load_image(jpeg, 10**8, max_side=1024)[0], 1024), runs
    )
    row(
        "lever: 12 MP JPEG to the 1024 px content image, full decode / draft mode (kept)",
        f"{full_decode:.3f} / {draft_decode:.3f} s",
    )
    os.environ["CELERY_BROKER_POLLING_INTERVAL"] = "1.0"
    try:
        slow_poll = e2e.measure("embedded", runs)["total"]
    finally:
        del os.environ["CELERY_BROKER_POLLING_INTERVAL"]
    row("lever: end to end, embedded, filesystem broker polling every 1.0 s (kombu's default)", f"{slow_poll:.2f} s")


def profiles(bench: Bench, model_bytes: bytes) -> None:
    """Per node type, the transfer network at 1024 px in OpenVINO and in onnxruntime."""
    row = bench.report.row
    for op_type, share, milliseconds in openvino_profile(model_bytes, bench.threads, bench.content):
        row(f"profile: transfer 1024 px, OpenVINO {op_type} nodes", f"{milliseconds:.0f} ms ({share:.0%})")
    for op_type, share, milliseconds in operator_profile(model_bytes, bench.threads, bench.content):
        row(f"profile: transfer 1024 px, onnxruntime {op_type} operators", f"{milliseconds:.0f} ms ({share:.0%})")
