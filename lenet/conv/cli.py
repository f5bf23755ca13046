"""`python -m lenet shape`: the output size of one conv, pooling or transposed conv layer, or with `--net` a whole
network list's table (DESIGN §4.1).

Imports only lenet.conv's arithmetic and query and lenet.netspec (pure Python), never torch, so it answers instantly.
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
    p.add_argument(
        "--net",
        metavar="SPEC",
        help="a network list (c6k5p2,relu,mp2,...,fc10) or a preset's name: print its table instead",
    )
    p.add_argument("--json", action="store_true", help='print {"output": [H, W]} (with --net: the table)')
    return p


def net_table(text: str) -> dict:
    """The table of a network list as JSON-ready values. Raises NetSpecError."""
    from lenet import netspec
    from lenet.conv.network import totals

    spec = netspec.parse(text)
    rows = spec.table()
    params, macs, memory = totals(rows)
    layers = [
        {
            "index": i,
            "name": row.name,
            "text": row.text,
            "kind": row.kind,
            "output": list(row.output),
            "params": row.params,
            "macs": row.macs,
            "receptive": row.receptive,
            "memory": row.memory,
        }
        for i, row in enumerate(rows[1:], 1)
    ]
    return {
        "net": spec.text,
        "preset": spec.preset,
        "input": list(rows[0].output),
        "layers": layers,
        "params": params,
        "macs": macs,
        "memory": memory,
    }


def run_net(args) -> int:
    """`shape --net SPEC`: print the list's table; a list that cannot be built exits 2 naming its layer."""
    from lenet.netspec import NetSpecError

    try:
        table = net_table(args.net)
    except NetSpecError as exc:
        print(f"shape: invalid network: {exc}", file=sys.stderr)
        if args.json:
            error = {"error": str(exc), "code": exc.code, "index": exc.index, "layer": exc.layer}
            print(json.dumps(error), flush=True)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(table), flush=True)
        return 0
    print(f"{'#':>2}  {'block':<8} {'layer':<14} {'output':<12} {'params':>9} {'mult-adds':>11} {'field':>5}")
    for row in table["layers"]:
        shape = "x".join(map(str, row["output"]))
        print(
            f"{row['index']:>2}  {row['name']:<8} {row['text']:<14} {shape:<12} {row['params']:>9,} "
            f"{row['macs']:>11,} {row['receptive']:>5}"
        )
    print(f"    total: {table['params']:,} parameters, {table['macs']:,} multiply-adds per image", flush=True)
    return 0


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
    if getattr(args, "net", None) is not None:
        return run_net(args)
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
