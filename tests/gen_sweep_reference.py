#!/usr/bin/python3
"""Writes tests/data/sweep_random.txt: the values nnlab sweep's random search
draws, computed independently with NumPy's legacy RandomState, read by
tests/test_sweep.c.

Run with Debian's python3 (python3-numpy): /usr/bin/python3 tests/gen_sweep_reference.py

The search (the same in test_sweep.c): for each trial in order, each key in
order takes one draw from one seeded stream,
  uniform [lo, hi]       lo + (hi - lo) * rand()
  log_uniform [lo, hi]   exp(log lo + (log hi - log lo) * rand())
  int [lo, hi]           randint(lo, hi + 1)
  log_int [lo, hi]       floor(exp(log lo + (log(hi + 1) - log lo) * rand())), clipped to [lo, hi]
  choice (n values)      the value at randint(0, n)
File format (testutil.h's records): "NAME COUNT v1 ... vCOUNT", one record per
key and seed: seed7_uniform, seed7_log_uniform, ... ; '#' lines are comments.
"""
import math
import os

import numpy as np

TRIALS = 40
KEYS = [
    ("uniform", (0.0, 0.1)),
    ("log_uniform", (1e-4, 0.1)),
    ("int", (1, 10)),
    ("log_int", (16, 512)),
    ("choice", 3),
]


def draws(seed):
    rs = np.random.RandomState(seed)
    out = {k: [] for k, _ in KEYS}
    seen = set()
    while len(out["uniform"]) < TRIALS:
        row = []
        for kind, arg in KEYS:
            if kind == "uniform":
                lo, hi = arg
                row.append(lo + (hi - lo) * rs.random_sample())
            elif kind == "log_uniform":
                lo, hi = arg
                row.append(math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * rs.random_sample()))
            elif kind == "int":
                lo, hi = arg
                row.append(int(rs.randint(lo, hi + 1)))
            elif kind == "log_int":
                lo, hi = arg
                v = math.floor(math.exp(math.log(lo) + (math.log(hi + 1) - math.log(lo)) * rs.random_sample()))
                row.append(min(max(v, lo), hi))
            else:
                row.append(int(rs.randint(0, arg)))
        if tuple(row) in seen:  # a repeated configuration is drawn again
            continue
        seen.add(tuple(row))
        for (kind, _), v in zip(KEYS, row):
            out[kind].append(v)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "data", "sweep_random.txt")
    with open(path, "w") as f:
        f.write("# nnlab sweep random search draws (NumPy %s RandomState), tests/gen_sweep_reference.py\n"
                % np.__version__)
        for seed in (7, 8):
            d = draws(seed)
            for kind, _ in KEYS:
                f.write("seed%d_%s %d %s\n" % (seed, kind, TRIALS, " ".join("%.17g" % v for v in d[kind])))
    print("wrote", path)


if __name__ == "__main__":
    main()
