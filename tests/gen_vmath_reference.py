#!/usr/bin/python3
"""Writes tests/data/vmath_reference.txt, read by tests/test_vmath.c: exp,
log1p and the sigmoid output's loss and gradient, for the model's vector
exp and log1p (core/engine/vmath.h) and the output layer they serve
(core/engine/model.c).

Run with Debian's python3 (python3-numpy, python3-mpmath):
    /usr/bin/python3 tests/gen_vmath_reference.py

Records (testutil.h's format, "NAME COUNT v1 ... vCOUNT"):
  x        log1p's arguments: 0, the smallest subnormal, a log-spaced sweep
           1e-320 .. 1, exp(-|z|) for Gaussian z (the loss's own arguments),
           a few above 1 and in (-1, 0)
  log1p    log1p(x) in mpmath at 60 digits, rounded once to float64 (the
           correctly rounded value)
  ex       exp's arguments: 0, -0, the ends of its range (overflow above
           709.78, subnormal results below -708.4, zero below -745.1), a
           uniform sweep of [-750, 710], and Gaussian values
  exp      exp(ex) in mpmath at 60 digits, rounded once to float64
  z, y     pre-activations and 0/1 labels of a sigmoid output: saturated
           (|z| up to 800, where exp overflows), tiny, and Gaussian
  loss     the summed loss sum(log(1 + exp(z)) - y z) in mpmath at 60
           digits, rounded once
  grad     (1 / (1 + exp(-z)) - y) / n in mpmath at 60 digits, rounded once
"""
import os

import mpmath
import numpy as np


def main():
    rs = np.random.RandomState(11)
    x = np.concatenate([[0.0, 5e-324, 1.0], np.logspace(-320, 0, 331),
                        np.exp(-np.abs(rs.standard_normal(400) * 6)),
                        [1.5, 2.0, 10.0, 1e10, 1e300, -0.5, -1e-10, -0.999]])
    ex = np.concatenate([[0.0, -0.0, 709.78, 709.79, 710.0, -708.3, -708.5, -740.0, -745.1, -745.2,
                          -750.0, 1e-300, -1e-300, 1e-8, -1e-8],
                         rs.uniform(-750, 710, 400), rs.standard_normal(200) * 5])
    z = np.concatenate([[0.0, -0.0, 800.0, -800.0, 709.0, -709.0, 710.0, -710.0, 40.0, -40.0,
                         1e-300, -1e-300, 1e-8, -1e-8],
                        rs.standard_normal(290) * 4])
    y = (rs.uniform(size=z.size) < 1 / (1 + np.exp(-np.clip(z, -50, 50)))).astype(float)
    mpmath.mp.dps = 60
    ref_log1p = np.array([float(mpmath.log1p(mpmath.mpf(float(v)))) for v in x])
    loss = mpmath.fsum(mpmath.log1p(mpmath.exp(mpmath.mpf(float(v)))) - mpmath.mpf(float(t)) * mpmath.mpf(float(v))
                       for v, t in zip(z, y))
    grad = np.array([float((1 / (1 + mpmath.exp(-mpmath.mpf(float(v)))) - mpmath.mpf(float(t))) / z.size)
                     for v, t in zip(z, y)])
    ref_exp = np.array([float(mpmath.exp(mpmath.mpf(float(v)))) for v in ex])
    out = {"x": x, "log1p": ref_log1p, "ex": ex, "exp": ref_exp, "z": z, "y": y, "loss": np.array([float(loss)]), "grad": grad}
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "data", "vmath_reference.txt")
    with open(path, "w") as f:
        f.write("# log1p and the sigmoid loss (NumPy %s), tests/gen_vmath_reference.py\n" % np.__version__)
        for k, v in out.items():
            f.write("%s %d %s\n" % (k, len(v), " ".join("%.17g" % t for t in v)))
    print("wrote", path)


if __name__ == "__main__":
    main()
