import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_shared = ROOT.parent / "shared" / "data" / "mnist"
if "LENET_DATA_DIR" not in os.environ and _shared.is_dir():
    os.environ["LENET_DATA_DIR"] = str(_shared)
