"""`python -m lenet SUBCOMMAND`: train, evaluate, predict, shape, fetch-data (DESIGN §4.1).

Errors are one line on stderr and a non-zero exit code, never a traceback (set LENET_DEBUG=1 to see one).
torch is imported inside the subcommands that need it, so `shape` answers instantly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from lenet.conv import cli as shape_cli


def _emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload) if args.json else text, flush=True)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or number != number or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value} must be a finite number above 0")
    return number


def cmd_train(args) -> int:
    from tqdm import tqdm

    from lenet import checkpoints
    from lenet.data import load_mnist
    from lenet.model import LeNetConfig
    from lenet.train import TrainConfig, fit

    model_config = LeNetConfig(batch_norm=args.batch_norm, activation=args.activation, pool=args.pool)
    lr = args.lr or (0.05 if args.optimizer == "sgd" else TrainConfig.lr)
    tc = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=lr, device=args.device, seed=args.seed,
                     augment=args.augment, optimizer=args.optimizer, max_steps=1 if args.dry_run else None)
    data = load_mnist(args.data_dir)
    out = Path(args.out) if args.out else checkpoints.runs_dir() / f"cli-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
    bar = None
    started = time.perf_counter()

    def callback(kind: str, info: dict) -> None:
        nonlocal bar
        if kind == "start" and not args.json:
            bar = tqdm(total=info["total_steps"], unit="batch", desc=f"train on {info['device']}", file=sys.stderr)
        elif kind == "step" and bar is not None:
            bar.update(1)
            if info["step"] % 20 == 0:
                bar.set_postfix(loss=f"{info['loss']:.3f}", img_s=f"{info['samples_per_s']:.0f}")
        elif kind == "eval":
            line = {"epoch": round(info["epoch"], 3), "train_loss": round(info["train_loss"], 5),
                    "test_acc": round(info["test_acc"], 5), "elapsed_s": round(time.perf_counter() - started, 2)}
            if bar is not None:
                bar.write(f"epoch {line['epoch']:g}: loss {line['train_loss']:.4f}, test accuracy "
                          f"{line['test_acc']:.2%}, {line['elapsed_s']:.1f} s")
            elif args.json:
                print(json.dumps(line), flush=True)

    result = fit(model_config, tc, callback=callback, data=data)
    if bar is not None:
        bar.close()
    checkpoints.save_checkpoint(result.model, out, result.metrics(tc))
    elapsed = round(time.perf_counter() - started, 2)
    _emit(args, {"checkpoint": str(out), "test_acc": result.test_acc, "elapsed_s": elapsed},
          f"saved {out}: test accuracy {result.test_acc:.2%} in {elapsed:.1f} s")
    return 0


def cmd_evaluate(args) -> int:
    import torch
    from tqdm import tqdm

    from lenet import checkpoints
    from lenet.data import load_mnist
    from lenet.train import normalise

    path = Path(args.checkpoint) if args.checkpoint else checkpoints.DEFAULT_CHECKPOINT
    model, _info = checkpoints.load_checkpoint(path)
    data = load_mnist(args.data_dir)
    images = torch.tensor(data.test_images)
    labels = torch.tensor(data.test_labels).long()
    correct = 0
    with torch.inference_mode():
        for i in tqdm(range(0, len(images), 1000), desc="evaluate", unit="batch", file=sys.stderr,
                      disable=args.json):
            correct += (model(normalise(images[i:i + 1000])).argmax(1) == labels[i:i + 1000]).sum().item()
    acc = correct / len(images)
    _emit(args, {"checkpoint": str(path), "test_acc": acc, "n": len(images)},
          f"{path}: {acc:.2%} of {len(images)} test images right")
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from lenet import checkpoints, preprocess
    from lenet.inspect import predict_batch

    model, _info = checkpoints.load_checkpoint(Path(args.checkpoint) if args.checkpoint
                                               else checkpoints.DEFAULT_CHECKPOINT)
    results: list[dict] = []
    inputs, slots = [], []
    for name in args.files:
        try:
            data = Path(name).read_bytes()
            prep = preprocess.preprocess(preprocess.load_image(data))
        except (OSError, preprocess.ImageError) as exc:
            results.append({"file": name, "error": str(exc)})
            continue
        if prep.empty:
            results.append({"file": name, "digit": None, "probs": None, "note": "nothing to read"})
            continue
        results.append({"file": name})
        slots.append(len(results) - 1)
        inputs.append(prep.input)
    if inputs:
        probs = predict_batch(model, np.concatenate(inputs))
        for slot, p in zip(slots, probs):
            results[slot].update(digit=int(p.argmax()), probs=[round(float(v), 6) for v in p])
    for r in results:
        if "error" in r:
            text = f"{r['file']}: error: {r['error']}"
        elif r["digit"] is None:
            text = f"{r['file']}: nothing to read"
        else:
            text = f"{r['file']}: {r['digit']} ({max(r['probs']):.1%})"
        _emit(args, r, text)
    return 1 if any("error" in r for r in results) else 0


def cmd_fetch(args) -> int:
    from lenet.data import fetch

    folder = fetch(args.data_dir)
    _emit(args, {"data_dir": str(folder)}, f"MNIST is ready in {folder}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit code 2), like every other error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lenet", description="LeNet Explorer's command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("train", help="train a LeNet on MNIST (default: the quick classroom recipe)",
                       description="Train a LeNet-5 on MNIST and save a checkpoint. With no options: the quick "
                                   "recipe (AdamW, one-cycle, batch 128, 2 epochs), about 99 %% in seconds.")
    p.add_argument("--epochs", type=_positive_int, default=2)
    p.add_argument("--batch-size", type=_positive_int, default=128)
    p.add_argument("--lr", type=_positive_float, default=None, help="peak learning rate (default 0.004)")
    p.add_argument("--optimizer", choices=["adamw", "adam", "sgd"], default="adamw")
    p.add_argument("--activation", choices=["relu", "tanh", "sigmoid"], default="relu")
    p.add_argument("--pool", choices=["max", "avg", "none"], default="max")
    p.add_argument("--batch-norm", action="store_true", help="batch norm after every conv")
    p.add_argument("--augment", action="store_true", help="random affine + stroke thickness augmentation")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument("--data-dir", default=None, help="MNIST folder (default $LENET_DATA_DIR or data/mnist)")
    p.add_argument("--out", default=None, help="checkpoint path (default $LENET_RUNS_DIR/cli-<time>.safetensors)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dry-run", action="store_true", help="train one batch only (a smoke test)")
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="test accuracy of a checkpoint on the 10,000 MNIST test images")
    p.add_argument("--checkpoint", default=None, help="default: the shipped checkpoints/lenet5.safetensors")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="read digits from image files with the Draw page's preprocessing")
    p.add_argument("files", nargs="+", metavar="FILE", help="PNG or JPEG images, any size, either polarity")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    shape_cli.add_parser(sub)
    sub.choices["shape"].set_defaults(func=shape_cli.run)

    p = sub.add_parser("fetch-data", help="download MNIST through torchvision")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_fetch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line for every failure; the full story only on request
        if os.environ.get("LENET_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
