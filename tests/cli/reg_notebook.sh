#!/usr/bin/env bash
# Exact reproduction of the regularization notebook (seed report 2.4) on its own
# data set: layers [2,20,3,1], ReLU, sigmoid, lr 0.3, 30000 full-batch
# iterations, lecun init with seed 3; no regularization, l2 lambda 0.7, and
# dropout keep_prob 0.86 in notebook mode. Checks train/test accuracies and the
# cost every 1000 iterations against ../shared/reference/reg_notebook_results.json
# (1e-9 relative), and reports the final parameters' largest difference.
#
# The data (football.json, the course's data.mat) must not ship with the
# project: this test runs only where ../shared/reference exists next to the
# source tree, and exits 77 (CTest: skipped) otherwise.
set -u
REF="${NN_REFERENCE_DIR:-$NN_SOURCE_DIR/../shared/reference}"
PY=/usr/bin/python3
if [ ! -f "$REF/football.json" ] || [ ! -f "$REF/reg_notebook_results.json" ]; then
  echo "SKIPPED: ../shared/reference not present ($REF)"
  exit 77
fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "SKIPPED: $PY with NumPy not available (needed to convert football.json)"
  exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

"$PY" "$NN_SOURCE_DIR/tests/gen_football_npy.py" "$REF/football.json" "$T" || fail "conversion failed"
for v in none l2 dropout; do
  case $v in
    none) R='( )' ;;
    l2) R='( { plugin = "l2"; lambda = 0.7; } )' ;;
    dropout) R='( { plugin = "dropout"; keep_prob = 0.86; notebook = true; } )' ;;
  esac
  cat > "$T/$v.cfg" <<EOF
name = "notebook_$v";
data  = { plugin = "npy"; x_train = "x_train.npy"; y_train = "y_train.npy";
          x_test = "x_test.npy"; y_test = "y_test.npy"; };
model = { hidden = [20, 3]; activation = "relu"; output = "sigmoid"; };
init  = { plugin = "lecun"; seed = 3; };
optim = { plugin = "sgd"; lr = 0.3; };
reg   = $R;
train = { epochs = 30000; batch_size = 0; log_every = 1000; threads = 1; };
output = { plots = false; };
EOF
  "$NN_CMD" run "$T/$v.cfg" -o "$T/run_$v" -q > "$T/$v.out" || fail "run $v failed: $(cat "$T/$v.out")"
done

"$PY" - "$REF/reg_notebook_results.json" "$T" <<'EOF' || fail "mismatch with the notebook"
import csv, json, os, sys
import numpy as np

ref = json.load(open(sys.argv[1]))["runs"]
ok = True
for name, key in [("none", "no_regularization"), ("l2", "L2_lambd_0.7"),
                  ("dropout", "dropout_keep_prob_0.86")]:
    run = os.path.join(sys.argv[2], "run_" + name)
    r = ref[key]
    s = json.load(open(os.path.join(run, "summary.json")))
    acc = (s["train_accuracy"], s["test_accuracy"])
    want = (r["train_accuracy"], r["test_accuracy"])
    acc_ok = all(abs(a - b) < 1e-12 for a, b in zip(acc, want))
    loss = {int(row["iteration"]): float(row["loss"])
            for row in csv.DictReader(open(os.path.join(run, "metrics.csv")))}
    worst, where = 0.0, None
    for it, c in r["cost_every_1000"]:
        if it not in loss:
            print("%s: no logged loss at iteration %d" % (name, it))
            ok = False
            continue
        d = abs(loss[it] - c) / abs(c)
        if d >= worst:
            worst, where = d, it
    pw, pwhere = 0.0, None
    for t, v in r["final_parameters"].items():
        a = np.load(os.path.join(run, "weights", t + ".npy")).reshape(np.shape(v))
        d = np.max(np.abs(a - np.array(v))) / np.max(np.abs(v))
        if d >= pw:
            pw, pwhere = d, t
    good = acc_ok and worst < 1e-9
    ok = ok and good
    print("%-8s train %.4f test %.4f (notebook %.4f / %.4f)  cost: largest relative "
          "difference %.3g at iteration %s  final parameters: %.3g (%s)  %s"
          % (name, acc[0], acc[1], want[0], want[1], worst, where, pw, pwhere,
             "ok" if good else "MISMATCH"))
sys.exit(0 if ok else 1)
EOF
echo "PASS"
