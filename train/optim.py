"""SGD, SGD with momentum and Adam, written out for the two tensors of a linear model.

Same maths as torch.optim (tests compare every step against it), but fed gradients directly,
which skips autograd and optimizer bookkeeping: the per-step cost dominates at batch 32.
"""

from __future__ import annotations

import math

import torch

from train.config import TrainConfig

MOMENTUM = 0.9
BETAS = (0.9, 0.999)
EPS = 1e-8


class Optimizer:
    """Updates ``params`` in place from gradients handed to ``step``."""

    def __init__(self, params: list[torch.Tensor], cfg: TrainConfig, total_steps: int | None = None) -> None:
        self.params = [p.data for p in params]
        self.kind, self.lr, self.wd = cfg.optimizer, cfg.lr, cfg.weight_decay
        self.t = 0
        # "linear": step t (from 1) uses lr x (1 - (t-1)/decay_steps), as LambdaLR(lambda s: 1 - s/T)
        self.decay_steps = (total_steps or cfg.total_steps) if cfg.lr_schedule == "linear" else 0
        self.buf = [torch.zeros_like(p) for p in self.params] if self.kind != "sgd" else []
        self.sq = [torch.zeros_like(p) for p in self.params] if self.kind == "adam" else []

    def lr_at(self, t: int) -> float:
        """The learning rate of step ``t`` (counted from 1)."""
        return self.lr * (1 - (t - 1) / self.decay_steps) if self.decay_steps else self.lr

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        self.t += 1
        lr = self.lr_at(self.t)
        if self.wd:  # L2 penalty, as torch.optim's weight_decay: added to the gradient
            torch._foreach_add_(grads, self.params, alpha=self.wd)
        if self.kind == "sgd":
            torch._foreach_add_(self.params, grads, alpha=-lr)
        elif self.kind == "sgd-momentum":
            if self.t == 1:
                torch._foreach_copy_(self.buf, grads)
            else:
                torch._foreach_mul_(self.buf, MOMENTUM)
                torch._foreach_add_(self.buf, grads)
            torch._foreach_add_(self.params, self.buf, alpha=-lr)
        else:
            b1, b2 = BETAS
            torch._foreach_lerp_(self.buf, grads, 1 - b1)
            torch._foreach_mul_(self.sq, b2)
            torch._foreach_addcmul_(self.sq, grads, grads, 1 - b2)
            denom = torch._foreach_sqrt(self.sq)
            torch._foreach_div_(denom, math.sqrt(1 - b2**self.t))
            torch._foreach_add_(denom, EPS)
            torch._foreach_addcdiv_(self.params, self.buf, denom, -lr / (1 - b1**self.t))
