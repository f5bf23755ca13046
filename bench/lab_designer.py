"""The Convolution lab's network designer (issue 29): the script time of a change to a 12-layer design, against a
change of the single-layer calculator on the same page, in the same run (AppTest: the whole page's script, the
designer's fragment included), and the designer's own work (lenet.figures.designer's measure + table_html).

    python bench/lab_designer.py [--changes N] [--quick] [--json]

`--quick` (CI) runs 2 changes of each and checks that the design follows them; `--json` prints the figures as one
JSON line last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from apptest import open_app  # noqa: E402

from lenet.figures import designer  # noqa: E402

TWELVE = "c8k3p1,relu,bn,c8k3p1,relu,mp2,c16k3p1,relu,mp2,fc64,relu,fc10"
LABELS = dict.fromkeys(("index", "layer", "block", "output", "params", "macs", "receptive", "memory"), "x")


def timed_run(at) -> float:
    start = time.perf_counter()
    at.session_state["language"] = "en"
    at.run()
    assert not at.exception, at.exception
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=12)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    n = 2 if args.quick else args.changes
    at = open_app("pages/conv_lab.py", "en", {"net": TWELVE})
    assert len(at.session_state["lab_net_entries"]) == 12
    designer_s, calculator_s = [], []
    for i in range(n):  # alternate, so a busy moment of the machine falls on both
        at.number_input(key="lab_net_size").set_value(8 + (i % 2) * 4)  # layer 1's filters: 8 <-> 12
        designer_s.append(timed_run(at))
        assert at.session_state["lab_net_entries"][0] == f"c{8 + (i % 2) * 4}k3p1"
        at.number_input(key="lab_stride").set_value(1 + i % 2)
        calculator_s.append(timed_run(at))
    entries = TWELVE.split(",")
    start = time.perf_counter()
    for _ in range(200):
        designer.table_html(designer.measure(entries), LABELS | {"input": "", "total": "", "region": ""}, {}, 0)
    own_ms = (time.perf_counter() - start) / 200 * 1000
    d, c = statistics.median(designer_s), statistics.median(calculator_s)
    print(f"12-layer designer change: median {d * 1000:.0f} ms over {n} (AppTest, whole script)")
    print(f"calculator change (lab_stride): median {c * 1000:.0f} ms over {n}")
    print(f"ratio designer / calculator: {d / c:.2f}")
    print(f"designer's own work (measure + table_html, 12 layers): {own_ms:.2f} ms")
    if args.json:
        figures = dict(changes=n, designer_ms=round(d * 1000), calculator_ms=round(c * 1000), ratio=round(d / c, 2))
        print(json.dumps(figures | {"own_ms": round(own_ms, 3)}))


if __name__ == "__main__":
    main()
