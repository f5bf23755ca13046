"""The original tutorial's recipe, the baseline for bench/train_speed.py (DESIGN §6).

torchvision's MNIST dataset with ToTensor, a DataLoader with batch 32 and shuffle, Adam at lr 1e-4,
10 epochs, LeNet-5 (conv 6@5x5 pad 2, pool, conv 16@5x5, pool, conv 120@5x5, FC 84, FC 10).
Prints one JSON line per epoch and a final one.
"""

import argparse
import json
import time

T0 = time.perf_counter()

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402


def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True, help="folder holding MNIST/raw/ for torchvision")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--max-batches", type=int, default=None, help="quick mode: batches per epoch")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    tf = transforms.ToTensor()
    train = datasets.MNIST(args.root, train=True, transform=tf, download=False)
    test = datasets.MNIST(args.root, train=False, transform=tf, download=False)
    train_loader = DataLoader(train, batch_size=32, shuffle=True)
    test_loader = DataLoader(test, batch_size=1000)
    model = lenet5().to(args.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    acc = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        for i, (x, y) in enumerate(train_loader):
            if args.max_batches and i >= args.max_batches:
                break
            x, y = x.to(args.device), y.to(args.device)
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (model(x.to(args.device)).argmax(1).cpu() == y).sum().item()
        acc = correct / len(test)
        print(
            json.dumps(
                {
                    "epoch": epoch,
                    "train_loss": loss.item(),
                    "test_acc": acc,
                    "elapsed_s": round(time.perf_counter() - T0, 2),
                }
            ),
            flush=True,
        )
    print(json.dumps({"test_acc": acc, "elapsed_s": round(time.perf_counter() - T0, 2)}), flush=True)


if __name__ == "__main__":
    main()
