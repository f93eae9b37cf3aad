"""The transfer network's variants and profiles, for the levers: graphs, onnxruntime sessions, per-node times."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from .common import median_seconds


def transfer_graphs() -> dict[str, bytes]:
    """The serialized transfer graph after each float32 step of ``build_transfer_graph``.

    ``folded``: int8 folded into float32; ``dropped``: and redundant clips
    dropped; ``fused``: and instance norms fused, the graph OnnxEngine runs.
    """
    from stylizer.engines import build_transfer_graph, drop_redundant_clips, fold_quantization

    return {
        "folded": build_transfer_graph(stop_after=fold_quantization).SerializeToString(),
        "dropped": build_transfer_graph(stop_after=drop_redundant_clips).SerializeToString(),
        "fused": build_transfer_graph().SerializeToString(),
    }


def saved_graph_load(model_bytes: bytes, threads: int) -> tuple[float, float]:
    """Seconds to start a transfer session: optimising at load, against loading the saved optimised graph."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as folder:
        saved = str(Path(folder) / "optimised.onnx")

        def options(level: str, path: str = "") -> ort.SessionOptions:
            chosen = ort.SessionOptions()
            chosen.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
            chosen.intra_op_num_threads = threads
            chosen.log_severity_level = 3  # the warning that such a graph fits only this CPU
            if path:
                chosen.optimized_model_filepath = path
            return chosen

        ort.InferenceSession(model_bytes, options("ORT_ENABLE_ALL", saved), providers=["CPUExecutionProvider"])
        build = median_seconds(
            lambda: ort.InferenceSession(model_bytes, options("ORT_ENABLE_ALL"), providers=["CPUExecutionProvider"]), 5
        )
        load = median_seconds(
            lambda: ort.InferenceSession(saved, options("ORT_DISABLE_ALL"), providers=["CPUExecutionProvider"]), 5
        )
    return build, load


class OrtVariant:
    """An onnxruntime session with chosen options, run as an engine's transfer network."""

    runtime = "onnxruntime"

    def __init__(self, model_bytes: bytes, threads: int, level: str = "ORT_ENABLE_ALL") -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])

    def run(self, feeds: dict) -> np.ndarray:
        return self.session.run(None, feeds)[0]


def openvino_profile(model_bytes: bytes, threads: int, content: np.ndarray) -> list[tuple[str, float, float]]:
    """(OpenVINO node type, share, ms per run) of the transfer network, from OpenVINO's performance counters."""
    import openvino as ov
    import openvino.properties as props

    core = ov.Core()
    config = {props.inference_num_threads: threads, props.enable_profiling: True}
    request = core.compile_model(core.read_model(model_bytes), "CPU", config).create_infer_request()
    feeds = [(content.astype(np.float32) / 255)[np.newaxis], np.zeros((1, 1, 1, 100), np.float32)]
    request.infer(feeds)
    request.infer(feeds)
    totals: dict[str, float] = {}
    for info in request.profiling_info:
        totals[info.node_type] = totals.get(info.node_type, 0.0) + info.real_time.total_seconds() * 1000
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    rest = sum(ms for _, ms in ranked[6:])
    return [*((name, ms / whole, ms) for name, ms in ranked[:6]), ("all other", rest / whole, rest)]


def operator_profile(model_bytes: bytes, threads: int, content: np.ndarray) -> list[tuple[str, float, float]]:
    """(operator type, share, ms per run) of the transfer network at ``content``'s size, from onnxruntime's profiler."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    with tempfile.TemporaryDirectory() as folder:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "profile")
        session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        content_input, bottleneck_input = (item.name for item in session.get_inputs())
        feeds = {
            content_input: (content.astype(np.float32) / 255)[np.newaxis],
            bottleneck_input: np.zeros((1, 1, 1, 100), np.float32),
        }
        runs = 3
        for _ in range(runs):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    totals: dict[str, float] = {}
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            op_type = event["args"]["op_name"]
            totals[op_type] = totals.get(op_type, 0.0) + event["dur"] / 1000 / runs
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    top = [(name, ms / whole, ms) for name, ms in ranked[:6]]
    rest = sum(ms for _, ms in ranked[6:])
    return [*top, ("all other", rest / whole, rest)]
