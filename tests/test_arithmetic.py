"""lenet.conv (arithmetic, explain, network) and `python -m lenet shape` against the real PyTorch layers.

PyTorch is the oracle: for hundreds of random settings the pure-Python arithmetic must give the
same output size, and refuse exactly the settings that torch refuses.
"""

import contextlib
import io
import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lenet.config import LeNetConfig
from lenet.conv import cli as shape_cli
from lenet.conv.arithmetic import (
    LayerError,
    conv_inputs,
    conv_output_size,
    index_ranges,
    resolve_padding,
    spread,
    stride_fit,
)
from lenet.conv.explain import explain_layer, output_padding_choices
from lenet.conv.network import total_params
from lenet.conv.query import parse_size
from lenet.model import LeNet

ROOT = Path(__file__).resolve().parent.parent
N_RANDOM = 400


def torch_shape(h, w, kernel, stride, padding, dilation, op, ceil_mode):
    """(H, W) of the real layer's output, or None when PyTorch refuses the setting."""
    x = torch.zeros(1, 1, h, w)
    if op != "conv" and padding == "valid":
        padding = 0  # pooling has no 'valid' keyword; arithmetic reads it as 0, its meaning
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 'same' with an even kernel warns about a padded copy
            if op == "conv":
                layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
            elif op == "maxpool":
                layer = nn.MaxPool2d(kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
            elif dilation != 1:
                return None  # AvgPool2d has no dilation parameter at all
            else:
                layer = nn.AvgPool2d(kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
            return tuple(layer(x).shape[-2:])
    except (RuntimeError, ValueError, TypeError):
        return None


def ours(h, w, kernel, stride, padding, dilation, op, ceil_mode):
    try:
        return (
            conv_output_size(h, kernel, stride, padding, dilation, op, ceil_mode),
            conv_output_size(w, kernel, stride, padding, dilation, op, ceil_mode),
        )
    except LayerError:
        return None


def random_settings(seed: int, n: int = N_RANDOM):
    """Small random settings, weighted so that refusals, ceil mode and 'same' all come up often."""
    rng = random.Random(seed)
    for _ in range(n):
        op = rng.choice(["conv", "maxpool", "avgpool"])
        pool = op != "conv"
        padding = rng.choice([0, 0, 1, 1, 2, 3, "valid", "same"] if pool else [0, 0, 1, 2, 3, 4, "same", "valid"])
        dilation = rng.choice([1, 1, 1, 1, 2] if op == "avgpool" else [1, 1, 2, 3])
        yield dict(
            h=rng.randint(1, 16),
            w=rng.randint(1, 16),
            kernel=rng.randint(1, 7),
            stride=rng.choice([1, 1, 2, 3, 4]),
            padding=padding,
            dilation=dilation,
            op=op,
            ceil_mode=pool and rng.random() < 0.5,
        )


def test_random_settings_match_pytorch_including_refusals():
    outcomes = {"ok": 0, "refused": 0, "ceil": 0}
    for s in random_settings(seed=1):
        expected, got = torch_shape(**s), ours(**s)
        assert got == expected, s
        outcomes["ok" if expected else "refused"] += 1
        outcomes["ceil"] += s["ceil_mode"] and expected is not None
    # the draw must exercise both sides of every rule, or agreement proves little
    assert outcomes["ok"] > N_RANDOM // 3 and outcomes["refused"] > N_RANDOM // 10 and outcomes["ceil"] > 30


@pytest.mark.parametrize(
    "s",
    [
        dict(h=8, w=8, kernel=3, stride=1, padding=2, dilation=2, op="maxpool", ceil_mode=False),  # kernel//2 rule
        dict(h=8, w=8, kernel=2, stride=1, padding=1, dilation=3, op="maxpool", ceil_mode=False),
        dict(h=8, w=8, kernel=1, stride=1, padding=1, dilation=1, op="maxpool", ceil_mode=False),
        dict(h=3, w=3, kernel=4, stride=2, padding=0, dilation=1, op="maxpool", ceil_mode=True),  # ceil rescues
        dict(h=3, w=3, kernel=4, stride=2, padding=0, dilation=1, op="maxpool", ceil_mode=False),
        dict(h=3, w=3, kernel=5, stride=3, padding=0, dilation=1, op="avgpool", ceil_mode=True),
        dict(h=1, w=1, kernel=3, stride=2, padding=1, dilation=1, op="avgpool", ceil_mode=True),
        dict(h=5, w=5, kernel=2, stride=2, padding=1, dilation=1, op="maxpool", ceil_mode=True),  # last window trimmed
        dict(h=3, w=3, kernel=7, stride=1, padding="same", dilation=1, op="conv", ceil_mode=False),
        dict(h=2, w=2, kernel=4, stride=1, padding="same", dilation=3, op="conv", ceil_mode=False),
        dict(h=8, w=8, kernel=3, stride=2, padding="same", dilation=1, op="conv", ceil_mode=False),
        dict(h=8, w=8, kernel=3, stride=1, padding=-1, dilation=1, op="conv", ceil_mode=False),
        dict(h=8, w=8, kernel=3, stride=1, padding="same", dilation=1, op="maxpool", ceil_mode=False),
        dict(h=0, w=5, kernel=1, stride=1, padding=1, dilation=1, op="conv", ceil_mode=False),  # an empty image
        dict(h=0, w=5, kernel=3, stride=1, padding=1, dilation=1, op="maxpool", ceil_mode=False),
        dict(h=0, w=5, kernel=3, stride=1, padding=1, dilation=1, op="avgpool", ceil_mode=True),
    ],
)
def test_edge_cases_match_pytorch(s):
    assert ours(**s) == torch_shape(**s)


def test_zero_or_negative_values_are_refused_with_a_code():
    for bad in (
        dict(size=0, kernel=3),
        dict(size=8, kernel=0),
        dict(size=8, kernel=3, stride=0),
        dict(size=8, kernel=3, dilation=-1),
        dict(size=-4, kernel=1),
    ):
        with pytest.raises(LayerError) as info:
            conv_output_size(**bad)
        assert info.value.code == "not_positive"
    for bad_op in ("pool", "", None):
        with pytest.raises(LayerError):
            conv_output_size(8, 3, op=bad_op)


def test_same_padding_needs_stride_one_and_puts_the_odd_pixel_after():
    with pytest.raises(LayerError) as info:
        resolve_padding("same", 3, stride=2)
    assert info.value.code == "same_stride"
    assert resolve_padding("same", 4) == (1, 2)
    # the side matters for the lab's picture: check it against torch's own 'same'
    x = torch.randn(1, 1, 6, 7)
    weight = torch.randn(1, 1, 4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = F.conv2d(x, weight, padding="same")
    before, after = resolve_padding("same", 4)
    assert torch.allclose(F.conv2d(F.pad(x, (before, after, before, after)), weight), expected, atol=1e-6)


def test_stride_fit_reports_the_tutorials_integer_check():
    fit = stride_fit(28, 5, 2, 0)
    assert (fit.output, fit.exact, fit.quotient, fit.dropped, fit.uncovered) == (12, False, 12.5, 1, (27,))
    assert fit.uncovered_tail == (27,) and fit.uncovered_gaps == ()
    exact = stride_fit(28, 5, 1, 2)
    assert exact.exact and exact.output == 28 and exact.uncovered == ()
    # padding 2 with stride 2: one padding column is skipped, but every image column is read
    only_padding = stride_fit(28, 5, 2, 2)
    assert not only_padding.exact and only_padding.dropped == 1 and only_padding.uncovered == ()
    gaps = stride_fit(5, 2, 3, 0)  # windows [0,1] and [3,4]: column 2 lies between them
    assert gaps.uncovered == (2,) and gaps.uncovered_gaps == (2,) and gaps.uncovered_tail == ()


def read_by_torch(size, kernel, stride, padding, dilation, op, ceil_mode):
    """Input indices some window reads, found by autograd: pad like the layer, then a ones-kernel conv."""
    fit = stride_fit(size, kernel, stride, padding, dilation, op, ceil_mode)
    # ceil mode's last window hangs past the padding: widen the padding so a plain conv sees it
    extra = max(0, (fit.output - 1) * stride + fit.span - fit.padded)
    x = torch.zeros(1, 1, 1, size, requires_grad=True)
    y = F.conv2d(
        F.pad(x, (fit.before, fit.after + extra)),
        torch.ones(1, 1, 1, kernel),
        stride=(1, stride),
        dilation=(1, dilation),
    )
    assert y.shape[-1] == fit.output
    y.sum().backward()
    return {i for i in range(size) if x.grad[0, 0, 0, i] != 0}, fit


def test_uncovered_lines_match_autograd_over_random_settings():
    checked = 0
    for s in random_settings(seed=2, n=300):
        settings = {k: s[k] for k in ("kernel", "stride", "padding", "dilation", "op", "ceil_mode")}
        if ours(**s) is None:
            continue
        read, fit = read_by_torch(s["w"], **settings)
        assert set(fit.uncovered) == set(range(s["w"])) - read, s
        checked += 1
    assert checked > 100


def test_explain_layer_output_params_and_formula():
    report = explain_layer(28, 28, 5, in_channels=1, out_channels=6)
    assert report.ok and report.exact and report.output == (6, 24, 24)
    assert report.params == sum(p.numel() for p in nn.Conv2d(1, 6, 5).parameters()) == 156
    assert report.macs == 6 * 25 * 24 * 24
    (formula,) = report.formulas()
    assert "28 - 5" in formula and formula.endswith("= 24")
    pool = explain_layer(28, 28, 2, 2, op="maxpool", in_channels=6, out_channels=99)
    assert pool.output == (6, 14, 14) and pool.params == 0
    assert len(explain_layer(28, 32, 5).formulas()) == 2


def test_explain_layer_suggests_settings_that_fit():
    report = explain_layer(28, 28, 5, 2, 0)
    assert report.ok and not report.exact and report.suggestions
    for suggestion in report.suggestions:
        settings = {**dict(kernel=5, stride=2, padding=0, dilation=1), **suggestion.changes}
        assert suggestion.exact and stride_fit(28, **settings).exact
        assert suggestion.output == (conv_output_size(28, **settings),) * 2
    too_big = explain_layer(3, 3, 5)
    assert too_big.error.code == "kernel_too_big" and too_big.suggestions
    assert explain_layer(8, 8, 3, 2, "same").suggestions[0].changes == {"stride": 1}


@pytest.mark.parametrize(
    "bad",
    [
        dict(height=0, width=5, kernel=3),
        dict(height=-3, width=-3, kernel=-1),
        dict(height=5, width=5, kernel="x"),
        dict(height=5, width=5, kernel=3, padding="wide"),
        dict(height=5, width=5, kernel=3, op="nope"),
        dict(height=10**9, width=3, kernel=3, stride=10**9),
        dict(height=5, width=5, kernel=3, out_channels=0),
        dict(height=5, width=5, kernel=3, padding=True),
        dict(height=None, width=5, kernel=3),
    ],
)
def test_explain_layer_never_raises(bad):
    report = explain_layer(**bad)
    assert report.ok or report.error.code


def test_parse_size_and_index_ranges():
    assert parse_size("28") == (28, 28) and parse_size("28x32") == (28, 32) and parse_size(" 7 × 9 ") == (7, 9)
    for bad in ("", "x", "28x", "1x2x3", "2e3", "9" * 40):
        with pytest.raises(LayerError):
            parse_size(bad)
    assert index_ranges([5, 0, 1, 2]) == [(0, 2), (5, 5)]


def random_config(rng: random.Random) -> dict:
    return dict(
        c1_channels=rng.randint(1, 8),
        c1_kernel=rng.randint(1, 7),
        c1_stride=rng.randint(1, 3),
        c1_padding=rng.randint(0, 3),
        c3_channels=rng.randint(1, 8),
        c3_kernel=rng.randint(1, 5),
        c3_stride=rng.randint(1, 2),
        c3_padding=rng.randint(0, 2),
        c5_channels=rng.randint(1, 16),
        c5_kernel=rng.randint(1, 5),
        c5_stride=rng.randint(1, 2),
        c5_padding=rng.randint(0, 2),
        pool=rng.choice(["max", "avg", "none"]),
        pool_size=rng.randint(1, 3),
        f6_units=rng.randint(1, 20),
        batch_norm=rng.random() < 0.3,
    )


def test_network_table_matches_a_real_lenet_forward_pass():
    rng = random.Random(3)
    valid = 0
    for _ in range(120):
        fields = random_config(rng)
        rows = LeNetConfig.unchecked(**fields).table()
        if any(r.error for r in rows):
            # the first failing row carries a reason, every later one is unreachable
            first = next(i for i, r in enumerate(rows) if r.error)
            assert rows[first].error.code != "unreachable"
            assert all(r.error.code == "unreachable" for r in rows[first + 1 :])
            with pytest.raises(ValueError):
                LeNetConfig(**fields)
            continue
        valid += 1
        model = LeNet(LeNetConfig(**fields)).eval()
        with torch.no_grad():
            _, outputs = model.forward_with_activations(torch.zeros(1, 1, 28, 28))
        shapes = {name: tuple(output.shape[1:]) for name, output in outputs.items()}
        for row in rows[1:]:
            assert shapes[row.name] == row.output, (fields, row)
            layer_params = sum(p.numel() for p in model.named_layers()[row.name].parameters())
            assert layer_params == row.params, (fields, row)
        assert total_params(rows) == sum(p.numel() for p in model.parameters())
    assert valid > 20


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = shape_cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def cli_argv(s: dict) -> list[str]:
    argv = [
        "--input",
        f"{s['h']}x{s['w']}",
        "--kernel",
        str(s["kernel"]),
        "--stride",
        str(s["stride"]),
        "--padding",
        str(s["padding"]),
        "--dilation",
        str(s["dilation"]),
        "--op",
        s["op"],
        "--json",
    ]
    return argv + (["--ceil-mode"] if s["ceil_mode"] else [])


def test_page_numbers_cli_and_pytorch_agree_over_random_settings():
    for s in random_settings(seed=4):
        expected = torch_shape(**s)
        report = explain_layer(
            s["h"], s["w"], s["kernel"], s["stride"], s["padding"], s["dilation"], s["op"], s["ceil_mode"]
        )
        code, out, err = run_cli(cli_argv(s))
        if expected is None:
            assert not report.ok and code == 2 and out == "" and len(err.strip().splitlines()) == 1, s
        else:
            assert report.output[1:] == expected and code == 0, s
            assert json.loads(out) == {"output": list(expected)}


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--input", "28"],
        ["--input", "0", "--kernel", "3"],
        ["--input", "28", "--kernel", "five"],
        ["--input", "28", "--kernel", "3", "--padding", "lots"],
    ],
)
def test_cli_invalid_is_one_line_and_exit_2(argv):
    code, out, err = run_cli(argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_shape_does_not_import_torch():
    code = "import sys, lenet.conv.cli; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_python_m_lenet_shape():
    ok = subprocess.run(
        [sys.executable, "-m", "lenet", "shape", "--input", "28", "--kernel", "5", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"output": [24, 24]}
    bad = subprocess.run(
        [sys.executable, "-m", "lenet", "shape", "--input", "3", "--kernel", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


# --- transposed convolutions ----------------------------------------------------------------------

N_TRANSPOSED = 400


def torch_transposed_shape(h, w, kernel, stride, padding, dilation, output_padding, empty_is_refused=True):
    """(H, W) of a real nn.ConvTranspose2d's output, or None when PyTorch refuses the setting.

    An output with no rows or no columns counts as refused. PyTorch itself is of two minds there: its
    native CPU kernel (slow_conv_transpose2d, chosen for kernels up to 3x3) raises "Output size is too
    small", while its oneDNN kernel (chosen for larger kernels, larger batches or inputs) returns an empty
    tensor, so whether a 0-pixel output raises depends on the backend, not on the layer. The arithmetic
    refuses it always; count_transposed_agreement counts how often torch returned an empty tensor.
    With empty_is_refused=False the empty shape is returned as it is.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = nn.ConvTranspose2d(
                1, 1, kernel, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding
            )
            shape = tuple(layer(torch.zeros(1, 1, h, w)).shape[-2:])
    except (RuntimeError, ValueError, TypeError):
        return None
    return None if empty_is_refused and 0 in shape else shape


def ours_transposed(h, w, kernel, stride, padding, dilation, output_padding):
    try:
        return tuple(
            conv_output_size(n, kernel, stride, padding, dilation, "convtranspose", output_padding=output_padding)
            for n in (h, w)
        )
    except LayerError as exc:
        return exc.code


def random_transposed_settings(seed: int, n: int = N_TRANSPOSED):
    """Small random settings, weighted so that every refusal (output padding, over-cropping, 'same') comes up."""
    rng = random.Random(seed)
    for _ in range(n):
        yield dict(
            h=rng.randint(1, 12),
            w=rng.randint(1, 12),
            kernel=rng.randint(1, 6),
            stride=rng.choice([1, 1, 2, 3, 4]),
            padding=rng.choice([0, 0, 1, 2, 3, 5, 8, "same", "valid"]),
            dilation=rng.choice([1, 1, 2, 3]),
            output_padding=rng.choice([0, 0, 0, 1, 1, 2, 3]),
        )


def count_transposed_agreement(seed: int = 11) -> dict[str, int]:
    """Compare every random setting with nn.ConvTranspose2d; count the outcomes (and each refusal's reason)."""
    outcomes = {"ok": 0, "refused": 0}
    for s in random_transposed_settings(seed):
        expected, got = torch_transposed_shape(**s), ours_transposed(**s)
        if expected is None:
            assert isinstance(got, str), (s, got)  # refused by both, and ours says why
            outcomes["refused"] += 1
            outcomes[got] = outcomes.get(got, 0) + 1
            empty = torch_transposed_shape(**s, empty_is_refused=False)
            outcomes["torch_empty"] = outcomes.get("torch_empty", 0) + (empty is not None)
        else:
            assert got == expected, s
            outcomes["ok"] += 1
    return outcomes


def test_transposed_random_settings_match_pytorch_including_refusals():
    outcomes = count_transposed_agreement()
    assert outcomes["ok"] + outcomes["refused"] == N_TRANSPOSED
    assert outcomes["ok"] > N_TRANSPOSED // 3 and outcomes["refused"] > N_TRANSPOSED // 10, outcomes
    # every reason PyTorch has for refusing must be exercised, or agreement on it proves little
    for code in ("output_padding_too_big", "transpose_too_small", "transpose_padding_word"):
        assert outcomes.get(code, 0) >= 10, outcomes


@pytest.mark.parametrize(
    "s",
    [
        dict(h=5, w=5, kernel=3, stride=2, padding=0, dilation=1, output_padding=1),
        dict(h=5, w=5, kernel=3, stride=2, padding=0, dilation=1, output_padding=2),  # not below the stride
        dict(h=5, w=5, kernel=3, stride=1, padding=0, dilation=2, output_padding=1),  # below the dilation: fine
        dict(h=5, w=5, kernel=3, stride=2, padding=5, dilation=1, output_padding=0),  # crops down to 1
        dict(h=1, w=9, kernel=3, stride=1, padding=2, dilation=1, output_padding=0),  # one axis too small
        dict(h=4, w=4, kernel=3, stride=1, padding=3, dilation=1, output_padding=0),  # exactly 0: raises
        dict(h=2, w=2, kernel=4, stride=4, padding=4, dilation=1, output_padding=0),  # exactly 0: empty (oneDNN)
        dict(h=6, w=1, kernel=6, stride=1, padding=3, dilation=1, output_padding=0),  # 5 x 0: empty (oneDNN)
        dict(h=5, w=5, kernel=3, stride=1, padding=0, dilation=1, output_padding=-1),
        dict(h=5, w=5, kernel=3, stride=1, padding=-1, dilation=1, output_padding=0),
    ],
)
def test_transposed_edge_cases_match_pytorch(s):
    expected, got = torch_transposed_shape(**s), ours_transposed(**s)
    assert got == expected or (expected is None and isinstance(got, str)), (s, got)


def painted_by_torch(size, kernel, stride, padding, dilation, output_padding, i):
    """Output cells a one-hot input cell reaches in a real transposed conv with an all-ones kernel."""
    x = torch.zeros(1, 1, 1, size)
    x[0, 0, 0, i] = 1.0
    y = F.conv_transpose2d(
        x,
        torch.ones(1, 1, 1, kernel),
        stride=(1, stride),
        padding=(0, padding),
        output_padding=(0, output_padding),
        dilation=(1, dilation),
    )
    return [j for j in range(y.shape[-1]) if y[0, 0, 0, j] != 0]


def test_painted_cells_and_the_conv_it_undoes():
    checked = 0
    for s in random_transposed_settings(seed=12, n=200):
        if not isinstance(ours_transposed(**s), tuple):
            continue
        settings = {k: s[k] for k in ("kernel", "stride", "padding", "dilation", "output_padding")}
        axis = spread(s["w"], **settings)
        for i in range(s["w"]):
            assert axis.painted(i) == painted_by_torch(s["w"], **settings, i=i), (s, i)
        # the conv with the same settings maps every size in conv_inputs back to the input size ...
        sizes = conv_inputs(s["w"], s["kernel"], s["stride"], s["padding"], s["dilation"])
        conv = {k: s[k] for k in ("kernel", "stride", "padding", "dilation")}
        assert all(conv_output_size(n, **conv) == s["w"] for n in sizes), s
        # ... and output_padding picks one of them
        if s["output_padding"] < s["stride"]:
            assert axis.output == sizes[s["output_padding"]], s
        checked += 1
    assert checked > 60


def test_output_padding_choices_are_what_pytorch_gives_and_undoes():
    """Each (output padding, size) the lab lists: a real ConvTranspose2d with it gives the size, a real Conv2d
    with the same settings maps the size back to the input, and the setting's own pick is among them."""
    checked = several = 0
    for s in random_transposed_settings(seed=14, n=200):
        if not isinstance(ours_transposed(**s), tuple):
            continue
        settings = {k: s[k] for k in ("kernel", "stride", "padding", "dilation")}
        choices = output_padding_choices(spread(s["w"], **settings, output_padding=s["output_padding"]))
        assert len(choices) == s["stride"] or choices[0][1] == 1, (s, choices)
        for op, size in choices:
            assert torch_transposed_shape(s["w"], s["w"], **settings, output_padding=op) == (size, size), (s, op)
            conv = nn.Conv2d(1, 1, s["kernel"], stride=s["stride"], padding=s["padding"], dilation=s["dilation"])
            assert conv(torch.zeros(1, 1, size, size)).shape[-2:] == (s["w"], s["w"]), (s, size)
        if s["output_padding"] < s["stride"]:
            picked = spread(s["w"], **settings, output_padding=s["output_padding"]).output
            assert (s["output_padding"], picked) in choices, s
        checked += 1
        several += len(choices) > 2
    assert checked > 60 and several > 10, (checked, several)


def test_explain_layer_transposed():
    report = explain_layer(5, 5, 3, 2, 0, op="convtranspose", in_channels=4, out_channels=6, output_padding=1)
    assert report.ok and report.output == (6, 12, 12) and report.undone == (5, 5)
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1)
    assert report.params == sum(p.numel() for p in layer.parameters())
    assert report.macs == 4 * 6 * 9 * 5 * 5
    (formula,) = report.formulas()
    assert r"(5 - 1)\cdot 2" in formula and formula.endswith("= 12")
    refused = explain_layer(5, 5, 3, 2, 0, op="convtranspose", output_padding=2)
    assert refused.error.code == "output_padding_too_big" and not refused.suggestions
    assert explain_layer(5, 5, 3, op="conv", output_padding=1).error.code == "output_padding_op"
    assert explain_layer(5, 5, 3, padding="same", op="convtranspose").error.code == "transpose_padding_word"


def test_cli_and_page_agree_with_pytorch_on_transposed_convolutions():
    for s in random_transposed_settings(seed=13, n=150):
        expected = torch_transposed_shape(**s)
        argv = ["--input", f"{s['h']}x{s['w']}", "--kernel", str(s["kernel"]), "--stride", str(s["stride"])]
        argv += ["--padding", str(s["padding"]), "--dilation", str(s["dilation"]), "--op", "convtranspose"]
        code, out, err = run_cli([*argv, "--output-padding", str(s["output_padding"]), "--json"])
        report = explain_layer(
            s["h"],
            s["w"],
            s["kernel"],
            s["stride"],
            s["padding"],
            s["dilation"],
            "convtranspose",
            output_padding=s["output_padding"],
        )
        if expected is None:
            assert not report.ok and code == 2 and out == "" and len(err.strip().splitlines()) == 1, s
        else:
            assert report.output[1:] == expected and code == 0 and json.loads(out) == {"output": list(expected)}, s
    code, out, err = run_cli(["--input", "5", "--kernel", "3", "--output-padding", "1"])
    assert code == 2 and "transposed" in err


def test_python_m_lenet_shape_transposed():
    argv = ["--input", "5", "--kernel", "3", "--stride", "2", "--op", "convtranspose", "--output-padding"]
    ok = subprocess.run(
        [sys.executable, "-m", "lenet", "shape", *argv, "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"output": [12, 12]}
    bad = subprocess.run(
        [sys.executable, "-m", "lenet", "shape", *argv, "2"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "output_padding" in bad.stderr and "Traceback" not in bad.stderr
