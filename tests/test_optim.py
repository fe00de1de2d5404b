"""Our written-out optimizers against torch.optim, step by step."""

import pytest
import torch

from train.config import TrainConfig
from train.optim import Optimizer


def reference(params, cfg):
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    momentum = 0.9 if cfg.optimizer == "sgd-momentum" else 0
    return torch.optim.SGD(params, lr=cfg.lr, momentum=momentum, weight_decay=cfg.weight_decay)


@pytest.mark.parametrize("optimizer", ["sgd", "sgd-momentum", "adam"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("schedule", ["constant", "linear"])
def test_matches_torch_optim_over_many_steps(optimizer, weight_decay, schedule):
    cfg = TrainConfig(optimizer=optimizer, lr=0.01, weight_decay=weight_decay, lr_schedule=schedule)
    g = torch.Generator().manual_seed(0)
    start = [torch.randn(10, 784, generator=g), torch.randn(10, generator=g)]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    opt_ours, opt_theirs = Optimizer(ours, cfg, total_steps=30), reference(theirs, cfg)
    decay = torch.optim.lr_scheduler.LambdaLR(opt_theirs, lambda s: 1 - s / 30 if schedule == "linear" else 1)
    for _ in range(25):
        grads = [torch.randn(p.shape, generator=g) for p in start]
        opt_ours.step([gr.clone() for gr in grads])
        for p, gr in zip(theirs, grads, strict=True):
            p.grad = gr.clone()
        opt_theirs.step()
        decay.step()
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
