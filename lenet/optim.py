"""AdamW and the one-cycle schedule through torch.optim's functional API, without torch.optim.Optimizer.

Every torch.optim.Optimizer imports PyTorch's compiler (`torch._dynamo`) the first time it is used: 3.3 s on
this project's 2-core CPU, as long as `import torch` itself, paid before the first step by every run that starts
in a fresh process (`python -m lenet train`). The functional `torch.optim.adamw.adamw` is the very update
torch.optim.AdamW.step calls, with no such import, so `FunctionalAdamW` keeps only the state it needs and calls
it. `OneCycle` is torch.optim.lr_scheduler.OneCycleLR's arithmetic (cosine, two phases, beta1 cycled between
0.95 and 0.85) for it. tests/test_train.py checks both step for step, bit for bit, against the classes.
"""

from __future__ import annotations

import math

import torch
from torch.optim.adamw import adamw


class FunctionalAdamW:
    """torch.optim.AdamW's defaults and update for one group of parameters; `param_groups` as torch.optim has it."""

    def __init__(self, params, lr: float, weight_decay: float) -> None:
        self.params = [p for p in params if p.requires_grad]
        group = {"lr": lr, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": weight_decay}
        self.param_groups = [group]
        # torch.optim.Adam's lazy state: the step count as a 0-d float tensor on the CPU, and the two moving
        # averages, each like its parameter.
        self.state: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        live = [(i, p) for i, p in enumerate(self.params) if p.grad is not None]
        if not self.state:
            self.state = [self._new_state(p) for p in self.params]
        steps, avgs, sqs = zip(*[self.state[i] for i, _ in live], strict=True) if live else ((), (), ())
        group = self.param_groups[0]
        adamw(
            [p for _, p in live],
            [p.grad for _, p in live],
            list(avgs),
            list(sqs),
            [],
            list(steps),
            amsgrad=False,
            beta1=group["betas"][0],
            beta2=group["betas"][1],
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
        )

    def _new_state(self, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        step = torch.tensor(0.0, dtype=torch.get_default_dtype(), device="cpu")
        zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
        return step, zeros, zeros.clone()


class OneCycle:
    """OneCycleLR(optimizer, max_lr, total_steps, pct_start) with its defaults: step() after each update."""

    def __init__(self, optimizer: FunctionalAdamW, max_lr: float, total_steps: int, pct_start: float) -> None:
        self.optimizer, self.total_steps, self.last_epoch = optimizer, total_steps, 0
        self.initial_lr = max_lr / 25.0
        self.max_lr, self.min_lr = max_lr, self.initial_lr / 1e4
        self.phases = [
            (float(pct_start * total_steps) - 1, self.initial_lr, max_lr, 0.95, 0.85),
            (total_steps - 1, max_lr, self.min_lr, 0.85, 0.95),
        ]
        self._apply()

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        start_step = 0.0
        for i, (end_step, lr0, lr1, m0, m1) in enumerate(self.phases):
            if self.last_epoch <= end_step or i == len(self.phases) - 1:
                pct = (self.last_epoch - start_step) / (end_step - start_step)
                group = self.optimizer.param_groups[0]
                group["lr"] = _cos(lr0, lr1, pct)
                group["betas"] = (_cos(m0, m1, pct), *group["betas"][1:])
                return
            start_step = end_step


def _cos(start: float, end: float, pct: float) -> float:
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out
