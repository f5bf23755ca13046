"""Shared test setup: import paths, where MNIST comes from, and the data the browser tests serve.

MNIST: $LENET_DATA_DIR if set, else ../shared/data/mnist beside the repository when that folder exists.
Only checks of accuracy on the real MNIST test set need it (they skip, saying so, without it); everything
that trains or evaluates uses the tiny MNIST-format set the tests write themselves (tests/tiny_mnist.py).

LENET_NO_SHARED_DATA=1 makes this file ignore ../shared/data/mnist: with `env -u LENET_DATA_DIR` it runs the
tests as on a fresh clone with no MNIST anywhere, e.g.

    env -u LENET_DATA_DIR LENET_NO_SHARED_DATA=1 .venv/bin/python -m pytest tests/test_browser_shell.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

_shared = ROOT.parent / "shared" / "data" / "mnist"
NO_SHARED_DATA = os.environ.get("LENET_NO_SHARED_DATA", "").strip() not in ("", "0")
if "LENET_DATA_DIR" not in os.environ and not NO_SHARED_DATA and _shared.is_dir():
    os.environ["LENET_DATA_DIR"] = str(_shared)

import pytest  # noqa: E402

# The tiny MNIST the browser tests' servers train and evaluate on: 24,576 bars (192 batches of 128) make
# one epoch last several seconds, so the live charts redraw and a run can be stopped while it runs; 10 of
# the 200 test digits carry a wrong label, so a trained model scores 9x % (never 100 %) and the Evaluate
# page has mistakes to show.
BROWSER_TINY = {"n_train": 24576, "n_test": 200, "wrong_test_labels": 10}


@pytest.fixture(scope="session")
def tiny_mnist_dir(tmp_path_factory) -> Path:
    """A folder with the browser tests' tiny MNIST (see BROWSER_TINY), written once per test session."""
    from tiny_mnist import write_tiny_mnist

    return write_tiny_mnist(tmp_path_factory.mktemp("tiny-mnist"), **BROWSER_TINY)


@pytest.fixture
def app_env(tiny_mnist_dir, tmp_path) -> dict:
    """Environment for an app server a test starts: the tiny MNIST and an empty runs folder of its own."""
    return {"LENET_DATA_DIR": str(tiny_mnist_dir), "LENET_RUNS_DIR": str(tmp_path / "runs")}


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium; say so plainly where it is missing."""
    from appserver import CHROMIUM

    if os.path.exists(CHROMIUM) or os.environ.get("CI"):  # in CI a missing browser must fail, not skip
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: run `apt-get install -y chromium`")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
