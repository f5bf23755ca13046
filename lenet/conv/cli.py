"""`python -m lenet shape`: the output size of one conv, pooling or transposed conv layer (DESIGN §4.1).

Imports only lenet.conv's arithmetic and query (pure Python), never torch, so it answers instantly.
Every option is read as text and checked here rather than by argparse, so that any bad value
ends as one clear line on stderr and exit code 2, the same as an impossible combination.
"""

from __future__ import annotations

import argparse
import json
import sys

from lenet.conv.arithmetic import OPS, LayerError, conv_output_size
from lenet.conv.query import parse_int, parse_padding, parse_size

EXIT_INVALID = 2


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `shape` subcommand to an argparse subparsers object and return its parser."""
    p = subparsers.add_parser(
        "shape",
        help="output size of a conv, pooling or transposed conv layer, exactly as PyTorch computes it",
        description="Print the output size H x W of one conv, pooling or transposed conv layer, identical to "
        "PyTorch's. An impossible setting exits with code 2 and says why.",
    )
    p.add_argument("--input", metavar="H[xW]", help="input size, like 28 or 28x32 (required)")
    p.add_argument("--kernel", metavar="K", help="filter or window size (required)")
    p.add_argument("--stride", metavar="S", default="1", help="step between windows (default 1)")
    p.add_argument("--padding", metavar="N|same|valid", default="0", help="zeros around the input (default 0)")
    p.add_argument("--dilation", metavar="D", default="1", help="gap between kernel taps (default 1)")
    p.add_argument("--op", default="conv", help=f"one of {', '.join(OPS)} (default conv)")
    p.add_argument("--ceil-mode", action="store_true", help="pooling: round the output size up")
    p.add_argument(
        "--output-padding", metavar="N", default="0", help="convtranspose: extra rows/columns at the end (default 0)"
    )
    p.add_argument("--json", action="store_true", help='print {"output": [H, W]}')
    return p


def compute(args) -> tuple[tuple[int, int], tuple[int, int]]:
    """((H, W) in, (H, W) out) for parsed arguments. Raises LayerError."""
    for name in ("input", "kernel"):
        if getattr(args, name) is None:
            raise LayerError("missing_option", f"--{name} is required", name=name)
    height, width = parse_size(args.input)
    settings = dict(
        kernel=parse_int(args.kernel, "kernel"),
        stride=parse_int(args.stride, "stride"),
        padding=parse_padding(args.padding),
        dilation=parse_int(args.dilation, "dilation"),
        op=str(args.op).strip().lower(),
        ceil_mode=args.ceil_mode,
        output_padding=parse_int(args.output_padding, "output_padding"),
    )
    return (height, width), (conv_output_size(height, **settings), conv_output_size(width, **settings))


def run(args) -> int:
    """Print the output size; on an invalid setting print why on stderr and return 2."""
    try:
        (height, width), (out_h, out_w) = compute(args)
    except LayerError as exc:
        print(f"shape: invalid setting: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps({"output": [out_h, out_w]}), flush=True)
    else:
        print(f"{height}x{width} -> {out_h}x{out_w}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run `shape` on its own: `python -m lenet.conv.cli --input 28 --kernel 5`."""
    parser = argparse.ArgumentParser(prog="python -m lenet")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["shape", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    sys.exit(main())
