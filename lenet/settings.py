"""Every `LENET_*` environment variable, read in one place, with its default (see the README's settings table),
and the values shared with the Streamlit server (.streamlit/config.toml).

`current()` reads the environment each time it is called, so a setting changed at runtime (a test's
monkeypatch, a server restarted with new values) is seen at once. A value that cannot be used is logged
and its default is used instead. Defaults that are folders resolve against the repository, so the app
finds them wherever it is started from; a folder given in the environment is taken as the user wrote it.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent  # the repository
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class Settings:
    """The server's settings; `current()` makes one from the environment."""

    # LENET_DATA_DIR: the folder with the four MNIST files (git-ignored; `python -m lenet fetch-data` fills it).
    data_dir: Path = ROOT / "data" / "mnist"
    # LENET_RUNS_DIR: where training runs are saved (git-ignored); every page's model picker lists them.
    runs_dir: Path = ROOT / "checkpoints" / "runs"
    # LENET_DEVICE: what "auto" means for training: auto is CUDA, then Apple MPS, then the CPU.
    device: str = "auto"
    # LENET_MAX_CONCURRENT_RUNS: runs that train at once, the rest queue. None: chosen by the hardware
    # (lenet.jobs.default_max_concurrent: 1 on a CPU, a few on a GPU).
    max_concurrent_runs: int | None = None
    # LENET_MAX_EPOCHS: the most epochs a run from the app may ask for (a classroom server's fairness cap).
    max_epochs: int = 20
    # LENET_LANGUAGE: the language new sessions open in; a link's ?lang= overrides it, unknown codes are ignored.
    language: str = "en"
    # LENET_DEBUG: set to anything to see the CLI's tracebacks instead of one-line errors.
    debug: bool = False
    # LENET_STATE_DIR: the server's own state (git-ignored): class mode's embedded SQLite database lives here.
    state_dir: Path = ROOT / "checkpoints" / "state"
    # LENET_DATABASE_URL: class mode's database server (postgresql://user:pass@host/db), shared by replicas.
    # None: the embedded SQLite file in the state folder, which needs nothing else installed.
    database_url: str | None = None
    # LENET_CLASS_TTL_HOURS: a class ends this long after it starts, and its digits and nicknames are deleted.
    class_ttl_hours: float = 12.0
    # LENET_RAY_ADDRESS: train on a Ray cluster (lenet.backends.ray): "auto", "ray://head:10001" or the head's
    # GCS address "host:6379". None: every run trains in a child process of this server (lenet.backends.local).
    ray_address: str | None = None
    # LENET_RAY_GPUS_PER_RUN: the GPU share each run reserves on the cluster. None: 0.25 when the cluster has
    # GPUs (four LeNet runs share one), else none.
    ray_gpus_per_run: float | None = None
    # LENET_RAY_CPUS_PER_RUN: the CPU cores each run reserves on the cluster (and the threads it trains with).
    ray_cpus_per_run: float = 1.0
    # LENET_RAY_FALLBACK: what a replica does when the cluster cannot be reached at start-up: "local" trains
    # here and says so on the Train page; "none" refuses to train (the Train page says why).
    ray_fallback: str = "local"
    # Not a LENET_* variable: the user's cache folder, $XDG_CACHE_HOME/lenet-explorer (else ~/.cache/...).
    # The decoded MNIST cache goes there when the data folder is read-only (lenet.data.cache_paths).
    cache_dir: Path = Path.home() / ".cache" / "lenet-explorer"


def _folder(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser() if raw else default


def _positive_int(name: str, default: int | None) -> int | None:
    """A whole number of at least 1; a bad value is logged and the default used."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        log.warning("%s=%r is not a whole number of at least 1; using the default (%s)", name, raw, default)
        return default
    return value


def _positive_float(name: str, default: float) -> float:
    """A number above 0; a bad value is logged and the default used."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        log.warning("%s=%r is not a number above 0; using the default (%s)", name, raw, default)
        return default
    return value


def _fraction(name: str, default: float | None) -> float | None:
    """A share of a device, 0 or more (0: none); a bad value is logged and the default used."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        log.warning("%s=%r is not a number of at least 0; using the default (%s)", name, raw, default)
        return default
    return value


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        log.warning("%s=%r is not one of %s; using %s", name, raw, ", ".join(choices), default)
        return default
    return raw


def current() -> Settings:
    """The settings as the environment has them now.

    Returns:
        a Settings; every variable that is unset, empty or unusable has its default.
    """
    defaults = Settings()
    return Settings(
        data_dir=_folder("LENET_DATA_DIR", defaults.data_dir),
        runs_dir=_folder("LENET_RUNS_DIR", defaults.runs_dir),
        device=_choice("LENET_DEVICE", DEVICES, defaults.device),
        max_concurrent_runs=_positive_int("LENET_MAX_CONCURRENT_RUNS", defaults.max_concurrent_runs),
        max_epochs=_positive_int("LENET_MAX_EPOCHS", defaults.max_epochs),
        # Not checked here: the languages live in lenet.i18n, which ignores a code it does not know.
        language=os.environ.get("LENET_LANGUAGE", "").strip().lower() or defaults.language,
        debug=bool(os.environ.get("LENET_DEBUG")),
        state_dir=_folder("LENET_STATE_DIR", defaults.state_dir),
        database_url=os.environ.get("LENET_DATABASE_URL", "").strip() or defaults.database_url,
        class_ttl_hours=_positive_float("LENET_CLASS_TTL_HOURS", defaults.class_ttl_hours),
        ray_address=os.environ.get("LENET_RAY_ADDRESS", "").strip() or defaults.ray_address,
        ray_gpus_per_run=_fraction("LENET_RAY_GPUS_PER_RUN", defaults.ray_gpus_per_run),
        ray_cpus_per_run=_positive_float("LENET_RAY_CPUS_PER_RUN", defaults.ray_cpus_per_run),
        ray_fallback=_choice("LENET_RAY_FALLBACK", ("local", "none"), defaults.ray_fallback),
        cache_dir=_folder("XDG_CACHE_HOME", defaults.cache_dir.parent) / defaults.cache_dir.name,
    )


# Values shared with the Streamlit server, read from the one place they are set: .streamlit/config.toml.
# Streamlit reads the same file when `streamlit run app.py` starts, so the engine's upload limit and the
# figures' highlight colour always agree with what the server enforces and draws.
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
# Used only when the file is missing or lacks the setting (the engine copied without the app).
_FALLBACK = {"server": {"maxUploadSize": 5}, "theme": {"primaryColor": "#3b5bdb"}}


def _read(path: Path = STREAMLIT_CONFIG) -> dict:
    """The parsed config file, or an empty dict when there is none."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}


def _setting(config: dict, section: str, key: str):
    """config[section][key], else the fallback."""
    return config.get(section, {}).get(key, _FALLBACK[section][key])


_CONFIG = _read()
UPLOAD_LIMIT_MB: int = int(_setting(_CONFIG, "server", "maxUploadSize"))  # Streamlit's MB are 2**20 bytes
PRIMARY_COLOR: str = str(_setting(_CONFIG, "theme", "primaryColor"))
