"""The values the engine shares with the Streamlit server, read from the one place they are set:
.streamlit/config.toml (the upload limit, the theme's primary colour).

Streamlit reads the same file when `streamlit run app.py` starts in the repository, so the engine's
upload limit and the figures' highlight colour always agree with what the server enforces and draws.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG_PATH = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
# Used only when the file is missing or lacks the setting (the engine copied without the app).
_FALLBACK = {"server": {"maxUploadSize": 5}, "theme": {"primaryColor": "#3b5bdb"}}


def _read(path: Path = CONFIG_PATH) -> dict:
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
