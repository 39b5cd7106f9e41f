#!/usr/bin/python3
"""Writes tests/data/optim_net_per_tensor.txt: trajectories of the per-tensor
optimizers lamb and lars on the small networks of common.py, replayed by
tests/test_optim_net.c. Neither is in torch.optim, so both references are
NumPy, written from the papers' algorithms:

  LAMB, You et al. 2019, "Large Batch Optimization for Deep Learning:
  Training BERT in 76 minutes", Algorithm 2, with bias correction and
  phi(z) = z (no clamp); every tensor (weights and biases) is one layer.

  LARS, You, Gitman, Ginsburg 2017, "Large Batch Training of Convolutional
  Networks", Algorithm 1, with eps in the local rate's denominator; biases
  take plain momentum steps without decay (they are not adapted).

Run with Debian's python3: /usr/bin/python3 tests/optim_ref/gen_per_tensor.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Case, numpy_ref, write_family  # noqa: E402


def is_bias(p):
    return p.ndim == 1


# ------------------------------------------------------------------- LAMB

LAMB_DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.01}


def lamb(params, grads, state, t, lr, hp, closure):
    b1, b2 = hp["beta1"], hp["beta2"]
    for i, (x, g) in enumerate(zip(params, grads)):
        st = state.setdefault(i, {"m": np.zeros_like(x), "v": np.zeros_like(x)})
        st["m"] = b1 * st["m"] + (1 - b1) * g
        st["v"] = b2 * st["v"] + (1 - b2) * g * g
        m_hat = st["m"] / (1 - b1 ** t)
        v_hat = st["v"] / (1 - b2 ** t)
        r = m_hat / (np.sqrt(v_hat) + hp["eps"])
        u = r + hp["weight_decay"] * x
        w_norm, u_norm = np.linalg.norm(x), np.linalg.norm(u)
        trust = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        x -= lr * trust * u


# ------------------------------------------------------------------- LARS

LARS_DEFAULTS = {"lr": 1.0, "momentum": 0.9, "weight_decay": 5e-4,
                 "trust_coefficient": 1e-3, "eps": 1e-9}


def lars(params, grads, state, t, lr, hp, closure):
    mu, beta, eta = hp["momentum"], hp["weight_decay"], hp["trust_coefficient"]
    for i, (x, g) in enumerate(zip(params, grads)):
        v = state.setdefault(i, np.zeros_like(x))
        if is_bias(x):
            v[...] = mu * v + lr * g
        else:
            w_norm, g_norm = np.linalg.norm(x), np.linalg.norm(g)
            if w_norm > 0 and g_norm > 0:
                local = eta * w_norm / (g_norm + beta * w_norm + hp["eps"])
            else:
                local = 1.0
            v[...] = mu * v + lr * local * (g + beta * x)
        x -= v


CASES = [
    Case("lamb", "defaults", {"lr": 0.01}, "full", numpy_ref(lamb, LAMB_DEFAULTS)),
    Case("lamb", "betas_wd", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-4,
                              "weight_decay": 0.1}, "mini", numpy_ref(lamb, LAMB_DEFAULTS)),
    Case("lamb", "sigmoid_nowd", {"lr": 0.03, "weight_decay": 0.0}, "sigmoid",
         numpy_ref(lamb, LAMB_DEFAULTS)),
    Case("lars", "paper", {"lr": 0.2, "trust_coefficient": 0.05}, "full", numpy_ref(lars, LARS_DEFAULTS)),
    Case("lars", "trust_wd", {"lr": 0.5, "momentum": 0.5, "weight_decay": 0.01,
                              "trust_coefficient": 0.02, "eps": 1e-6}, "mini",
         numpy_ref(lars, LARS_DEFAULTS)),
    Case("lars", "sigmoid_nomom", {"lr": 1.0, "momentum": 0.0, "weight_decay": 0.0,
                                   "trust_coefficient": 0.01}, "sigmoid",
         numpy_ref(lars, LARS_DEFAULTS)),
]

HEADER = """lamb, lars: NumPy references from the papers' algorithms (gen_per_tensor.py), float64."""

if __name__ == "__main__":
    write_family("per_tensor", CASES, HEADER)
