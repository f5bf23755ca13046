import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

_shared = ROOT.parent / "shared" / "data" / "mnist"
if "LENET_DATA_DIR" not in os.environ and _shared.is_dir():
    os.environ["LENET_DATA_DIR"] = str(_shared)

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium; say so plainly where it is missing."""
    from appserver import CHROMIUM

    if os.path.exists(CHROMIUM) or os.environ.get("CI"):  # in CI a missing browser must fail, not skip
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: run `apt-get install -y chromium`")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
