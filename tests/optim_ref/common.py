"""tests/optim_ref/common.py: the small-network problem every optimizer
reference trajectory is computed on, the runners for torch.optim and NumPy
rules, and the writer of tests/data/optim_net_<family>.txt, which
tests/test_optim_net.c reads and replays through nnlab's own training loop.

Run generators with Debian's python3 (python3-torch 1.13, python3-numpy):
    /usr/bin/python3 tests/optim_ref/gen_elementwise.py

Adding an optimizer to a family generator takes one reference function and one
line in its CASES list:
    Case("adamax", "wd", {"lr": 0.01, "weight_decay": 0.01}, "mini", torch_ref(adamax_torch))
where adamax_torch(params, **settings) builds the torch optimizer from nnlab's
hyperparameter names, or numpy_ref(step, defaults) wraps a NumPy rule
    step(params, grads, state, t, lr, hp, closure) -> None   (updates params in place)
with params and grads lists of arrays laid out as nnlab's tensors (W1 (fan_out,
fan_in), b1 (fan_out), W2, b2, ...), state a dict that starts empty, t the step
count from 1, hp every setting of the case, and closure(params) -> (loss,
grads) the loss and gradient at other parameters on the same batch.

The problems (PROBLEMS below):
  "full"    3-5-4-3 MLP, tanh hidden layers, softmax + cross-entropy, 32
            examples, full batch (batch_size = 0);
  "mini"    the same net and data in mini-batches of 8 taken in order
            (shuffle = "none": steps 1-4 see rows 0-7, 8-15, ..., step 5 rows 0-7);
  "sigmoid" 2-4-3-1 MLP, tanh, one sigmoid output + binary cross-entropy, 32
            examples, full batch.
The loss is the mean over the batch, as nnlab's training loop and torch's
default reduction compute it. Everything is float64.

File format ('#' starts a comment line; numbers in %.17g):
  case LABEL OPTIM STEPS BATCH      BATCH 0 = full batch
  set KEY VALUE                     zero or more: optim.KEY as a libconfig literal
  net ACT OUT L S0 S1 .. SL         L weight layers, sizes S0 (inputs) .. SL (outputs)
  data M D                          then M lines "x v1 .. vD" and one line "y l1 .. lM"
  theta N v1 .. vN                  initial parameters, W1 b1 W2 b2 ... row-major
  step K v1 .. vN                   STEPS lines, K = 1..STEPS: parameters after step K
  eval K v1 .. vN                   optional, after step K's line: the point where the
                                    model is evaluated (e.g. ASGD's average)
  grad_evals N                      optional: loss-and-gradient evaluations of all steps
                                    (closure calls: L-BFGS and SAM make more than one a step)
  end
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

STEPS = 64
M = 32
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


# ---------------------------------------------------------------- problems

class Problem:
    """A fixed dataset, a network shape and a batch size."""

    def __init__(self, sizes, out, batch, seed):
        self.sizes = list(sizes)
        self.act = "tanh"
        self.out = out
        self.batch = batch
        rng = np.random.RandomState(seed)
        d = sizes[0]
        self.X = rng.randn(M, d)
        # labels from a fixed random teacher, so the problem is learnable
        k = 2 if out == "sigmoid" else sizes[-1]
        teacher = rng.randn(d, k)
        self.y = np.argmax(np.tanh(self.X @ teacher) + 0.3 * rng.randn(M, k), axis=1)
        self.n_classes = k
        self.theta0 = self._init(rng)

    def _init(self, rng):
        """Xavier-like weights, small nonzero biases: W1, b1, W2, b2, ..."""
        params = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            params.append(rng.randn(fan_out, fan_in) * math.sqrt(2.0 / (fan_in + fan_out)))
            params.append(0.1 * rng.randn(fan_out))
        return params

    def rows(self, k):
        """Rows of step k (0-based), as nnlab's loop takes them with shuffle = "none"."""
        if self.batch == 0:
            return slice(0, M)
        per_epoch = M // self.batch
        start = (k % per_epoch) * self.batch
        return slice(start, start + self.batch)

    def loss(self, params, k):
        """Mean loss of step k's batch for torch tensors params."""
        r = self.rows(k)
        a = torch.tensor(self.X[r])
        y = torch.tensor(self.y[r])
        n_layers = len(params) // 2
        for layer in range(n_layers):
            a = a @ params[2 * layer].T + params[2 * layer + 1]
            if layer + 1 < n_layers:
                a = torch.tanh(a)
        if self.out == "sigmoid":
            return F.binary_cross_entropy_with_logits(a[:, 0], y.to(torch.float64))
        return F.cross_entropy(a, y)

    def loss_grad(self, arrays, k):
        """(loss, grads) at NumPy parameters arrays on step k's batch."""
        params = [torch.tensor(a, requires_grad=True) for a in arrays]
        loss = self.loss(params, k)
        grads = torch.autograd.grad(loss, params)
        return float(loss), [g.numpy().copy() for g in grads]


PROBLEMS = {
    "full": Problem([3, 5, 4, 3], "softmax", 0, seed=11),
    "mini": Problem([3, 5, 4, 3], "softmax", 8, seed=11),
    "sigmoid": Problem([2, 4, 3, 1], "sigmoid", 0, seed=23),
}
assert all(p.batch == 0 or M % p.batch == 0 for p in PROBLEMS.values())


def flat(arrays):
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


# ----------------------------------------------------------------- runners

def torch_ref(make, eval_point=None):
    """A reference from a torch optimizer: make(params, **settings). The step
    is given a closure (LBFGS needs one; the others call it once).
    eval_point(opt, params) -> list of arrays, or None."""
    def run(problem, settings, steps):
        params = [torch.tensor(a.copy(), requires_grad=True) for a in problem.theta0]
        opt = make(params, **settings)
        traj, evals, calls = [], [], [0]
        for k in range(steps):
            def closure(k=k):
                calls[0] += 1
                opt.zero_grad()
                loss = problem.loss(params, k)
                loss.backward()
                return loss
            opt.step(closure)
            traj.append(flat([p.detach().numpy() for p in params]))
            if eval_point:
                evals.append(flat(eval_point(opt, params)))
        return traj, evals, calls[0]
    return run


def numpy_ref(step, defaults, eval_point=None):
    """A reference from a NumPy rule (see the module comment); hp is defaults
    (the plugin's declared defaults, lr included) updated by the case's
    settings. eval_point(params, state) -> list of arrays, or None."""
    def run(problem, settings, steps):
        hp = dict(defaults)
        hp.update(settings)
        params = [a.copy() for a in problem.theta0]
        state = {}
        traj, evals, calls = [], [], [0]

        def closure(p, k):
            calls[0] += 1
            return problem.loss_grad(p, k)
        for k in range(steps):
            _, grads = closure(params, k)
            step(params, grads, state, k + 1, hp["lr"], hp, lambda p, k=k: closure(p, k))
            traj.append(flat(params))
            if eval_point:
                evals.append(flat(eval_point(params, state)))
        return traj, evals, calls[0]
    return run


class Case:
    """One trajectory: optimizer OPTIM with SETTINGS (nnlab names; every
    setting also goes to the reference) on PROBLEMS[problem]."""

    def __init__(self, optim, label, settings, problem, ref, steps=STEPS):
        self.optim, self.label, self.settings = optim, label, dict(settings)
        self.problem, self.ref, self.steps = problem, ref, steps


# ------------------------------------------------------------------ writer

def literal(v):
    """A libconfig literal for a setting."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return "%d" % v
    if isinstance(v, float):
        s = "%.17g" % v
        return s if any(c in s for c in ".en") else s + ".0"
    if isinstance(v, str):
        return '"%s"' % v
    raise TypeError("setting %r" % (v,))


def fmt(values):
    return " ".join("%.17g" % float(v) for v in values)


def write_case(f, case):
    p = PROBLEMS[case.problem]
    traj, evals, calls = case.ref(p, case.settings, case.steps)
    for s in traj:
        if not np.all(np.isfinite(s)):
            raise ValueError("%s %s: non-finite reference" % (case.optim, case.label))
    f.write("case %s %s %d %d\n" % (case.label, case.optim, case.steps, p.batch))
    for key, value in case.settings.items():
        f.write("set %s %s\n" % (key, literal(value)))
    f.write("net %s %s %d %s\n" % (p.act, p.out, len(p.sizes) - 1, " ".join(map(str, p.sizes))))
    f.write("data %d %d\n" % p.X.shape)
    for row in p.X:
        f.write("x %s\n" % fmt(row))
    f.write("y %s\n" % " ".join(str(int(v)) for v in p.y))
    theta = flat(p.theta0)
    f.write("theta %d %s\n" % (theta.size, fmt(theta)))
    for k, s in enumerate(traj):
        f.write("step %d %s\n" % (k + 1, fmt(s)))
        if evals:
            f.write("eval %d %s\n" % (k + 1, fmt(evals[k])))
    f.write("grad_evals %d\n" % calls)
    f.write("end\n")
    moved = np.max(np.abs(traj[-1] - theta))
    print("  %-10s %-14s %-7s %d steps, largest move %.3g" % (
        case.optim, case.label, case.problem, case.steps, moved))


def write_family(family, cases, header):
    """Writes tests/data/optim_net_<family>.txt atomically."""
    path = os.path.join(DATA_DIR, "optim_net_%s.txt" % family)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("# %s: optimizer trajectories on the small networks of\n" % os.path.basename(path))
        f.write("# tests/optim_ref/common.py (format there), read by tests/test_optim_net.c.\n")
        for line in header.strip().splitlines():
            f.write("# %s\n" % line)
        f.write("# torch %s, numpy %s\n" % (torch.__version__, np.__version__))
        for case in cases:
            write_case(f, case)
    os.replace(tmp, path)
    print("wrote", path)
