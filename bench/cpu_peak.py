"""How close LeNet-5's training comes to this CPU's peak: the arithmetic and the measurements, in one run.

- **FLOP per image.** LeNet-5's multiply-adds per image come from its network table (the Convolution lab's).
  Training does the forward pass, the weight gradients (as many multiply-adds again) and the input gradients of
  every layer but C1, whose input (the picture) needs none. Pooling, activations, biases and the optimizer are
  a rounding error beside them and are left out.
- **The CPU's peak.** cores x float32 FLOP per cycle per core x the clock. FLOP per cycle is the core's FMA
  pipes x their float32 lanes x 2 (an FMA is a multiply and an add), from the vendor, family and model in
  /proc/cpuinfo (`PIPES` below, with its sources). The clock is /proc/cpuinfo's "cpu MHz": on a virtual machine
  that is the nominal clock, so a core that boosts above it makes the fraction a little flattering.
- **Measured.** A large float32 matmul (the best this machine's BLAS does: the practical ceiling), then one epoch
  of the quick recipe through lenet.train.fit (the data in memory): the median step alone and the whole loop.

    python bench/cpu_peak.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
from common import machine, report

# Float32 FMA pipes per core and the float32 lanes of each, by (vendor, family, first model of the generation).
# AMD: Software Optimization Guides for families 17h (Zen: two 128-bit FMA pipes; Zen 2: 256-bit), 19h (Zen 3 and
# Zen 4: two 256-bit pipes, Zen 4 running AVX-512 through them in two halves) and 1Ah (Zen 5: 512-bit).
PIPES = {
    ("AuthenticAMD", 23, 0): (2, 4, "Zen / Zen+"),
    ("AuthenticAMD", 23, 0x30): (2, 8, "Zen 2"),
    ("AuthenticAMD", 25, 0): (2, 8, "Zen 3"),
    ("AuthenticAMD", 25, 0x10): (2, 8, "Zen 4"),
    ("AuthenticAMD", 25, 0x60): (2, 8, "Zen 4"),
    ("AuthenticAMD", 26, 0): (2, 16, "Zen 5"),
}


def cpu() -> dict:
    """The CPU's identity and float32 peak from /proc/cpuinfo; the peak is None where the pipes are not known."""
    info: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    vendor, flags = info.get("vendor_id", "?"), set(info.get("flags", "").split())
    family, model = int(info.get("cpu family", "0") or 0), int(info.get("model", "0") or 0)
    known = [(k, v) for k, v in PIPES.items() if k[0] == vendor and k[1] == family and k[2] <= model]
    if known:
        pipes, lanes, name = max(known)[1]
    elif vendor == "GenuineIntel" and "avx512f" in flags:
        pipes, lanes, name = 2, 16, "Intel with AVX-512 (two 512-bit FMA pipes assumed)"
    elif "fma" in flags and "avx2" in flags:
        pipes, lanes, name = 2, 8, "AVX2 with FMA (two 256-bit pipes assumed)"
    else:
        pipes, lanes, name = 0, 0, "unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    ghz = round(float(info.get("cpu MHz", "0") or 0) / 1000, 3)
    per_cycle = pipes * lanes * 2
    peak = cores * per_cycle * ghz if per_cycle and ghz else None
    return {
        "model_name": info.get("model name", "?"),
        "vendor": vendor,
        "family": family,
        "model": model,
        "core": name,
        "avx512": "avx512f" in flags,
        "cores": cores,
        "clock_ghz": ghz,
        "flop_per_cycle_per_core": per_cycle,
        "peak_gflops": round(peak, 1) if peak else None,
        "arithmetic": f"{cores} cores x {pipes} FMA pipes x {lanes} float32 lanes x 2 FLOP x {ghz} GHz"
        if peak
        else "unknown pipes: only the measured matmul is a ceiling",
    }


def lenet_flop_per_image() -> dict:
    """Training's FLOP per image from LeNet-5's network table: forward, weight gradients, input gradients."""
    from lenet.config import LeNetConfig
    from lenet.conv.network import totals

    rows = LeNetConfig().table()[1:]
    forward = totals(rows)[1]
    input_grads = forward - rows[0].macs  # C1's input is the picture: no gradient
    macs = forward + forward + input_grads
    return {
        "forward_macs": forward,
        "training_macs": macs,
        "training_mflop": round(2 * macs / 1e6, 3),
        "arithmetic": f"2 x ({forward:,} forward + {forward:,} weight grads + {input_grads:,} input grads) MACs",
    }


def matmul_gflops(n: int, seconds: float) -> float:
    """float32 n x n matmul on every thread torch uses, timed for about `seconds` after a warm-up."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or reps < 3:
        a @ b
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def epoch(images: int, max_steps: int | None) -> dict:
    """One epoch of the quick recipe (lenet.train's defaults) on MNIST, or on random digits without it."""
    from lenet.data import MNIST, DataError, load_mnist
    from lenet.events import Step
    from lenet.train import TrainConfig, fit

    try:
        data, source = load_mnist(), "MNIST"
    except DataError:
        rng = np.random.default_rng(0)
        data = MNIST(
            rng.integers(0, 256, (images, 28, 28), np.uint8),
            rng.integers(0, 10, images).astype(np.uint8),
            rng.integers(0, 256, (1000, 28, 28), np.uint8),
            rng.integers(0, 10, 1000).astype(np.uint8),
        )
        source = "random digits (no MNIST here)"
    stamps: list[float] = []
    tc = TrainConfig(max_steps=max_steps, device="cpu")
    result = fit(train_config=tc, data=data, callback=lambda e: isinstance(e, Step) and stamps.append(e.elapsed_s))
    steps = [float(s) for s in np.diff(stamps)]
    seen = min(result.steps * tc.batch_size, len(data.train_images))
    return {
        "data": source,
        "steps": result.steps,
        "batch_size": tc.batch_size,
        "median_step_ms": round(statistics.median(steps) * 1000, 2) if len(steps) else None,
        "step_images_per_s": round(tc.batch_size / statistics.median(steps)) if len(steps) else None,
        "loop_images_per_s": round(seen / stamps[-1]) if stamps and stamps[-1] > 0 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small matmul and 5 steps: checks the arithmetic")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import torch

    from lenet.device import default_threads

    torch.set_num_threads(default_threads())
    hw, flop = cpu(), lenet_flop_per_image()
    matmul = matmul_gflops(256 if args.quick else 2048, 0.2 if args.quick else 3.0)
    run = epoch(2000 if args.quick else 60000, 5 if args.quick else None)
    mflop = flop["training_mflop"]
    # rounded as printed before any share is taken, so that every printed share is its printed GFLOP/s over the peak
    matmul = round(matmul, 1)
    step_gflops = round(run["step_images_per_s"] * mflop / 1000, 1) if run["step_images_per_s"] else None
    loop_gflops = round(run["loop_images_per_s"] * mflop / 1000, 1) if run["loop_images_per_s"] else None
    peak = hw["peak_gflops"]

    def share(gflops: float | None) -> float | None:
        return round(gflops / peak, 3) if gflops and peak else None

    result = {
        "machine": machine(),
        "mode": "quick (CI: the arithmetic only)" if args.quick else "full",
        "torch_threads": torch.get_num_threads(),
        "cpu": hw,
        "lenet": flop,
        "epoch_gflop": round(60000 * mflop / 1000, 1),
        "epoch_s_at_peak": round(60000 * mflop / 1000 / peak, 2) if peak else None,
        "matmul_gflops": matmul,
        "matmul_share_of_peak": share(matmul),
        "run": run,
        "step_gflops": step_gflops,
        "step_share_of_peak": share(step_gflops),
        "loop_gflops": loop_gflops,
        "loop_share_of_peak": share(loop_gflops),
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
