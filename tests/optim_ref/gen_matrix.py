#!/usr/bin/python3
"""Writes tests/data/optim_net_matrix.txt: trajectories of the matrix-shaped
optimizers adafactor, muon and shampoo on the small networks of common.py
(3-5-4-3: W1 5x3, W2 4x5, W3 3x4; 2-4-3-1: W3 1x3), replayed by
tests/test_optim_net.c. None of them is in Debian's torch 1.13, so the
references are NumPy, written from the documented algorithms:

  adafactor  torch.optim.Adafactor's documented algorithm (torch 2.5+): factored
             row/column means of g^2 for matrices, a full average for vectors,
             beta2_t = 1 - t^beta2_decay, rho = min(lr, 1/sqrt(t)),
             alpha = max(eps2, RMS(W)) rho, update clipped to RMS <= d;
             eps1 None = float64's machine epsilon.
  muon       torch.optim.Muon's documented algorithm for matrices: B = mu B + g,
             Nesterov g + mu B, quintic Newton-Schulz on the wide orientation
             after dividing by max(||.||_F, eps), decoupled decay lr*wd, the
             lr adjusted by the shape; biases: torch.optim.AdamW's documented
             algorithm with the adam_* settings.
  shampoo    Gupta, Koren, Singer 2018, Algorithm 1: L += G G^T, R += G^T G
             from eps I, W -= lr L^-1/4 G R^-1/4 with the roots from
             numpy.linalg.eigh (recomputed every update_freq steps);
             biases: diagonal H += g^2, b -= lr g / sqrt(eps + H).

Run with Debian's python3: /usr/bin/python3 tests/optim_ref/gen_matrix.py
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Case, numpy_ref, write_family  # noqa: E402


def is_bias(p):
    return p.ndim == 1


def rms(x):
    return np.linalg.norm(x) / math.sqrt(x.size)


# -------------------------------------------------------------- Adafactor

ADAFACTOR_DEFAULTS = {"lr": 1e-2, "beta2_decay": -0.8, "eps1": np.finfo(np.float64).eps,
                      "eps2": 1e-3, "d": 1.0, "weight_decay": 0.0, "maximize": False}


def adafactor(params, grads, state, t, lr, hp, closure):
    eps1 = hp["eps1"]
    beta2_t = 1 - t ** hp["beta2_decay"]
    rho = min(lr, 1 / math.sqrt(t))
    for i, (x, g) in enumerate(zip(params, grads)):
        if hp["maximize"]:
            g = -g
        alpha = max(hp["eps2"], rms(x)) * rho
        x *= 1 - lr * hp["weight_decay"]
        if x.ndim > 1:
            st = state.setdefault(i, {"R": np.zeros(x.shape[0]), "C": np.zeros(x.shape[1])})
            st["R"] = beta2_t * st["R"] + (1 - beta2_t) * np.mean(g * g, axis=1)
            st["C"] = beta2_t * st["C"] + (1 - beta2_t) * np.mean(g * g, axis=0)
            v = np.outer(st["R"], st["C"]) / max(np.mean(st["R"]), eps1)
        else:
            st = state.setdefault(i, {"V": np.zeros_like(x)})
            st["V"] = beta2_t * st["V"] + (1 - beta2_t) * g * g
            v = st["V"]
        u = g / np.maximum(np.sqrt(v), eps1)
        u_hat = u / max(1.0, rms(u) / hp["d"])
        x -= alpha * u_hat


# ------------------------------------------------------------------- Muon

MUON_DEFAULTS = {"lr": 1e-3, "weight_decay": 0.1, "momentum": 0.95, "nesterov": True,
                 "ns_a": 3.4445, "ns_b": -4.7750, "ns_c": 2.0315, "eps": 1e-7, "ns_steps": 5,
                 "adjust_lr_fn": "original", "adam_lr": 1e-3, "adam_beta1": 0.9,
                 "adam_beta2": 0.999, "adam_eps": 1e-8, "adam_weight_decay": 1e-2}


def newton_schulz(m, hp):
    a, b, c = hp["ns_a"], hp["ns_b"], hp["ns_c"]
    tall = m.shape[0] > m.shape[1]
    x = m.T if tall else m
    x = x / max(np.linalg.norm(x), hp["eps"])
    for _ in range(hp["ns_steps"]):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon(params, grads, state, t, lr, hp, closure):
    mu = hp["momentum"]
    for i, (x, g) in enumerate(zip(params, grads)):
        if is_bias(x):
            adamw_bias(i, x, g, state, t, lr, hp)
            continue
        buf = state.setdefault(i, np.zeros_like(x))
        buf[...] = mu * buf + g
        o = newton_schulz(g + mu * buf if hp["nesterov"] else buf, hp)
        rows, cols = x.shape
        if hp["adjust_lr_fn"] == "match_rms_adamw":
            adjusted = 0.2 * math.sqrt(max(rows, cols)) * lr
        else:
            adjusted = lr * math.sqrt(max(1.0, rows / cols))
        x -= lr * hp["weight_decay"] * x
        x -= adjusted * o


def adamw_bias(i, x, g, state, t, lr, hp):
    """torch.optim.AdamW's documented algorithm with the adam_* settings; the
    rate follows the schedule's factor lr / hp["lr"] (1 here)."""
    gamma = hp["adam_lr"] * (lr / hp["lr"])
    b1, b2 = hp["adam_beta1"], hp["adam_beta2"]
    st = state.setdefault(i, {"m": np.zeros_like(x), "v": np.zeros_like(x)})
    x -= gamma * hp["adam_weight_decay"] * x
    st["m"] = b1 * st["m"] + (1 - b1) * g
    st["v"] = b2 * st["v"] + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1 ** t)
    v_hat = st["v"] / (1 - b2 ** t)
    x -= gamma * m_hat / (np.sqrt(v_hat) + hp["adam_eps"])


# ---------------------------------------------------------------- Shampoo

SHAMPOO_DEFAULTS = {"lr": 1e-2, "eps": 1e-4, "update_freq": 1, "weight_decay": 0.0}


def inverse_root(s, eps, p):
    w, v = np.linalg.eigh(s)
    w = np.maximum(w, eps)
    return (v * w ** (-1.0 / p)) @ v.T


def shampoo(params, grads, state, t, lr, hp, closure):
    eps = hp["eps"]
    for i, (x, g) in enumerate(zip(params, grads)):
        g = g + hp["weight_decay"] * x
        if is_bias(x):
            h = state.setdefault(i, np.full_like(x, eps))
            h += g * g
            x -= lr * g / np.sqrt(h)
            continue
        rows, cols = x.shape
        st = state.setdefault(i, {"L": eps * np.eye(rows), "R": eps * np.eye(cols)})
        st["L"] += g @ g.T
        st["R"] += g.T @ g
        if (t - 1) % hp["update_freq"] == 0:
            st["PL"] = inverse_root(st["L"], eps, 4)
            st["PR"] = inverse_root(st["R"], eps, 4)
        x -= lr * st["PL"] @ g @ st["PR"]


def ref(step, defaults):
    return numpy_ref(step, defaults)


CASES = [
    Case("adafactor", "defaults", {"lr": 0.01}, "full", ref(adafactor, ADAFACTOR_DEFAULTS)),
    Case("adafactor", "clip_wd", {"lr": 0.05, "beta2_decay": -0.5, "eps2": 0.01, "d": 1.2,
                                  "weight_decay": 0.1}, "mini", ref(adafactor, ADAFACTOR_DEFAULTS)),
    Case("adafactor", "sigmoid_eps1", {"lr": 0.03, "eps1": 1e-3, "eps2": 1e-4}, "sigmoid",
         ref(adafactor, ADAFACTOR_DEFAULTS)),
    Case("adafactor", "maximize", {"lr": 0.002, "maximize": True}, "full",
         ref(adafactor, ADAFACTOR_DEFAULTS)),
    Case("muon", "defaults", {"lr": 0.02, "adam_lr": 0.01}, "full", ref(muon, MUON_DEFAULTS)),
    Case("muon", "match_rms", {"lr": 0.01, "weight_decay": 0.05, "momentum": 0.9,
                               "nesterov": False, "ns_steps": 3, "adjust_lr_fn": "match_rms_adamw",
                               "adam_lr": 0.005, "adam_beta1": 0.8, "adam_beta2": 0.99,
                               "adam_eps": 1e-6, "adam_weight_decay": 0.1}, "mini",
         ref(muon, MUON_DEFAULTS)),
    Case("muon", "sigmoid_cubic", {"lr": 0.02, "ns_a": 1.5, "ns_b": -0.5, "ns_c": 0.0,
                                   "ns_steps": 8, "adam_lr": 0.02}, "sigmoid",
         ref(muon, MUON_DEFAULTS)),
    Case("shampoo", "defaults", {"lr": 0.05}, "full", ref(shampoo, SHAMPOO_DEFAULTS)),
    Case("shampoo", "freq_wd", {"lr": 0.02, "eps": 1e-3, "update_freq": 5, "weight_decay": 0.01},
         "mini", ref(shampoo, SHAMPOO_DEFAULTS)),
    Case("shampoo", "sigmoid_eps", {"lr": 0.05, "eps": 1e-6}, "sigmoid",
         ref(shampoo, SHAMPOO_DEFAULTS)),
]

HEADER = """adafactor, muon, shampoo: NumPy references from the documented algorithms
(gen_matrix.py), float64."""

if __name__ == "__main__":
    write_family("matrix", CASES, HEADER)
