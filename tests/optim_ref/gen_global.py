#!/usr/bin/python3
"""Writes tests/data/optim_net_global.txt: trajectories of the optimizers with
global scalars, prodigy, schedule_free_adamw and schedule_free_sgd, on the
small networks of common.py, replayed by tests/test_optim_net.c.

None of them is in torch 1.13 or Debian, so each reference is NumPy written
from the method's algorithm:
  prodigy     Algorithm 1 of Mishchenko & Defazio (2023) with the choices of the
              authors' prodigyopt 1.1 (d / d0 scaling of the sums, d_max,
              growth_rate, decoupled or coupled decay, beta1 = 0, bias
              correction, safeguard_warmup, a step skipped while the
              denominator is 0);
  schedule_free_adamw / schedule_free_sgd
              Algorithm 1 of Defazio et al. (2024) with the three sequences
              kept explicitly (x, z and y = (1 - beta) z + beta x) and the
              choices of the authors' schedulefree 1.4 (weights
              (k+1)^r lr_max^weight_lr_power, linear warm-up, v / (1 - beta2^k)
              under the root, decay at y). The eval lines are x, where the
              model is evaluated. schedulefree itself updates y without
              storing x; that form (memory_efficient_* below) is run too and
              must agree with the explicit one to 1e-11.

Run with Debian's python3: /usr/bin/python3 tests/optim_ref/gen_global.py
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import PROBLEMS, Case, flat, numpy_ref, write_family  # noqa: E402


# -------------------------------------------------------------------- prodigy

PRODIGY = dict(lr=1.0, beta1=0.9, beta2=0.999, beta3=None, eps=1e-8, weight_decay=0.0,
               decouple=True, use_bias_correction=False, safeguard_warmup=False, d0=1e-6,
               d_coef=1.0, growth_rate=math.inf)


def prodigy_step(params, grads, st, t, lr, hp, closure):
    b1, b2 = hp["beta1"], hp["beta2"]
    b3 = math.sqrt(b2) if hp["beta3"] is None else hp["beta3"]
    wd, d0 = hp["weight_decay"], hp["d0"]
    if not st:
        st.update(d=d0, d_max=d0, numerator=0.0, k=0, p0=[p.copy() for p in params],
                  m=[np.zeros_like(p) for p in params], v=[np.zeros_like(p) for p in params],
                  s=[np.zeros_like(p) for p in params])
    d, k = st["d"], st["k"]
    bc = 1.0
    if hp["use_bias_correction"]:
        bc = math.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1))
    dlr = d * lr * bc
    if wd != 0 and not hp["decouple"]:
        grads = [g + wd * p for g, p in zip(grads, params)]
    delta, denominator = 0.0, 0.0
    if lr > 0:
        for i, (p, g) in enumerate(zip(params, grads)):
            delta += (d / d0) * dlr * float(np.dot(g.ravel(), (st["p0"][i] - p).ravel()))
            if b1 > 0:
                st["m"][i] = b1 * st["m"][i] + d * (1 - b1) * g
            st["v"][i] = b2 * st["v"][i] + d * d * (1 - b2) * g * g
            scale = (d / d0) * (d if hp["safeguard_warmup"] else dlr)
            st["s"][i] = b3 * st["s"][i] + scale * g
            denominator += float(np.abs(st["s"][i]).sum())
    if denominator == 0:
        return  # no step, and the sums are not kept (prodigyopt returns early)
    numerator = b3 * st["numerator"] + delta
    d_hat = hp["d_coef"] * numerator / denominator
    if d == d0:
        d = max(d, d_hat)
    st["d_max"] = max(st["d_max"], d_hat)
    d = min(st["d_max"], d * hp["growth_rate"])
    st.update(d=d, numerator=numerator, k=k + 1)
    for i, (p, g) in enumerate(zip(params, grads)):
        denom = np.sqrt(st["v"][i]) + d * hp["eps"]
        if wd != 0 and hp["decouple"]:
            p -= wd * dlr * p
        if b1 > 0:
            p -= dlr * st["m"][i] / denom
        else:
            p -= dlr * d * g / denom


# -------------------------------------------------------------- schedule-free

SF_ADAMW = dict(lr=0.0025, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup_steps=0,
                r=0.0, weight_lr_power=2.0)
SF_SGD = dict(lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0)


def sf_weights(st, lr, hp):
    """Step k + 1's warmed-up lr and averaging weight c (updates st)."""
    k = st["k"]
    lr_k = lr * ((k + 1) / hp["warmup_steps"] if k < hp["warmup_steps"] else 1.0)
    st["lr_max"] = max(st["lr_max"], lr_k)
    weight = (k + 1) ** hp["r"] * st["lr_max"] ** hp["weight_lr_power"]
    st["weight_sum"] += weight
    c = weight / st["weight_sum"] if st["weight_sum"] != 0 else 0.0
    st["k"] = k + 1
    return lr_k, c


def sf_start(st, params, adam):
    st.update(k=0, weight_sum=0.0, lr_max=-1.0, x=[p.copy() for p in params],
              z=[p.copy() for p in params])
    if adam:
        st["v"] = [np.zeros_like(p) for p in params]


def explicit_step(adam, beta_key):
    """The paper's three sequences: z descends, x averages the z's, y (the
    parameters, where gradients are taken) interpolates them."""
    def step(params, grads, st, t, lr, hp, closure):
        if not st:
            sf_start(st, params, adam)
        beta = hp[beta_key]
        lr_k, c = sf_weights(st, lr, hp)
        for i, (y, g) in enumerate(zip(params, grads)):
            if adam:
                b2 = hp["beta2"]
                st["v"][i] = b2 * st["v"][i] + (1 - b2) * g * g
                bc2 = 1 - b2 ** st["k"]
                g = g / (np.sqrt(st["v"][i] / bc2) + hp["eps"])
            u = g + hp["weight_decay"] * y
            st["z"][i] = st["z"][i] - lr_k * u
            st["x"][i] = (1 - c) * st["x"][i] + c * st["z"][i]
            y[...] = (1 - beta) * st["z"][i] + beta * st["x"][i]
    return step


def explicit_x(params, st):
    return st["x"] if st else params


def lerp(a, b, w):
    """torch.lerp's formula."""
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def memory_efficient_step(adam, beta_key):
    """schedulefree's form: y updated in place from z, x never stored."""
    def step(params, grads, st, t, lr, hp, closure):
        if not st:
            sf_start(st, params, adam)
        beta = hp[beta_key]
        lr_k, c = sf_weights(st, lr, hp)
        for i, (y, g) in enumerate(zip(params, grads)):
            if adam:
                b2 = hp["beta2"]
                st["v"][i] = st["v"][i] * b2 + (1 - b2) * g * g
                g = g / (np.sqrt(st["v"][i] / (1 - b2 ** st["k"])) + hp["eps"])
            u = g + hp["weight_decay"] * y
            y[...] = lerp(y, st["z"][i], c) + lr_k * (beta * (1 - c) - 1) * u
            st["z"][i] = st["z"][i] - lr_k * u
        st["beta"] = beta
    return step


def memory_efficient_x(params, st):
    if not st:
        return params
    return [lerp(y, z, 1 - 1 / st["beta"]) for y, z in zip(params, st["z"])]


# ---------------------------------------------------------------------- cases

CASES = [
    Case("prodigy", "defaults", {"lr": 1.0}, "full", numpy_ref(prodigy_step, PRODIGY)),
    Case("prodigy", "wd_biascorr", {"lr": 1.0, "weight_decay": 0.01, "use_bias_correction": True},
         "mini", numpy_ref(prodigy_step, PRODIGY)),
    Case("prodigy", "l2_nobeta1", {"lr": 0.1, "beta1": 0.0, "weight_decay": 0.001,
                                    "decouple": False, "beta3": 0.99},
         "sigmoid", numpy_ref(prodigy_step, PRODIGY)),
    Case("prodigy", "safeguard_growth", {"lr": 1.0, "safeguard_warmup": True, "growth_rate": 1.1,
                                          "d0": 1e-4, "d_coef": 0.5},
         "mini", numpy_ref(prodigy_step, PRODIGY)),
    Case("schedule_free_adamw", "defaults", {"lr": 0.02}, "full",
         numpy_ref(explicit_step(True, "beta1"), SF_ADAMW, explicit_x)),
    Case("schedule_free_adamw", "warmup_wd_r", {"lr": 0.02, "warmup_steps": 10,
                                                "weight_decay": 0.01, "r": 1.0},
         "mini", numpy_ref(explicit_step(True, "beta1"), SF_ADAMW, explicit_x)),
    Case("schedule_free_adamw", "beta_power", {"lr": 0.05, "beta1": 0.8, "beta2": 0.99,
                                               "weight_lr_power": 0.0, "eps": 1e-6},
         "sigmoid", numpy_ref(explicit_step(True, "beta1"), SF_ADAMW, explicit_x)),
    Case("schedule_free_sgd", "defaults", {"lr": 0.5}, "full",
         numpy_ref(explicit_step(False, "momentum"), SF_SGD, explicit_x)),
    Case("schedule_free_sgd", "warmup_wd_r", {"lr": 0.5, "warmup_steps": 8, "weight_decay": 0.001,
                                              "r": 0.5},
         "mini", numpy_ref(explicit_step(False, "momentum"), SF_SGD, explicit_x)),
    Case("schedule_free_sgd", "momentum_power", {"lr": 1.0, "momentum": 0.5,
                                                 "weight_lr_power": 1.0},
         "sigmoid", numpy_ref(explicit_step(False, "momentum"), SF_SGD, explicit_x)),
]


def cross_check():
    """The explicit three-sequence form equals schedulefree's in-place form."""
    worst = 0.0
    for case in CASES:
        if not case.optim.startswith("schedule_free"):
            continue
        adam = case.optim.endswith("adamw")
        key = "beta1" if adam else "momentum"
        defaults = SF_ADAMW if adam else SF_SGD
        p = PROBLEMS[case.problem]
        a, ax, _ = case.ref(p, case.settings, case.steps)
        b, bx, _ = numpy_ref(memory_efficient_step(adam, key), defaults, memory_efficient_x)(
            p, case.settings, case.steps)
        for u, v in zip(a + ax, b + bx):
            worst = max(worst, float(np.max(np.abs(u - v) / np.maximum(1, np.abs(v)))))
    print("  explicit x, y, z vs schedulefree's in-place form: largest rel diff %.3g" % worst)
    if worst > 1e-11:
        raise SystemExit("the two Schedule-Free forms disagree")


def main():
    cross_check()
    write_family("global", CASES, """
prodigy, schedule_free_adamw, schedule_free_sgd: NumPy references (see
tests/optim_ref/gen_global.py): Prodigy from the paper's Algorithm 1 with
prodigyopt 1.1's choices; Schedule-Free with x, y, z kept explicitly, choices of
schedulefree 1.4; eval lines are Schedule-Free's x (the evaluation point).""")


if __name__ == "__main__":
    main()
