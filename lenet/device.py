"""Which devices this machine can train on, the one to use, its human name and the CPU threads to take."""

from __future__ import annotations

import os

import torch

from lenet import settings
from lenet.errors import CodedError


class DeviceError(CodedError, RuntimeError):
    """A device this machine does not have (`code` "device_unavailable")."""

    default_code = "device_unavailable"


def _mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def available_devices() -> list[str]:
    """The device choices this machine offers: "auto", "cpu", then "cuda" and "mps" when present."""
    found = ["auto", "cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    return found


def pick_device(name: str = "auto") -> torch.device:
    """The device to train on. "auto" means $LENET_DEVICE, which by default means cuda, then mps, then cpu.

    Args:
        name: "auto", "cpu", "cuda" or "mps" (TrainConfig.validate refuses other names).
    Returns:
        the torch device.
    Raises:
        DeviceError: "device_unavailable" when the named device is not on this machine.
    """
    name = (name or "auto").lower()
    if name == "auto":
        name = settings.current().device
    if name == "auto":
        return torch.device(next((d for d in ("cuda", "mps") if d in available_devices()), "cpu"))
    if name not in available_devices():
        raise DeviceError(f"device {name!r} is not available on this machine", "device_unavailable", device=name)
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """A short human name: 'CPU (2 cores)', 'NVIDIA H100 80GB HBM3', 'Apple MPS'."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({os.cpu_count()} cores)"


def default_threads(leave_one: bool = False) -> int:
    """Threads to train with: every core, or all but one so that the app's inference keeps a core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores - 1) if leave_one else max(1, cores)
