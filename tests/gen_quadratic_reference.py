#!/usr/bin/python3
"""Writes tests/data/quadratic_reference.txt: the data of the quadratic data
plugin (plugins/data/quadratic.c, the benchmark's noisy ill-conditioned
problem) computed independently with NumPy, read by tests/test_quadratic.c.

Run with Debian's python3 (python3-numpy): /usr/bin/python3 tests/gen_quadratic_reference.py

The plugin's definition, as NumPy computes it here:
  lambda   features - n_large values np.linspace(small_lo, small_hi), then
           n_large np.linspace(large_lo, large_hi)
  Q        the Q of np.linalg.qr(A) (Householder, LAPACK) with its columns'
           signs made so that R's diagonal is positive (the QR factorisation
           is unique then), A = standard_normal((features, features))
  w        standard_normal(features) / sqrt(w' Sigma w), Sigma = Q diag(lambda) Q'
  train    Z = standard_normal((m, features)), columns centred, U of its reduced
           QR (signs as above), times sqrt(m): X = Z diag(sqrt(lambda)) Q'
  val/test Z = standard_normal((m, features)) as drawn
  labels   y = (X w + noise * standard_normal(m) > 0), after each split's Z
all from one RandomState(seed). The C plugin orthonormalises with modified
Gram-Schmidt (twice) instead, so the values agree to rounding, not bit for
bit. Also recorded: Sigma, and the eigenvalues of X_train' X_train / m
(np.linalg.eigvalsh), which must be lambda: the fixed spectrum.
File format (testutil.h's records): "NAME COUNT v1 ... vCOUNT".
"""
import os

import numpy as np

CASE = dict(seed=5, features=6, n_train=40, n_val=12, n_test=10, n_large=2,
            small_lo=0.1, small_hi=1.0, large_lo=30.0, large_hi=60.0, noise=0.5)


def q_of(a):
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diag(r))


def generate(c):
    d, nl = c["features"], c["n_large"]
    lam = np.concatenate([np.linspace(c["small_lo"], c["small_hi"], d - nl),
                          np.linspace(c["large_lo"], c["large_hi"], nl)])
    rs = np.random.RandomState(c["seed"])
    Q = q_of(rs.standard_normal((d, d)))
    sigma = Q @ np.diag(lam) @ Q.T
    w = rs.standard_normal(d)
    w = w / np.sqrt(w @ sigma @ w)
    out = {"lambda": lam, "sigma": sigma.ravel()}
    for name, m, whiten in (("train", c["n_train"], True), ("val", c["n_val"], False), ("test", c["n_test"], False)):
        Z = rs.standard_normal((m, d))
        if whiten:
            Z = Z - Z.mean(axis=0)
            Z = q_of(Z) * np.sqrt(m)
        X = Z @ np.diag(np.sqrt(lam)) @ Q.T
        score = X @ w + c["noise"] * rs.standard_normal(m)
        out["X_" + name] = X.ravel()
        out["y_" + name] = (score > 0).astype(float)
        out["margin_" + name] = np.abs(score)
        if whiten:
            H = X.T @ X / m
            out["eig_train"] = np.linalg.eigvalsh(H)
            assert np.allclose(out["eig_train"], np.sort(lam), rtol=1e-12, atol=1e-12)
            assert np.allclose(X.mean(axis=0), 0, atol=1e-12)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "data", "quadratic_reference.txt")
    out = generate(CASE)
    with open(path, "w") as f:
        f.write("# the quadratic data plugin's data (NumPy %s), tests/gen_quadratic_reference.py\n" % np.__version__)
        f.write("# case: %s\n" % " ".join("%s=%s" % kv for kv in CASE.items()))
        for k, v in out.items():
            f.write("%s %d %s\n" % (k, len(v), " ".join("%.17g" % x for x in v)))
    print("wrote", path)


if __name__ == "__main__":
    main()
