#!/usr/bin/python3
"""Writes tests/data/optim_net_elementwise.txt: trajectories of the
elementwise optimizers radam, adamax, adadelta, rprop, asgd (torch.optim 1.13)
and adabelief (NumPy, from the authors' adabelief-pytorch 0.2 algorithm) on
the small networks of common.py, replayed by tests/test_optim_net.c.

Run with Debian's python3 (python3-torch): /usr/bin/python3 tests/optim_ref/gen_elementwise.py
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Case, numpy_ref, torch_ref, write_family  # noqa: E402


# ------------------------------------------------- torch.optim, nnlab names

def radam(params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    return torch.optim.RAdam(params, lr=lr, betas=(beta1, beta2), eps=eps,
                             weight_decay=weight_decay, foreach=False)


def adamax(params, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    return torch.optim.Adamax(params, lr=lr, betas=(beta1, beta2), eps=eps,
                              weight_decay=weight_decay, foreach=False)


CASES = [
    Case("radam", "defaults", {"lr": 0.01}, "full", torch_ref(radam)),
    Case("radam", "betas_wd", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01},
         "mini", torch_ref(radam)),
    Case("radam", "sigmoid_eps", {"lr": 0.03, "eps": 1e-4}, "sigmoid", torch_ref(radam)),
    Case("adamax", "defaults", {"lr": 0.01}, "full", torch_ref(adamax)),
    Case("adamax", "betas_wd", {"lr": 0.02, "beta1": 0.7, "beta2": 0.95, "weight_decay": 0.02},
         "mini", torch_ref(adamax)),
    Case("adamax", "sigmoid_eps", {"lr": 0.05, "eps": 1e-3}, "sigmoid", torch_ref(adamax)),
]

HEADER = """radam, adamax: torch.optim.RAdam / Adamax 1.13 (foreach=False), float64."""

if __name__ == "__main__":
    write_family("elementwise", CASES, HEADER)
