#!/usr/bin/python3
"""Writes tests/data/reg_reference.txt, read by tests/test_reg.c: an independent
NumPy computation of

  * the cost and every gradient of a small fixed [3, 5, 4, 1] ReLU / sigmoid
    network on 6 examples, with no regularization, the l2 / l1 / elastic_net
    penalties in each convention (course: divided by m), and inverted dropout
    with the masks of np.random.seed(1); rand(5, 6) < p1, rand(4, 6) < p2
    (the notebook's order), written out as well;
  * the initializers lecun (the regularization notebook's
    randn(n, n_prev) / np.sqrt(n_prev), seed 3, layers [2, 20, 3, 1]), lecun
    uniform and xavier normal / uniform;
  * the planar data shapes: scikit-learn 1.2's make_blobs and
    make_gaussian_quantiles, course 1's load_planar_dataset (flower),
    CS231n's spiral and the football generator as documented in
    plugins/data/planar.c (sin/cos through math.sin/math.cos, the C library's,
    so that the values are the correctly rounded ones; NumPy 1.24 uses SVML's
    on AVX-512 machines, which differ in the last bits).

Run with Debian's python3: /usr/bin/python3 tests/gen_reg_reference.py
Format (tests/testutil.h): '#' comment lines; records "name count v1 ... vn",
numbers printed with %.17g.
"""
import math
import os

import numpy as np
import sklearn
from sklearn.datasets import make_blobs, make_gaussian_quantiles

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "reg_reference.txt")
LAYERS = [3, 5, 4, 1]
M = 6
lines = []


def rec(name, values):
    v = np.asarray(values, dtype=np.float64).ravel()
    lines.append("%s %d %s" % (name, v.size, " ".join("%.17g" % x for x in v)))


# ---- network, data and parameters ----------------------------------------------
rs = np.random.RandomState(11)
X = rs.randn(3, M)
Y = (rs.rand(1, M) < 0.5).astype(np.float64)
Y[0, :2] = [0, 1]
params = {}
for l in range(1, 4):
    params["W%d" % l] = rs.randn(LAYERS[l], LAYERS[l - 1]) * 0.7
    params["b%d" % l] = rs.randn(LAYERS[l], 1) * 0.3
rec("X", X)  # (features, m), the model's batch layout
rec("y", Y)
rec("theta", np.concatenate([params[k].ravel() for k in ("W1", "b1", "W2", "b2", "W3", "b3")]))


def relu(z):
    return np.maximum(0, z)


def forward_backward(p, masks=None, keeps=None):
    """Cost (mean cross-entropy) and gradients; masks: dropout on A1 and A2."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = relu(Z1)
    if masks:
        A1 = A1 * masks[0] / keeps[0]
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = relu(Z2)
    if masks:
        A2 = A2 * masks[1] / keeps[1]
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    cost = np.mean(-(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)))
    dZ3 = A3 - Y
    g = {"W3": dZ3 @ A2.T / m, "b3": dZ3.sum(1, keepdims=True) / m}
    dA2 = p["W3"].T @ dZ3
    if masks:
        dA2 = dA2 * masks[1] / keeps[1]
    dZ2 = dA2 * (Z2 > 0)
    g["W2"], g["b2"] = dZ2 @ A1.T / m, dZ2.sum(1, keepdims=True) / m
    dA1 = p["W2"].T @ dZ2
    if masks:
        dA1 = dA1 * masks[0] / keeps[0]
    dZ1 = dA1 * (Z1 > 0)
    g["W1"], g["b1"] = dZ1 @ X.T / m, dZ1.sum(1, keepdims=True) / m
    return cost, g


def penalty(kind, lam, conv, bias, ratio=0.5):
    """Summed penalty and its gradient per tensor, written from the formulas."""
    total, grads = 0.0, {}
    for k, w in params.items():
        if k[0] == "b" and not bias:
            grads[k] = np.zeros_like(w)
            continue
        s = lam / M if conv == "course" else lam
        if kind == "l2":
            if conv == "course":
                pen, g = lam / (2 * M) * np.sum(w ** 2), lam / M * w
            elif conv == "unscaled":
                pen, g = lam / 2 * np.sum(w ** 2), lam * w
            else:  # unhalved: CS231n assignment 1, reg * sum(W * W), gradient 2 reg W
                pen, g = lam * np.sum(w * w), 2 * lam * w
        elif kind == "l1":
            pen, g = s * np.sum(np.abs(w)), s * np.sign(w)
        else:  # elastic_net, scikit-learn's ElasticNet form
            pen = s * (ratio * np.sum(np.abs(w)) + (1 - ratio) / 2 * np.sum(w ** 2))
            g = s * (ratio * np.sign(w) + (1 - ratio) * w)
        total += pen
        grads[k] = g
    return total, grads


def flat(g):
    return np.concatenate([g[k].ravel() for k in ("W1", "b1", "W2", "b2", "W3", "b3")])


cost0, g0 = forward_backward(params)
rec("cost_none", [cost0])
rec("grad_none", flat(g0))
# name, plugin, lambda, convention, include_bias, l1_ratio
CASES = [
    ("l2_course", "l2", 0.7, "course", 0, 0),
    ("l2_unscaled", "l2", 0.7, "unscaled", 0, 0),
    ("l2_unhalved_bias", "l2", 0.3, "unhalved", 1, 0),
    ("l1_course", "l1", 0.2, "course", 0, 0),
    ("l1_unscaled_bias", "l1", 0.05, "unscaled", 1, 0),
    ("en_course", "elastic_net", 0.5, "course", 0, 0.3),
    ("en_unscaled_bias", "elastic_net", 0.1, "unscaled", 1, 0.7),
]
lines.append("# penalty cases: name plugin lambda convention include_bias l1_ratio")
for name, kind, lam, conv, bias, ratio in CASES:
    lines.append("# case %s %s %g %s %d %g" % (name, kind, lam, conv, bias, ratio))
    pen, pg = penalty(kind, lam, conv, bias, ratio)
    rec("pen_" + name, [pen])
    rec("cost_" + name, [cost0 + pen])
    rec("grad_" + name, flat(g0) + flat(pg))

# dropout: per-layer keep probabilities, then one keep_prob (the notebook's 0.86)
for name, keeps in (("dropout_layers", (0.8, 0.6)), ("dropout_086", (0.86, 0.86))):
    np.random.seed(1)
    D1 = np.random.rand(5, M) < keeps[0]
    D2 = np.random.rand(4, M) < keeps[1]
    c, g = forward_backward(params, (D1, D2), keeps)
    rec("mask1_" + name, D1)
    rec("mask2_" + name, D2)
    rec("cost_" + name, [c])
    rec("grad_" + name, flat(g))

# ---- initializers ----------------------------------------------------------------
np.random.seed(3)
dims = [2, 20, 3, 1]
rec("lecun_notebook", np.concatenate([(np.random.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])).ravel()
                                      for l in range(1, 4)]))
np.random.seed(7)
lim = np.sqrt(3.0 / (5 / 2.0))
rec("lecun_uniform_gain2", np.random.uniform(-lim, lim, (4, 5)))
np.random.seed(5)
rec("xavier_normal_gain1.5", np.random.randn(4, 3) * (1.5 * np.sqrt(2.0 / (3 + 4))))
np.random.seed(6)
a = 1.0 * np.sqrt(6.0 / (3 + 4))
rec("xavier_uniform", np.random.uniform(-a, a, (4, 3)))

# ---- planar shapes ------------------------------------------------------------------
sin, cos = np.vectorize(math.sin), np.vectorize(math.cos)


def data(name, Xd, yd):
    rec("data_%s_X" % name, Xd)
    rec("data_%s_y" % name, yd)


np.random.seed(5)
Xb, yb, centers = make_blobs(n_samples=203, centers=4, n_features=2, return_centers=True)
data("blobs_train", Xb, yb)
Xb, yb = make_blobs(n_samples=50, centers=centers, n_features=2)  # test: same centers, stream goes on
data("blobs_test", Xb, yb)
np.random.seed(7)
data("gq", *make_gaussian_quantiles(n_samples=301, n_features=2, n_classes=3))
np.random.seed(8)
data("gq_cov", *make_gaussian_quantiles(n_samples=100, n_features=2, n_classes=2, cov=0.25))

np.random.seed(1)  # course 1 planar_utils.load_planar_dataset
Xf, yf = np.zeros((400, 2)), np.zeros(400)
for j in range(2):
    ix = range(200 * j, 200 * (j + 1))
    t = np.linspace(j * 3.12, (j + 1) * 3.12, 200) + np.random.randn(200) * 0.2
    r = 4 * sin(4 * t) + np.random.randn(200) * 0.2
    Xf[ix] = np.c_[r * sin(t), r * cos(t)]
    yf[ix] = j
data("flower", Xf, yf)

np.random.seed(0)  # CS231n spiral, N = 100 per class, K = 3
Xs, ys = np.zeros((300, 2)), np.zeros(300)
for j in range(3):
    ix = range(100 * j, 100 * (j + 1))
    r = np.linspace(0.0, 1, 100)
    t = np.linspace(j * 4, (j + 1) * 4, 100) + np.random.randn(100) * 0.2
    Xs[ix] = np.c_[r * sin(t), r * cos(t)]
    ys[ix] = j
data("spiral", Xs, ys)


def football(n, noise=0.1, flip=0.05):
    Xg = -0.75 + 1.5 * np.random.rand(n, 2)
    yg = np.zeros(n)
    for i in range(n):
        yg[i] = Xg[i, 1] - 0.6 * Xg[i, 0] - 0.15 * math.sin(5 * Xg[i, 0]) + noise * np.random.randn() > 0
    u = np.random.rand(n)
    for i in range(n):
        if u[i] < flip:
            yg[i] = np.random.randint(2)
    return Xg, yg


np.random.seed(5)
data("football_train", *football(200))
np.random.seed(100)
data("football_test", *football(200))

with open(OUT, "w") as f:
    f.write("# regularizers, initializers and planar shapes: tests/gen_reg_reference.py\n")
    f.write("# numpy %s, scikit-learn %s\n" % (np.__version__, sklearn.__version__))
    f.write("\n".join(lines) + "\n")
print("wrote", OUT)
