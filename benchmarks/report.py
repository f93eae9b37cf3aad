"""The suite's table: printed row by row as measured, then written to benchmarks/RESULTS.md."""

from __future__ import annotations

import platform
import time
from pathlib import Path

from .common import cores, cpu_model


class Report:
    """Rows of (measurement, result, target), printed as they come."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def row(self, name: str, value: str, target: str = "") -> None:
        self.rows.append((name, value, target))
        print(f"{name:70s} {value:>14s}  {target}")

    def write(self, path: Path, openvino_version: str, onnxruntime_version: str) -> None:
        """Write the table to ``path`` under the machine's description, keeping its ``## Notes`` section."""
        lines = [
            "# Benchmark results",
            "",
            f"Machine: {cpu_model()}, {cores()} cores; Python {platform.python_version()}; "
            f"OpenVINO {openvino_version.split('-')[0]}, onnxruntime {onnxruntime_version}; "
            f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
            "Command: `.venv/bin/python benchmarks/run.py`. Figures are from one run on this machine.",
            "",
            "| measurement | result | target |",
            "| --- | --- | --- |",
            *[f"| {name} | {value} | {target} |" for name, value, target in self.rows],
            "",
        ]
        notes = ""
        if path.exists() and "\n## Notes" in path.read_text():
            notes = "## Notes" + path.read_text().split("\n## Notes", 1)[1]  # kept across runs
        path.write_text("\n".join(lines) + ("\n" + notes if notes else ""))
        print(f"written to {path}")
