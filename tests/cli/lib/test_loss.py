# test_loss.py RUN DATA [SUMMARY]: the test loss of a run folder computed with
# NumPy from its saved weights (best_weights/ when summary.json's test_model is
# "best", else weights/) on the exported test split DATA/X_test.npy,
# y_test.npy, against summary.json's test_loss (or SUMMARY's, a changed copy).
# Prints both and their difference; exit 1 when it is above 1e-12 (1 + |loss|)
# or when the weights do not give the summary's test accuracy (wrong weights).
# Used by tests/cli/interchange.sh.
import json
import os
import sys

import numpy as np

run, data = sys.argv[1], sys.argv[2]
s = json.load(open(sys.argv[3] if len(sys.argv) > 3 else os.path.join(run, "summary.json")))
wdir = os.path.join(run, "best_weights" if s["test_model"] == "best" else "weights")
n = len(s["layers"]) - 1
W = [np.load(os.path.join(wdir, f"W{l}.npy")) for l in range(1, n + 1)]
b = [np.load(os.path.join(wdir, f"b{l}.npy")) for l in range(1, n + 1)]
slope = s["leaky_slope"]
act = {"relu": lambda z: np.maximum(z, 0), "leaky_relu": lambda z: np.where(z > 0, z, slope * z),
       "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[s["activation"]]
X, y = np.load(os.path.join(data, "X_test.npy")), np.load(os.path.join(data, "y_test.npy"))
A = X
for l in range(n - 1):
    A = act(A @ W[l].T + b[l])
Z = A @ W[-1].T + b[-1]
if s["output"] == "sigmoid":  # -log sigmoid(z) when y = 1, -log(1 - sigmoid(z)) when y = 0
    z = Z[:, 0]
    loss = np.mean(np.logaddexp(0, z) - y * z)
    pred = z > 0
else:  # -log softmax(z)_y
    mx = Z.max(axis=1)
    lse = mx + np.log(np.exp(Z - mx[:, None]).sum(axis=1))
    loss = np.mean(lse - Z[np.arange(len(y)), y])
    pred = Z.argmax(axis=1)
acc = np.mean(pred == y)
if acc != s["test_accuracy"]:
    sys.exit(f"{run}: test_accuracy {s['test_accuracy']}, the weights of {wdir} give {acc}")
d = abs(s["test_loss"] - loss)
print(f"{os.path.basename(run)} ({s['output']}, {s['test_model']} weights): test_loss {s['test_loss']:.17g} "
      f"numpy {loss:.17g} difference {d:.3g}")
sys.exit(0 if d <= 1e-12 * (1 + abs(loss)) else 1)
