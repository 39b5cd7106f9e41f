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


def adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    return torch.optim.Adadelta(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                foreach=False)


def rprop(params, lr=1e-2, etaminus=0.5, etaplus=1.2, step_size_min=1e-6, step_size_max=50.0):
    return torch.optim.Rprop(params, lr=lr, etas=(etaminus, etaplus),
                             step_sizes=(step_size_min, step_size_max), foreach=False)


def asgd(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
    return torch.optim.ASGD(params, lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                            weight_decay=weight_decay, foreach=False)


def asgd_average(opt, params):
    """torch's averaged parameters: where an ASGD model is evaluated."""
    return [opt.state[p]["ax"].detach().numpy() for p in params]


# ------------------------------------------------- AdaBelief, NumPy

ADABELIEF_DEFAULTS = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-16, weight_decay=0.0,
                          amsgrad=False, weight_decouple=True, fixed_decay=False,
                          rectify=True, degenerated_to_sgd=True)


def adabelief_rectified(hp, t):
    """(rho_t >= 5, step multiplier) of the rectified update at step t."""
    b1, b2 = hp["beta1"], hp["beta2"]
    b2t = b2 ** t
    rho_max = 2 / (1 - b2) - 1
    rho = rho_max - 2 * t * b2t / (1 - b2t)
    if rho >= 5:
        r = (1 - b2t) * (rho - 4) / (rho_max - 4) * (rho - 2) / rho * rho_max / (rho_max - 2)
        return True, math.sqrt(r) / (1 - b1 ** t)
    if hp["degenerated_to_sgd"]:
        return False, 1.0 / (1 - b1 ** t)
    return False, None


def adabelief_step(params, grads, state, t, lr, hp, closure):
    """AdaBelief as Algorithm 2 of the paper with the authors' choices:
    eps added to the belief s every step, amsgrad and rectification options,
    decoupled or coupled weight decay."""
    b1, b2, eps, wd = hp["beta1"], hp["beta2"], hp["eps"], hp["weight_decay"]
    if not state:
        state["m"] = [np.zeros_like(p) for p in params]
        state["s"] = [np.zeros_like(p) for p in params]
        state["s_max"] = [np.zeros_like(p) for p in params]
    for i, (w, g) in enumerate(zip(params, grads)):
        if hp["weight_decouple"]:
            w *= 1.0 - (wd if hp["fixed_decay"] else lr * wd)
        elif wd != 0:
            g = g + wd * w
        m, s = state["m"][i], state["s"][i]
        m[:] = b1 * m + (1 - b1) * g
        s[:] = b2 * s + (1 - b2) * (g - m) ** 2 + eps
        if hp["amsgrad"]:
            state["s_max"][i] = np.maximum(state["s_max"][i], s)
        if not hp["rectify"]:
            s_used = state["s_max"][i] if hp["amsgrad"] else s
            s_hat = np.sqrt(s_used) / math.sqrt(1 - b2 ** t)
            w -= lr / (1 - b1 ** t) * m / (s_hat + eps)
            continue
        adaptive, r = adabelief_rectified(hp, t)
        if adaptive:
            w -= r * lr * m / (np.sqrt(s) + eps)
        elif r is not None:
            w -= r * lr * m


CASES = [
    Case("radam", "defaults", {"lr": 0.01}, "full", torch_ref(radam)),
    Case("radam", "betas_wd", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01},
         "mini", torch_ref(radam)),
    Case("radam", "sigmoid_eps", {"lr": 0.03, "eps": 1e-4}, "sigmoid", torch_ref(radam)),
    Case("adamax", "defaults", {"lr": 0.01}, "full", torch_ref(adamax)),
    Case("adamax", "betas_wd", {"lr": 0.02, "beta1": 0.7, "beta2": 0.95, "weight_decay": 0.02},
         "mini", torch_ref(adamax)),
    Case("adamax", "sigmoid_eps", {"lr": 0.05, "eps": 1e-3}, "sigmoid", torch_ref(adamax)),
    Case("adadelta", "defaults", {"lr": 1.0}, "full", torch_ref(adadelta)),
    Case("adadelta", "rho_wd", {"lr": 2.0, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.01},
         "mini", torch_ref(adadelta)),
    Case("adadelta", "sigmoid", {"lr": 5.0, "rho": 0.95}, "sigmoid", torch_ref(adadelta)),
    Case("rprop", "defaults", {"lr": 0.01}, "full", torch_ref(rprop)),
    Case("rprop", "etas_sizes", {"lr": 0.02, "etaminus": 0.3, "etaplus": 1.5,
                                 "step_size_min": 1e-3, "step_size_max": 0.05},
         "mini", torch_ref(rprop)),
    Case("rprop", "sigmoid", {"lr": 0.005, "etaplus": 1.1}, "sigmoid", torch_ref(rprop)),
    Case("asgd", "defaults", {"lr": 0.1}, "full", torch_ref(asgd, asgd_average)),
    Case("asgd", "averaging", {"lr": 0.2, "lambd": 0.01, "alpha": 0.6, "t0": 20.0,
                               "weight_decay": 0.01},
         "mini", torch_ref(asgd, asgd_average)),
    Case("asgd", "sigmoid_avg", {"lr": 0.5, "lambd": 0.001, "t0": 5.0}, "sigmoid",
         torch_ref(asgd, asgd_average)),
    Case("adabelief", "defaults", {"lr": 0.01}, "full",
         numpy_ref(adabelief_step, ADABELIEF_DEFAULTS)),
    Case("adabelief", "no_rectify_wd", {"lr": 0.01, "rectify": False, "eps": 1e-12,
                                        "weight_decay": 0.05, "beta2": 0.99},
         "mini", numpy_ref(adabelief_step, ADABELIEF_DEFAULTS)),
    Case("adabelief", "coupled_amsgrad", {"lr": 0.02, "rectify": False, "amsgrad": True,
                                          "weight_decouple": False, "weight_decay": 0.01,
                                          "eps": 1e-8},
         "sigmoid", numpy_ref(adabelief_step, ADABELIEF_DEFAULTS)),
    Case("adabelief", "rectify_amsgrad_fixed", {"lr": 0.01, "amsgrad": True, "beta2": 0.9,
                                                "fixed_decay": True, "weight_decay": 1e-3},
         "full", numpy_ref(adabelief_step, ADABELIEF_DEFAULTS)),
    Case("adabelief", "no_sgd_phase", {"lr": 0.01, "degenerated_to_sgd": False, "beta2": 0.99},
         "mini", numpy_ref(adabelief_step, ADABELIEF_DEFAULTS)),
]

HEADER = """radam, adamax, adadelta, rprop, asgd: torch.optim 1.13 (foreach=False), float64;
asgd's eval lines are torch's averaged parameters state["ax"].
adabelief: NumPy from the AdaBelief paper's Algorithm 2 with the choices of the
authors' adabelief-pytorch 0.2 (eps added to s every step, rectification as
RAdam with threshold 5, decoupled or coupled weight decay, amsgrad)."""

if __name__ == "__main__":
    write_family("elementwise", CASES, HEADER)
