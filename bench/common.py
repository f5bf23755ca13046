"""Helpers shared by the benchmarks: reporting and statistics."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def machine() -> str:
    import os

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentiles(values) -> dict:
    """Median, 95th percentile and mean of a list of seconds, in milliseconds."""
    arr = np.asarray(values, dtype=float) * 1000
    if arr.size == 0:
        return {"n": 0}
    return {
        "n": int(arr.size),
        "median_ms": round(float(np.median(arr)), 1),
        "p95_ms": round(float(np.percentile(arr, 95)), 1),
        "mean_ms": round(float(arr.mean()), 1),
    }


def report(result: dict, as_json: bool) -> None:
    """Print the figures: one JSON object, or readable lines."""
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>28}: {value}")
