"""One ONNX network compiled by one runtime (OpenVINO or onnxruntime), run on the CPU in float32.

Sessions hold threads and are not fork-safe: open them in the process that
uses them, after any fork (MODEL.md, "Process model").
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ..registry import ONNX_RUNTIMES, ONNXRUNTIME, OPENVINO
from .contract import EngineUnavailable


def check_onnx_runtime(runtime: str) -> None:
    """Raise ValueError unless ``runtime`` is one of :data:`stylizer.registry.ONNX_RUNTIMES`."""
    if runtime not in ONNX_RUNTIMES:
        raise ValueError(f"Unknown ONNX runtime {runtime!r}; choose one of {', '.join(ONNX_RUNTIMES)}")


class OnnxSession:
    """One ONNX network compiled by one runtime, run on the CPU in float32.

    ``runtime`` is ``"openvino"`` (OpenVINO's CPU plugin, inference precision
    pinned to f32 so that CPUs with bf16 units give the same pictures) or
    ``"onnxruntime"`` (``ORT_ENABLE_ALL``; ``memory_arena`` is its
    ``enable_cpu_mem_arena``). ``model`` is a file path or the serialized
    model (bytes). ``threads`` is the intra-op thread count. ``shapes``
    (input name -> dims) fixes the input shapes: OpenVINO then plans the
    activation memory for exactly that size (less than for any size);
    onnxruntime ignores it.

    Raises:
        ValueError: unknown runtime.
        EngineUnavailable: the runtime is not installed or cannot compile the model.
    """

    #: Input and output names, in the network's order.
    input_names: list[str]
    output_names: list[str]

    def __init__(
        self,
        model: Path | bytes,
        runtime: str,
        threads: int,
        memory_arena: bool = True,
        shapes: dict[str, list[int]] | None = None,
    ) -> None:
        check_onnx_runtime(runtime)
        self.runtime = runtime
        try:
            if runtime == OPENVINO:
                self._open_openvino(model, threads, shapes)
            else:
                self._open_onnxruntime(model, threads, memory_arena)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:  # what both runtimes raise
            raise EngineUnavailable(f"{runtime} could not load the network: {exc}") from exc

    def _open_openvino(self, model: Path | bytes, threads: int, shapes: dict[str, list[int]] | None) -> None:
        # lazy imports of an optional heavy library
        import openvino as ov
        import openvino.properties as props
        import openvino.properties.hint as hints

        core = ov.Core()
        network = core.read_model(str(model) if isinstance(model, Path) else model)
        if shapes:
            network.reshape(shapes)
        config = {
            props.inference_num_threads: threads,
            props.num_streams: 1,
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            hints.inference_precision: ov.Type.f32,
            # several worker processes share the cores: do not pin threads to cores
            hints.enable_cpu_pinning: False,
            # no cache of kernels per input shape: every photo has a new shape, and the
            # cache grew a worker's peak by about 130 MB over 50 photos (benchmarks/RESULTS.md)
            "CPU_RUNTIME_CACHE_CAPACITY": 0,
        }
        compiled = core.compile_model(network, "CPU", config)
        self.input_names = [port.get_any_name() for port in compiled.inputs]
        self.output_names = [port.get_any_name() for port in compiled.outputs]
        self._compiled: Any = compiled
        self._request: Any = compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: one call at a time

    def _open_onnxruntime(self, model: Path | bytes, threads: int, memory_arena: bool) -> None:
        import onnxruntime as ort  # lazy import of an optional heavy library

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_cpu_mem_arena = memory_arena
        options.log_severity_level = 3
        source = str(model) if isinstance(model, Path) else model
        self._session: Any = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self.input_names = [item.name for item in self._session.get_inputs()]
        self.output_names = [item.name for item in self._session.get_outputs()]

    def run(self, feeds: dict[str, NDArray[Any]]) -> NDArray[Any]:
        """Run the network on float32 ``feeds`` (by input name); returns its first output, float32."""
        return self.run_all(feeds)[0]

    def run_all(self, feeds: dict[str, NDArray[Any]]) -> list[NDArray[Any]]:
        """Run the network on float32 ``feeds`` (by input name); returns its outputs, as ``output_names``."""
        if self.runtime == ONNXRUNTIME:
            outputs: list[NDArray[Any]] = self._session.run(None, feeds)
            return outputs
        with self._lock:
            self._request.infer(feeds)
            # the request reuses its output buffers on the next call: copy them out
            return [self._request.get_output_tensor(i).data.copy() for i in range(len(self.output_names))]

    def release_memory(self) -> None:
        """Hand the activation buffers kept from the last call back to the system.

        OpenVINO keeps them per compiled network (``CompiledModel.release_memory``);
        onnxruntime's are governed by its memory arena, so this does nothing there.
        """
        if self.runtime == OPENVINO:
            with self._lock:
                self._request = None  # its input and output tensors go too
                self._compiled.release_memory()
                self._request = self._compiled.create_infer_request()
