#!/usr/bin/python3
"""Writes tests/data/optim_net_reeval.txt: trajectories of the optimizers that
re-evaluate the loss and gradient on the step's batch, sam and lbfgs, on the
small networks of common.py, replayed by tests/test_optim_net.c (which gives
the plugin the core's evaluate() on the same batch, as the closure here does).

  lbfgs  torch.optim.LBFGS 1.13 itself, one optimizer.step(closure) per
         nnlab step, with line_search_fn None and "strong_wolfe", on the
         small nets and on a convex problem (NoisyProblem below);
  sam    SAM (Foret et al. 2021) written here from the paper and the
         davda54/sam reference: e = rho g / (||g|| + 1e-12) over all tensors
         (ASAM: rho w^2 g / (|| |w| g || + 1e-12)), the gradient again at
         w + e, back to w, then a step of torch.optim.SGD or torch.optim.Adam
         1.13 itself with that gradient.

Run with Debian's python3 (python3-torch): /usr/bin/python3 tests/optim_ref/gen_reeval.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import PROBLEMS, Case, Problem, torch_ref, write_family  # noqa: E402


class NoisyProblem(Problem):
    """common.py's problem with every fourth label moved to the next class,
    so that no linear classifier separates the data."""

    def __init__(self, sizes, out, batch, seed):
        super().__init__(sizes, out, batch, seed)
        self.y = self.y.copy()
        self.y[::4] = (self.y[::4] + 1) % self.n_classes


# L-BFGS on the small nets is chaotic beyond a few iterations per step (the
# data are separable: the weights grow without bound, and torch itself moves
# by O(1) when its start is perturbed by 1e-15), so most L-BFGS cases use
# softmax regression (no hidden layer: convex) on common.py's 32 examples
# with labels that no hyperplane separates: a finite minimiser, a
# well-conditioned trajectory.
PROBLEMS["convex"] = NoisyProblem([3, 3], "softmax", 0, seed=11)


# ---------------------------------------------------------------------- lbfgs

def lbfgs(params, lr=1.0, max_iter=20, max_eval=0, tolerance_grad=1e-7, tolerance_change=1e-9,
          history_size=100, line_search_fn="none"):
    return torch.optim.LBFGS(params, lr=lr, max_iter=max_iter,
                             max_eval=max_eval if max_eval > 0 else None,
                             tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                             history_size=history_size,
                             line_search_fn=None if line_search_fn == "none" else line_search_fn)


# ------------------------------------------------------------------------ sam

class Sam:
    """SAM around a torch optimizer: step(closure) takes the gradient at w,
    climbs to w + e, takes the gradient there and lets the base optimizer
    step from w with it."""

    def __init__(self, params, base, rho, adaptive):
        self.params, self.base, self.rho, self.adaptive = params, base, rho, adaptive

    def zero_grad(self):
        self.base.zero_grad()

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            closure()
        scaled = [(p.abs() * p.grad if self.adaptive else p.grad) for p in self.params]
        norm = torch.norm(torch.stack([s.norm(p=2) for s in scaled]), p=2)
        scale = self.rho / (norm + 1e-12)
        saved = [p.detach().clone() for p in self.params]
        for p in self.params:
            p.add_((p * p if self.adaptive else 1.0) * p.grad * scale)
        with torch.enable_grad():
            closure()
        for p, w in zip(self.params, saved):
            p.copy_(w)
        self.base.step()


def sam(params, lr=0.01, rho=0.05, adaptive=False, base="sgd", momentum=0.0, dampening=0.0,
        nesterov=False, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False):
    if base == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, dampening=dampening,
                              nesterov=nesterov, weight_decay=weight_decay, foreach=False)
    else:
        opt = torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps,
                               weight_decay=weight_decay, amsgrad=amsgrad, foreach=False)
    return Sam(params, opt, rho, adaptive)


# ---------------------------------------------------------------------- cases

CASES = [
    Case("sam", "sgd_momentum", {"lr": 0.1, "momentum": 0.9}, "mini", torch_ref(sam)),
    Case("sam", "asam_nesterov_wd", {"lr": 0.05, "rho": 0.5, "adaptive": True, "momentum": 0.8,
                                     "nesterov": True, "weight_decay": 0.001}, "full",
         torch_ref(sam)),
    Case("sam", "sgd_dampening", {"lr": 0.2, "rho": 0.1, "momentum": 0.5, "dampening": 0.3},
         "sigmoid", torch_ref(sam)),
    Case("sam", "adam", {"lr": 0.01, "base": "adam"}, "full", torch_ref(sam)),
    Case("sam", "asam_adam_amsgrad_wd", {"lr": 0.02, "base": "adam", "rho": 0.2, "adaptive": True,
                                         "amsgrad": True, "weight_decay": 0.01, "beta2": 0.99},
         "sigmoid", torch_ref(sam)),
    Case("lbfgs", "fixed_step", {"lr": 0.05, "max_iter": 1, "history_size": 20}, "mini",
         torch_ref(lbfgs)),
    Case("lbfgs", "fixed_step_sigmoid", {"lr": 0.02, "max_iter": 1, "history_size": 5}, "sigmoid",
         torch_ref(lbfgs)),
    Case("lbfgs", "wolfe", {"lr": 1.0, "max_iter": 1, "history_size": 3,
                            "line_search_fn": "strong_wolfe"}, "mini", torch_ref(lbfgs)),
    Case("lbfgs", "convex_defaults", {"lr": 1.0, "tolerance_grad": 0.0, "tolerance_change": 0.0},
         "convex", torch_ref(lbfgs)),
    Case("lbfgs", "convex_ring", {"lr": 1.0, "max_iter": 3, "history_size": 5,
                                  "tolerance_grad": 0.0, "tolerance_change": 0.0},
         "convex", torch_ref(lbfgs)),
    Case("lbfgs", "convex_wolfe", {"lr": 1.0, "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
    Case("lbfgs", "convex_wolfe_zoom", {"lr": 3.0, "max_iter": 1, "history_size": 3,
                                        "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
    Case("lbfgs", "convex_wolfe_extrapolate", {"lr": 0.05, "max_iter": 1, "history_size": 3,
                                               "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
    # first trial steps far too long: zoom with the Armijo test failing,
    # insufficient progress, a bracket whose ends swap
    Case("lbfgs", "convex_wolfe_overshoot", {"lr": 100.0, "max_iter": 1, "history_size": 3,
                                             "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
    Case("lbfgs", "convex_wolfe_far", {"lr": 1e4, "max_iter": 1, "history_size": 3,
                                                 "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
    Case("lbfgs", "convex_wolfe_history2", {"lr": 30.0, "max_iter": 3, "history_size": 2,
                                            "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
    # a step too short to change the loss: the search stops on its bracket
    # width and nothing moves (the evaluation count still has to agree)
    Case("lbfgs", "convex_wolfe_tiny", {"lr": 1e-30, "max_iter": 1, "history_size": 3,
                                        "line_search_fn": "strong_wolfe"}, "convex",
         torch_ref(lbfgs)),
]


def main():
    write_family("reeval", CASES, """
lbfgs: torch.optim.LBFGS 1.13, one step(closure) per nnlab step (the closure
recomputes the loss on the step's batch). sam: SAM / ASAM written in torch from
the paper and davda54/sam, base steps by torch.optim.SGD / Adam 1.13
(foreach=False), float64.""")


if __name__ == "__main__":
    main()
