"""`python -m lenet SUBCOMMAND`: train, evaluate, history, predict, shape, fetch-data (DESIGN §4.1).

Errors are one line on stderr and a non-zero exit code, never a traceback (set LENET_DEBUG=1 to see one).
torch is imported inside the subcommands that need it, so `shape` answers instantly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from lenet import settings
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


def _epochs(value: str) -> int | float:
    """A whole number of epochs as an int, a fraction (1.2) as a float, within lenet.train.EPOCHS_RANGE."""
    from lenet.train import EPOCHS_RANGE

    number = _positive_float(value)
    if not EPOCHS_RANGE[0] <= number <= EPOCHS_RANGE[1]:
        raise argparse.ArgumentTypeError("{} epochs is not from {} to {}".format(value, *EPOCHS_RANGE))
    return int(number) if number.is_integer() else number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or number != number or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value} must be a finite number above 0")
    return number


class _Progress:
    """The train command's callback: a progress bar on stderr, one line per evaluation (JSON with --json)."""

    def __init__(self, args) -> None:
        self.args, self.bar, self.started = args, None, time.perf_counter()

    def __call__(self, event) -> None:
        from tqdm import tqdm

        from lenet.events import Eval, Start, Step

        match event:
            case Start() if not self.args.json:
                self.bar = tqdm(total=event.total_steps, unit="batch", desc=f"train on {event.device}", file=sys.stderr)
            case Step() if self.bar is not None:
                self.bar.update(1)
                if event.step % 20 == 0:
                    self.bar.set_postfix(loss=f"{event.loss:.3f}", img_s=f"{event.samples_per_s:.0f}")
            case Eval():
                self.evaluated(event)

    def evaluated(self, event) -> None:
        line = {
            "epoch": round(event.epoch, 3),
            "train_loss": round(event.train_loss, 5),
            "test_acc": round(event.test_acc, 5),
            "elapsed_s": round(time.perf_counter() - self.started, 2),
        }
        if self.bar is not None:
            self.bar.write(
                f"epoch {line['epoch']:g}: loss {line['train_loss']:.4f}, test accuracy "
                f"{line['test_acc']:.2%}, {line['elapsed_s']:.1f} s"
            )
        elif self.args.json:
            print(json.dumps(line), flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_train(args) -> int:
    from lenet import checkpoints
    from lenet.config import LeNetConfig
    from lenet.data import load_mnist
    from lenet.train import PRESETS, fit

    preset = PRESETS[args.preset] if args.preset else {}
    if args.net is not None:
        try:
            model_config = _net_option(args)
        except ValueError as exc:  # NetSpecError too: a usage error, exit code 2 as `shape --net`
            print(f"train: invalid network: {exc}", file=sys.stderr)
            return 2
    else:
        model_config = LeNetConfig(
            **{
                **preset.get("model", {}),
                "batch_norm": args.batch_norm,
                "activation": args.activation,
                "pool": args.pool,
            }
        )
    tc = train_config(args)
    data = load_mnist(args.data_dir)
    out = Path(args.out) if args.out else checkpoints.runs_dir() / f"cli-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
    progress = _Progress(args)
    train = _ray_backend().fit if args.ray else fit
    result = train(model_config, tc, callback=progress, data=data)
    progress.close()
    checkpoints.save_history(out, result.snapshots)  # history/<out's name>: the weights along the way
    checkpoints.save_checkpoint(result.model, out, result.metrics(tc))
    elapsed = round(time.perf_counter() - progress.started, 2)
    extra = result.extra or {}
    held = (
        f"; your held-back digits {extra['before']:.0%} before, {extra['after']:.0%} after"
        if extra.get("n_test")
        else ""
    )
    _emit(
        args,
        {
            "checkpoint": str(out),
            "net": result.model.net,
            "test_acc": result.test_acc,
            "elapsed_s": elapsed,
            **({"extra": extra} if extra else {}),
        },
        f"saved {out}: test accuracy {result.test_acc:.2%} in {elapsed:.1f} s{held}",
    )
    return 0


def _net_option(args):
    """train --net: the list (or preset) it names, refused beside the options that describe a LeNet instead."""
    from lenet import netspec
    from lenet.config import LeNetConfig

    clashes = [
        option
        for option, given in (
            ("--activation", args.activation != LeNetConfig.activation),
            ("--pool", args.pool != LeNetConfig.pool),
            ("--batch-norm", args.batch_norm),
            ("--init-from", args.init_from is not None),
        )
        if given
    ]
    if clashes:
        raise ValueError(
            f"--net names the whole network; leave out {', '.join(clashes)} (write the layers into the list instead"
            + (", and --init-from trains its checkpoint's own network)" if "--init-from" in clashes else ")")
        )
    return netspec.parse(args.net)


def train_config(args):
    """The TrainConfig of parsed train options: the preset's settings, then the options (whose defaults they are)."""
    from lenet.train import DEFAULT_LR, PRESETS, TrainConfig

    preset = PRESETS[args.preset] if args.preset else {}
    # A preset's settings that have no option of their own (channels_last, label_smoothing, ...) come from it.
    return TrainConfig(
        **{
            **{k: v for k, v in preset.items() if k != "model"},
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr or DEFAULT_LR[args.optimizer],
            "device": args.device,
            "seed": args.seed,
            "augment": args.augment,
            "optimizer": args.optimizer,
            "max_steps": 1 if args.dry_run else args.max_steps,
            "init_from": args.init_from,
            "extra_data": args.extra_data,
            "extra_holdout": args.holdout,
            "extra_repeat": args.extra_repeat,
            "mnist_mix": args.mnist_mix,
        }
    )


def _ray_backend():
    """train --ray: the cluster at $LENET_RAY_ADDRESS (default: auto, a cluster on this machine), connected."""
    from lenet import settings
    from lenet.backends.ray import RayBackend

    config = settings.current()
    backend = RayBackend(config.ray_address or "auto", config.ray_gpus_per_run, config.ray_cpus_per_run)
    backend.connect()  # RayError, one line: Ray missing or the cluster unreachable
    return backend


def cmd_evaluate(args) -> int:
    from lenet import checkpoints
    from lenet.data import load_mnist
    from lenet.evaluation import evaluate_model

    path = Path(args.checkpoint) if args.checkpoint else checkpoints.DEFAULT_CHECKPOINT
    model, info = checkpoints.load_checkpoint(path)
    data = load_mnist(args.data_dir)
    result = evaluate_model(model, data.test_images, data.test_labels, info.num_classes)
    _emit(
        args,
        {"checkpoint": str(path), "test_acc": result.accuracy, "n": result.n},
        f"{path}: {result.accuracy:.2%} of {result.n} test images right",
    )
    return 0


def cmd_history(args) -> int:
    """Give a checkpoint (default the shipped one) a re-run's snapshots (checkpoints.graft_history)."""
    from lenet import checkpoints
    from lenet.data import load_mnist
    from lenet.evaluation import evaluate_model
    from lenet.train import SNAPSHOT_TEST_DIGITS

    onto = Path(args.onto) if args.onto else checkpoints.DEFAULT_CHECKPOINT
    model, info = checkpoints.load_checkpoint(onto)
    data = load_mnist(args.data_dir)
    n = SNAPSHOT_TEST_DIGITS  # the same digits as every snapshot's accuracy
    acc = evaluate_model(model, data.test_images[:n], data.test_labels[:n], info.num_classes).accuracy
    target = checkpoints.graft_history(onto, args.donor, acc)
    history = checkpoints.read_history(onto)
    reran = sum(s["rerun"] for s in history.snapshots)
    _emit(
        args,
        {"checkpoint": str(onto), "history": str(target), "snapshots": len(history.snapshots), "rerun": reran},
        f"{target}: {len(history.snapshots)} snapshots, {reran} of them from the re-run {args.donor}",
    )
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from lenet import checkpoints, images, photo, preprocess
    from lenet.inference import predict_probs

    model, _info = checkpoints.load_checkpoint(
        Path(args.checkpoint) if args.checkpoint else checkpoints.DEFAULT_CHECKPOINT
    )
    results: list[dict] = []
    inputs, slots = [], []
    for name in args.files:
        try:
            data = Path(name).read_bytes()
            prep = preprocess.preprocess(images.load_image(data))
        except (OSError, images.ImageError) as exc:
            results.append({"file": name, "error": str(exc)})
            continue
        if prep.empty:
            refused = photo.refusal(prep.reason)
            note = str(refused) if refused else "nothing to read"
            results.append({"file": name, "digit": None, "probs": None, "note": note})
            continue
        results.append({"file": name})
        slots.append(len(results) - 1)
        inputs.append(prep.image)
    if inputs:
        probs = predict_probs(model, np.stack(inputs))
        for slot, p in zip(slots, probs, strict=True):
            results[slot].update(digit=int(p.argmax()), probs=[round(float(v), 6) for v in p])
    for r in results:
        if "error" in r:
            text = f"{r['file']}: error: {r['error']}"
        elif r["digit"] is None:
            text = f"{r['file']}: {r['note']}"
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


def _train_options(p: argparse.ArgumentParser, preset: str | None = None) -> None:
    """The train subcommand's options: choices and defaults come from the engine's own constants.

    Args:
        preset: a name in lenet.train.PRESETS whose values become the defaults (options given still win).
    """
    from lenet.config import ACTIVATIONS, POOLS, LeNetConfig
    from lenet.settings import DEVICES
    from lenet.train import DEFAULT_LR, OPTIMIZERS, PRESETS, TrainConfig

    p.add_argument(
        "--epochs",
        type=_epochs,
        default=TrainConfig.epochs,
        help="passes over the training set; a fraction (1.2) ends part way through one",
    )
    p.add_argument("--batch-size", type=_positive_int, default=TrainConfig.batch_size)
    p.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help=f"peak learning rate (default {DEFAULT_LR[TrainConfig.optimizer]:g}; "
        f"{DEFAULT_LR['sgd']:g} with --optimizer sgd)",
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=TrainConfig.optimizer)
    p.add_argument("--activation", choices=ACTIVATIONS, default=LeNetConfig.activation)
    p.add_argument("--pool", choices=POOLS, default=LeNetConfig.pool)
    p.add_argument("--batch-norm", action="store_true", help="batch norm after every conv")
    p.add_argument("--augment", action="store_true", help="random affine + stroke thickness augmentation")
    p.add_argument("--device", choices=DEVICES, default=TrainConfig.device)
    p.add_argument("--data-dir", default=None, help="MNIST folder (default $LENET_DATA_DIR or data/mnist)")
    p.add_argument("--out", default=None, help="checkpoint path (default $LENET_RUNS_DIR/cli-<time>.safetensors)")
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--dry-run", action="store_true", help="train one batch only (a smoke test)")
    p.add_argument("--max-steps", type=_positive_int, default=None, help="stop after this many batches")
    p.add_argument(
        "--net",
        default=None,
        metavar="SPEC|NAME",
        help="the network as a list of layers (c6k5p2,relu,mp2,c16k5,relu,mp2,c120k5,relu,fc84,relu,fc10) or a "
        "network preset's name (" + ", ".join(_network_names()) + "); --preset still names the training recipe",
    )
    p.add_argument(
        "--ray",
        action="store_true",
        help="train on the Ray cluster at $LENET_RAY_ADDRESS (default auto); needs requirements-cluster.txt",
    )
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="a named recipe: fast99 trains 1 epoch for 99 %% test accuracy in seconds; shipped is the shipped "
        "checkpoint's (README, Performance)",
    )
    _fine_tune_options(p)
    values = PRESETS.get(preset, {})
    p.set_defaults(**{k: v for k, v in {**values, **values.get("model", {})}.items() if k != "model"})


def _network_names() -> list[str]:
    from lenet.netspec import NETWORKS

    return list(NETWORKS)


def _fine_tune_options(p: argparse.ArgumentParser) -> None:
    """Train's options for starting from a checkpoint and adding digits of one's own (a class's export)."""
    from lenet.train import TrainConfig

    p.add_argument(
        "--init-from", default=None, metavar="CHECKPOINT", help="start from this checkpoint (its network is used)"
    )
    p.add_argument(
        "--extra-data",
        default=None,
        metavar="FILE",
        help="digits of your own mixed into MNIST: a .npz (images, labels) or a zip of IDX files (class mode exports)",
    )
    p.add_argument(
        "--holdout",
        type=float,
        default=TrainConfig.extra_holdout,
        help="share of --extra-data held back and scored before and after training (default 0)",
    )
    p.add_argument("--extra-repeat", type=_positive_int, default=TrainConfig.extra_repeat)
    p.add_argument(
        "--mnist-mix", type=int, default=None, help="how many MNIST training images to mix in (default: all)"
    )


def build_parser(command: str | None = None, preset: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser.

    Args:
        command: the subcommand about to be parsed. For "shape" the train options are left out: their
            constants live beside torch, and shape answers without importing it.
        preset: train's --preset, read ahead (`_preset`): its recipe becomes train's defaults.
    """
    parser = _Parser(prog="python -m lenet", description="LeNet Explorer's command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser(
        "train",
        help="train a LeNet on MNIST (default: the quick classroom recipe)",
        description="Train a LeNet-5 on MNIST and save a checkpoint. With no options: the quick "
        "recipe (AdamW, one-cycle, batch 128, label smoothing 0.1, 1 epoch, fast kernels), about 98.8 %% in "
        "seconds; --preset fast99 trains 1 epoch at a higher rate for 99 %%; --preset shipped is the shipped "
        "checkpoint's recipe (15 epochs, augmented).",
    )
    if command != "shape":
        _train_options(p, preset)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="test accuracy of a checkpoint on the 10,000 MNIST test images")
    p.add_argument("--checkpoint", default=None, help="default: the shipped checkpoints/lenet5.safetensors")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "history", help="give a checkpoint the snapshots of a re-run of its recipe (when its own run kept none)"
    )
    p.add_argument("--from", dest="donor", required=True, metavar="RUN", help="a run of the same network and recipe")
    p.add_argument("--onto", default=None, help="default: the shipped checkpoints/lenet5.safetensors")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("predict", help="read digits from image files with the Draw page's preprocessing")
    p.add_argument("files", nargs="+", metavar="FILE", help="PNG or JPEG images, any size, either polarity")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    shape_cli.add_parser(sub)
    sub.choices["shape"].set_defaults(func=shape_cli.run)

    # `import FILE` (issue 29): bring your own model; lenet.onnx_import (numpy, onnx, torch) loads only when it runs
    p = sub.add_parser("import", help="import an ONNX model (or another server's checkpoint) into the runs folder")
    p.add_argument("file", metavar="FILE", help="an .onnx file, or a LeNet Explorer .safetensors checkpoint")
    p.add_argument("--out", default=None, help="where to save the checkpoint (default: the runs folder)")
    p.add_argument("--input-norm", default=None, metavar="mnist|unit|MEAN,STD", help="how its pixels were normalised")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda args: __import__("lenet.onnx_import").onnx_import.run(args))

    p = sub.add_parser("fetch-data", help="download MNIST through torchvision")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_fetch)
    return parser


def _preset(argv: list[str]) -> str | None:
    """train's --preset, read before the real parse so that the preset's values can be its defaults."""
    ahead = argparse.ArgumentParser(add_help=False)
    ahead.add_argument("--preset")
    return ahead.parse_known_args(argv)[0].preset


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else None
    args = build_parser(command, _preset(argv) if command == "train" else None).parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line for every failure; the full story only on request
        if settings.current().debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1


def exit_now(code: int) -> None:
    """End the process with `code` once its work is done, skipping the interpreter's teardown of PyTorch.

    Tearing down torch's modules takes about 0.45 s on this project's 2-core machine: a twelfth of the fast99
    preset's whole run (README, Performance). Every command has written what it writes (checkpoints atomically,
    closed and renamed) before it returns, so only the standard streams are left to flush. Ray keeps a
    connection to close at exit, so with Ray loaded the process exits the ordinary way.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that has gone (a closed pipe): nothing left to tell it
            pass
    if "ray" in sys.modules:
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
