#!/usr/bin/python3
"""Writes tests/data/optim_reference.txt: optimizer trajectories, learning-rate
schedules and gradient clipping computed with PyTorch 1.13 in float64 (and the
course / CS231n formulas in NumPy), read by tests/test_optim_reference.c and
tests/test_schedule.c.

Run with Debian's python3 (python3-torch): /usr/bin/python3 tests/gen_optim_reference.py

File format: '#' starts a comment line; all other lines are whitespace-separated
tokens, numbers printed with %.17g.
  grads NAME STEPS N            then STEPS lines "g v1 .. vN"
  model NAME N                  quadratic, gradient A x - b: N lines "A ..", one "b .."
  optim PLUGIN LABEL SOURCE STEPS N NSET
                                SOURCE is a grads or model NAME; then NSET lines
                                "set KEY VALUE", one "x0 ..", STEPS lines
                                "step LR p1 .. pN" (params after the step), "end"
  sched LABEL COUNT NSET BASE_LR
                                NSET "set KEY VALUE" lines, then COUNT lines
                                "at ITERATION EPOCH LR METRIC": LR is the rate for
                                that iteration/epoch; a METRIC other than nan is
                                observed at the end of EPOCH; "end"
  clipnorm LABEL N MAX_NORM     lines "g ..", "norm V", "out .."; "end"
  clipvalue LABEL N CLIP        lines "g ..", "out .."; "end"

NAdam: torch 1.13 computes mu_product_next = mu_product * mu * mu_next, a bug
fixed in torch 2.0 (pytorch PR #92699). nadam_ref() below is the torch 2.0
single-tensor code in torch operations; it is first checked to reproduce
torch.optim.NAdam 1.13 exactly when given the 1.13 line, and the file holds its
corrected trajectories. Lion (not in torch) follows lion-pytorch's update_fn.
"""
import math
import os
import sys
import warnings

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
# schedulers are stepped without an optimizer step; SequentialLR calls step(0)
warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                   "optim_reference.txt")
STEPS = 64
N = 7


def fmt(values):
    return " ".join("%.17g" % float(v) for v in values)


# ---------------------------------------------------------------- gradients

def make_grads(seed):
    """Gradients of mixed scales with exact zeros, the same for C and torch."""
    rng = np.random.RandomState(seed)
    scale = np.array([1.0, 0.1, 10.0, 1e-3, 3.0, 0.5, 100.0])
    g = rng.randn(STEPS, N) * scale
    g[::7, 3] = 0.0          # some exact zeros
    g[10, :] = 0.0           # a whole zero step
    g[20:23, 5] = 0.0
    return g


def make_quadratic(seed):
    rng = np.random.RandomState(seed)
    q = rng.randn(N, N)
    a = q @ q.T / N + np.diag(np.linspace(0.5, 2.0, N))
    b = rng.randn(N)
    return a, b


# -------------------------------------------------------- reference rules

def torch_rule(cls, **kw):
    """Runs torch.optim.CLS on one float64 tensor."""
    def run(x0, grad_fn, lrs):
        p = torch.tensor(x0, requires_grad=True)
        opt = cls([p], lr=lrs[0], **kw)
        out = []
        for t, lr in enumerate(lrs):
            opt.param_groups[0]["lr"] = lr
            p.grad = torch.tensor(grad_fn(p.detach().numpy().copy(), t))
            opt.step()
            out.append(p.detach().numpy().copy())
        return out
    return run


def stateful_rule(step_fn, n_state, array=torch.tensor):
    """Runs w = step_fn(w, g, state, t, lr) from a zero state, on torch tensors
    (array=torch.tensor) or NumPy arrays (array=np.array)."""
    def run(x0, grad_fn, lrs):
        w = array(x0)
        state = [array(np.zeros(N)) for _ in range(n_state)]
        out = []
        for t, lr in enumerate(lrs):
            g = array(grad_fn(np.array(w), t))
            w = step_fn(w, g, state, t + 1, lr)
            out.append(np.array(w))
        return out
    return run


def functional_rule(step_fn, n_state):
    """torch operations, in place: step_fn(p, g, state, t, lr) -> p."""
    return stateful_rule(step_fn, n_state)


def nadam_step(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
               momentum_decay=4e-3, fixed=True):
    """torch 2.0 _single_tensor_nadam; fixed=False restores the 1.13 line."""
    def step(p, g, state, t, lr):
        if t == 1:
            state[2] = torch.tensor(1.)  # a 0-d tensor, as torch's state
        exp_avg, exp_avg_sq, mu_product = state
        step = float(t)
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            g = g.add(p, alpha=weight_decay)
        mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        if fixed:
            mu_product_next = mu_product.item() * mu_next
        else:
            mu_product_next = (mu_product * mu * mu_next).item()
        exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
        p.addcdiv_(g, denom, value=(-lr) * (1. - mu) / (1. - mu_product.item()))
        p.addcdiv_(exp_avg, denom, value=(-lr) * mu_next / (1. - mu_product_next))
        return p
    return step


def lion_step(beta1=0.9, beta2=0.99, weight_decay=0.0):
    """lion-pytorch's update_fn."""
    def step(p, g, state, t, lr):
        exp_avg = state[0]
        p.mul_(1 - lr * weight_decay)
        update = exp_avg.clone().mul_(beta1).add(g, alpha=1 - beta1).sign_()
        p.add_(update, alpha=-lr)
        exp_avg.mul_(beta2).add_(g, alpha=1 - beta2)
        return p
    return step


def numpy_rule(step_fn, n_state):
    """Course / CS231n formulas in NumPy: step_fn(w, g, state, t, lr) -> w."""
    return stateful_rule(step_fn, n_state, np.array)


def course_adam(beta1=0.9, beta2=0.999, epsilon=1e-8):
    """deeplearning.ai update_parameters_with_adam for one tensor."""
    def step(w, g, state, t, lr):
        v, s = state
        v[:] = beta1 * v + (1 - beta1) * g
        v_corrected = v / (1 - beta1 ** t)
        s[:] = beta2 * s + (1 - beta2) * np.power(g, 2)
        s_corrected = s / (1 - beta2 ** t)
        return w - lr * v_corrected / (np.sqrt(s_corrected) + epsilon)
    return step


def course_momentum(beta=0.9):
    """deeplearning.ai update_parameters_with_momentum for one tensor."""
    def step(w, g, state, t, lr):
        v = state[0]
        v[:] = beta * v + (1 - beta) * g
        return w - lr * v
    return step


def cs231n_rmsprop(decay_rate=0.99, epsilon=1e-8):
    """CS231n optim.rmsprop."""
    def step(w, g, state, t, lr):
        cache = state[0]
        cache[:] = decay_rate * cache + (1 - decay_rate) * g ** 2
        return w - lr * g / (np.sqrt(cache) + epsilon)
    return step


# ------------------------------------------------------------------ cases

SGD, ADAM, ADAMW = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW
RMS, ADAGRAD = torch.optim.RMSprop, torch.optim.Adagrad

# (plugin, label, our settings, reference rule, lr)
CASES = [
    ("momentum", "pytorch", {}, torch_rule(SGD, momentum=0.9, foreach=False), 0.01),
    ("momentum", "nesterov", {"nesterov": 1, "momentum": 0.8},
     torch_rule(SGD, momentum=0.8, nesterov=True, foreach=False), 0.02),
    ("momentum", "dampening_wd", {"dampening": 0.5, "weight_decay": 0.01},
     torch_rule(SGD, momentum=0.9, dampening=0.5, weight_decay=0.01,
                foreach=False), 0.01),
    ("momentum", "zero_momentum", {"momentum": 0},
     torch_rule(SGD, momentum=0, foreach=False), 0.01),
    ("momentum", "course", {"form": "course"},
     numpy_rule(course_momentum(0.9), 1), 0.01),
    ("momentum", "course_beta", {"form": "course", "momentum": 0.7},
     numpy_rule(course_momentum(0.7), 1), 0.05),
    ("adam", "default", {}, torch_rule(ADAM, foreach=False), 1e-3),
    ("adam", "lr_0.01", {}, torch_rule(ADAM, foreach=False), 0.01),
    ("adam", "course", {}, numpy_rule(course_adam(), 2), 0.01),
    ("adam", "course_betas", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
     numpy_rule(course_adam(0.8, 0.99, 1e-6), 2), 0.02),
    ("adam", "betas", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
     torch_rule(ADAM, betas=(0.8, 0.99), eps=1e-6, foreach=False), 0.02),
    ("adam", "amsgrad", {"amsgrad": 1},
     torch_rule(ADAM, amsgrad=True, foreach=False), 0.05),
    ("adam", "weight_decay", {"weight_decay": 0.01},
     torch_rule(ADAM, weight_decay=0.01, foreach=False), 0.01),
    ("adamw", "default", {}, torch_rule(ADAMW, foreach=False), 1e-3),
    ("adamw", "amsgrad_wd", {"amsgrad": 1, "weight_decay": 0.1},
     torch_rule(ADAMW, amsgrad=True, weight_decay=0.1, foreach=False), 0.01),
    ("rmsprop", "default", {}, torch_rule(RMS, foreach=False), 1e-2),
    ("rmsprop", "centered", {"centered": 1},
     torch_rule(RMS, centered=True, foreach=False), 1e-2),
    ("rmsprop", "momentum", {"momentum": 0.9},
     torch_rule(RMS, momentum=0.9, foreach=False), 1e-3),
    ("rmsprop", "centered_momentum_wd",
     {"centered": 1, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9},
     torch_rule(RMS, centered=True, momentum=0.5, weight_decay=0.01, alpha=0.9,
                foreach=False), 1e-3),
    ("rmsprop", "cs231n", {"alpha": 0.9},
     numpy_rule(cs231n_rmsprop(0.9), 1), 1e-2),
    ("adagrad", "default", {}, torch_rule(ADAGRAD, foreach=False), 1e-2),
    ("adagrad", "lr_decay_acc", {"lr_decay": 0.01, "initial_accumulator_value": 0.1},
     torch_rule(ADAGRAD, lr_decay=0.01, initial_accumulator_value=0.1,
                foreach=False), 0.1),
    ("adagrad", "wd_eps", {"weight_decay": 0.05, "eps": 1e-6},
     torch_rule(ADAGRAD, weight_decay=0.05, eps=1e-6, foreach=False), 0.05),
    ("nadam", "default", {}, functional_rule(nadam_step(), 3), 2e-3),
    ("nadam", "wd_decay", {"weight_decay": 0.01, "momentum_decay": 0.01},
     functional_rule(nadam_step(weight_decay=0.01, momentum_decay=0.01), 3), 0.01),
    ("nadam", "betas", {"beta1": 0.95, "beta2": 0.99},
     functional_rule(nadam_step(beta1=0.95, beta2=0.99), 3), 0.01),
    ("lion", "default", {}, functional_rule(lion_step(), 1), 1e-4),
    ("lion", "wd", {"weight_decay": 0.1}, functional_rule(lion_step(weight_decay=0.1), 1), 1e-3),
    ("lion", "betas", {"beta1": 0.95, "beta2": 0.98},
     functional_rule(lion_step(0.95, 0.98), 1), 1e-3),
]

# One case per plugin on the quadratic, with a step-decayed lr.
MODEL_CASES = [
    ("momentum", "quad", {}, torch_rule(SGD, momentum=0.9, foreach=False), 0.05),
    ("momentum", "quad_course", {"form": "course"}, numpy_rule(course_momentum(), 1), 0.1),
    ("adam", "quad", {}, torch_rule(ADAM, foreach=False), 0.1),
    ("adam", "quad_course", {}, numpy_rule(course_adam(), 2), 0.1),
    ("adamw", "quad", {"weight_decay": 0.05}, torch_rule(ADAMW, weight_decay=0.05, foreach=False), 0.1),
    ("rmsprop", "quad", {"centered": 1}, torch_rule(RMS, centered=True, foreach=False), 0.05),
    ("adagrad", "quad", {}, torch_rule(ADAGRAD, foreach=False), 0.5),
    ("nadam", "quad", {}, functional_rule(nadam_step(), 3), 0.05),
    ("lion", "quad", {}, functional_rule(lion_step(), 1), 0.01),
]


def ours_lines(settings, lr):
    return ["set lr %.17g" % lr] + ["set %s %s" % (k, v) for k, v in settings.items()]


def emit_optim(out, case, source, x0, grad_fn, lrs):
    plugin, label, settings, rule, lr = case
    sets = ours_lines(settings, lr)
    traj = rule(x0, grad_fn, lrs)
    out.append("optim %s %s %s %d %d %d" % (plugin, label, source, len(lrs), N, len(sets)))
    out.extend(sets)
    out.append("x0 " + fmt(x0))
    for lr_t, p in zip(lrs, traj):
        out.append("step %.17g %s" % (lr_t, fmt(p)))
    out.append("end")
    return traj


def check_nadam_1_13(grads, x0):
    """nadam_step(fixed=False) must reproduce torch.optim.NAdam 1.13."""
    lrs = [2e-3] * STEPS
    for kw in ({}, {"weight_decay": 0.01, "momentum_decay": 0.01}):
        ours = functional_rule(nadam_step(fixed=False, **kw), 3)(x0, lambda w, t: grads[t], lrs)
        ref = torch_rule(torch.optim.NAdam, **kw)(x0, lambda w, t: grads[t], lrs)
        diff = max(np.max(np.abs(a - b)) for a, b in zip(ours, ref))
        if diff != 0.0:
            sys.exit("nadam reimplementation differs from torch 1.13 by %g" % diff)


def max_rel(a, b):
    return max(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y))) for x, y in zip(a, b))


def optim_section(out):
    grads = make_grads(1)
    a, b = make_quadratic(2)
    x0 = np.random.RandomState(3).randn(N)
    check_nadam_1_13(grads, x0)
    out.append("grads G1 %d %d" % (STEPS, N))
    out.extend("g " + fmt(row) for row in grads)
    out.append("model Q1 %d" % N)
    out.extend("A " + fmt(row) for row in a)
    out.append("b " + fmt(b))
    trajs = {}
    for case in CASES:
        lrs = [case[4]] * STEPS
        trajs[case[:2]] = emit_optim(out, case, "G1", x0, lambda w, t: grads[t], lrs)
    for case in MODEL_CASES:
        lrs = [case[4] * 0.5 ** (t // 20) for t in range(STEPS)]
        trajs[case[:2]] = emit_optim(out, case, "Q1", x0, lambda w, t: a @ w - b, lrs)
    for x, y in ((("adam", "lr_0.01"), ("adam", "course")),
                 (("adam", "betas"), ("adam", "course_betas")),
                 (("adam", "quad"), ("adam", "quad_course"))):
        print("torch %s vs course %s: max rel diff %.3g" % (x[1], y[1], max_rel(trajs[x], trajs[y])))


# --------------------------------------------------------------- schedules

def sched_lrs(make, count, base=0.1, per_iteration_epoch=None, metrics=None):
    """Learning rates of a torch scheduler read before each step()."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make(opt)
    lrs = []
    for t in range(count):
        lrs.append(opt.param_groups[0]["lr"])
        if metrics is not None:
            sched.step(metrics[t])
        else:
            sched.step()
    return lrs


def emit_sched(out, label, settings, base, lrs, iters=None, epochs=None, metrics=None):
    count = len(lrs)
    iters = iters if iters is not None else list(range(count))
    epochs = epochs if epochs is not None else list(range(count))
    out.append("sched %s %d %d %.17g" % (label, count, len(settings), base))
    out.extend("set %s %s" % (k, v) for k, v in settings.items())
    for t in range(count):
        m = "nan" if metrics is None else "%.17g" % metrics[t]
        out.append("at %d %d %.17g %s" % (iters[t], epochs[t], lrs[t], m))
    out.append("end")


def closed_check(name, lrs, closed):
    d = max(abs(x - y) / max(1.0, abs(y)) for x, y in zip(lrs, closed))
    print("schedule %s: torch vs closed form max rel diff %.3g" % (name, d))


def schedule_section(out):
    S = torch.optim.lr_scheduler
    base = 0.1
    emit_sched(out, "constant", {"type": "constant"}, base, [base] * 20)

    lrs = sched_lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 30)
    emit_sched(out, "step", {"type": "step", "step_size": 3, "gamma": 0.5}, base, lrs)

    # Per iteration: 7 iterations an epoch, t counts iterations.
    lrs = sched_lrs(lambda o: S.StepLR(o, step_size=10, gamma=0.3), 60)
    emit_sched(out, "step_per_iteration",
               {"type": "step", "per_epoch": 0, "step_size": 10, "gamma": 0.3},
               base, lrs, epochs=[t // 7 for t in range(60)])

    lrs = sched_lrs(lambda o: S.ExponentialLR(o, gamma=0.95), 60)
    emit_sched(out, "exponential_cs231n", {"type": "exponential", "gamma": 0.95}, base, lrs)
    cs = [base]
    for _ in range(59):
        cs.append(cs[-1] * 0.95)  # CS231n Solver: lr *= lr_decay every epoch
    closed_check("exponential", lrs, [base * 0.95 ** t for t in range(60)])
    emit_sched(out, "exponential_cs231n_loop", {"type": "exponential", "gamma": 0.95}, base, cs)

    lrs = sched_lrs(lambda o: S.CosineAnnealingLR(o, T_max=20, eta_min=1e-4), 50)
    emit_sched(out, "cosine", {"type": "cosine", "t_max": 20, "eta_min": 1e-4}, base, lrs)
    closed_check("cosine", lrs, [1e-4 + (base - 1e-4) * (1 + math.cos(math.pi * t / 20)) / 2
                                 for t in range(50)])

    def warm_cos(o):
        return S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                  S.CosineAnnealingLR(o, T_max=25)], milestones=[5])
    lrs = sched_lrs(warm_cos, 40)
    emit_sched(out, "warmup_cosine", {"type": "cosine", "t_max": 25, "warmup": 5,
                                      "warmup_start_factor": 0.1}, base, lrs)
    closed_check("warmup_cosine", lrs,
                 [base * (0.1 + 0.9 * t / 5) if t < 5 else
                  base * (1 + math.cos(math.pi * (t - 5) / 25)) / 2 for t in range(40)])

    def warm_step(o):
        return S.SequentialLR(o, [S.LinearLR(o, total_iters=4),
                                  S.StepLR(o, step_size=5, gamma=0.5)], milestones=[4])
    lrs = sched_lrs(warm_step, 30)
    emit_sched(out, "warmup_step", {"type": "step", "step_size": 5, "gamma": 0.5,
                                    "warmup": 4}, base, lrs)

    lrs = sched_lrs(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=8), 20)
    emit_sched(out, "warmup_constant_per_iteration",
               {"type": "constant", "per_epoch": 0, "warmup": 8, "warmup_start_factor": 0.25},
               base, lrs, epochs=[t // 3 for t in range(20)])

    lrs = [base / (1 + 0.5 * t / 3) for t in range(30)]
    emit_sched(out, "inverse_time", {"type": "inverse_time", "decay_rate": 0.5,
                                     "decay_steps": 3}, base, lrs)
    lrs = [base / (1 + 1.0 * np.floor(t / 4)) for t in range(30)]  # schedule_lr_decay
    emit_sched(out, "inverse_time_course_staircase",
               {"type": "inverse_time", "decay_steps": 4, "staircase": 1}, base, lrs)
    lrs = [base / (1 + 0.3 * t) for t in range(30)]  # course update_lr
    emit_sched(out, "inverse_time_course_update_lr",
               {"type": "inverse_time", "decay_rate": 0.3}, base, lrs)

    rng = np.random.RandomState(4)
    loss = [1.0 / (1 + t) if t < 8 else 0.11 + 0.01 * rng.rand() for t in range(40)]
    loss[20] = 0.05  # one late improvement
    lrs = sched_lrs(lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2,
                                                  threshold=1e-3, cooldown=1, min_lr=1e-3),
                    40, metrics=loss)
    emit_sched(out, "plateau_loss", {"type": "plateau", "factor": 0.5, "patience": 2,
                                     "threshold": 1e-3, "cooldown": 1, "min_lr": 1e-3},
               base, lrs, metrics=loss)
    acc = [min(0.9, 0.5 + 0.05 * t) + 0.001 * rng.rand() for t in range(40)]
    lrs = sched_lrs(lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=3,
                                                  threshold=0.01, threshold_mode="abs"),
                    40, metrics=acc)
    emit_sched(out, "plateau_accuracy", {"type": "plateau", "monitor": "val_accuracy",
                                         "factor": 0.3, "patience": 3, "threshold": 0.01,
                                         "threshold_mode": "abs"}, base, lrs, metrics=acc)


# ---------------------------------------------------------------- clipping

def clip_section(out):
    rng = np.random.RandomState(5)
    cases = [("big", rng.randn(7) * 10, 1.0), ("small", rng.randn(7) * 0.01, 1.0),
             ("zero", np.zeros(5), 1.0), ("long", rng.randn(1000), 5.0),
             ("tiny_max", rng.randn(7) * 1e-3, 1e-5)]
    for label, g, max_norm in cases:
        t = torch.tensor(g)
        p = torch.zeros_like(t, requires_grad=True)
        p.grad = t.clone()
        norm = torch.nn.utils.clip_grad_norm_([p], max_norm)
        out.append("clipnorm %s %d %.17g" % (label, len(g), max_norm))
        out.extend(["g " + fmt(g), "norm %.17g" % norm.item(),
                    "out " + fmt(p.grad.numpy()), "end"])
    for label, g, clip in [("mixed", rng.randn(9) * 3, 1.5), ("inside", rng.randn(5) * 0.1, 1.0)]:
        p = torch.zeros(len(g), requires_grad=True)
        p.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_value_([p], clip)
        out.append("clipvalue %s %d %.17g" % (label, len(g), clip))
        out.extend(["g " + fmt(g), "out " + fmt(p.grad.numpy()), "end"])


def main():
    out = ["# optimizer, schedule and clipping references: tests/gen_optim_reference.py",
           "# torch %s, numpy %s, float64" % (torch.__version__, np.__version__)]
    optim_section(out)
    schedule_section(out)
    clip_section(out)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (OUT, len(out)))


if __name__ == "__main__":
    main()
