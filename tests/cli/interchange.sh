#!/usr/bin/env bash
# docs/interchange.md's Python blocks against `nnlab eval`: for a sigmoid run
# (planar circles) and a softmax run (test fixture images), the NumPy block
# prints the same accuracy lines as `nnlab eval` and the same predictions as
# `nnlab eval --predictions`; the PyTorch block (when torch imports) agrees
# with NumPy. summary.json's test_loss equals the mean loss NumPy computes
# from the saved weights (best_weights/ when test_model is "best") on the
# exported test split (tests/cli/lib/test_loss.py), for those two runs and for
# a sigmoid and a softmax run with a validation split and an optimizer with
# an evaluation point; the largest difference is printed, and the same check
# of a summary.json whose test_loss is 1e-10 off must fail. A run without a
# test split has test_loss null, as test_accuracy. Skips (77) without a
# python3 that has NumPy.
set -u
fail() { echo "FAIL: $*"; exit 1; }
PY=""
for p in python3 /usr/bin/python3; do
  if "$p" -c "import numpy" 2> /dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "skipped: no python3 with NumPy"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
DOC="$NN_SOURCE_DIR/docs/interchange.md"
awk '/^```python$/ { n++; on = 1; next } /^```$/ { on = 0 } on && n == 1' "$DOC" > "$T/predict.py"
awk '/^```python$/ { n++; on = 1; next } /^```$/ { on = 0 } on && n == 2' "$DOC" > "$T/torch_part.py"
[ -s "$T/predict.py" ] && [ -s "$T/torch_part.py" ] || fail "no python blocks in $DOC"
HAS_TORCH=0
"$PY" -c "import torch" 2> /dev/null && HAS_TORCH=1

# test_loss RUN DATA: summary.json's test_loss against NumPy's; the check fails
# for a copy of summary.json with test_loss 1e-10 larger
: > "$T/loss_diffs"
test_loss() {
  "$PY" "$NN_SOURCE_DIR/tests/cli/lib/test_loss.py" "$1" "$2" > "$T/tl.out" 2>&1 ||
    fail "test_loss against NumPy: $(cat "$T/tl.out")"
  cat "$T/tl.out" >> "$T/loss_diffs"
  "$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); s["test_loss"] += 1e-10
json.dump(s, open(sys.argv[2], "w"))' "$1/summary.json" "$T/perturbed.json" || fail "perturbed copy"
  "$PY" "$NN_SOURCE_DIR/tests/cli/lib/test_loss.py" "$1" "$2" "$T/perturbed.json" > /dev/null 2>&1 &&
    fail "$1: a test_loss 1e-10 off passed the NumPy check"
  return 0
}

# check RUN [nnlab options...]: run folder RUN already trained
check() {
  local run=$1; shift
  "$NN_CMD" export "$run/config.cfg" -o "$run/data" "$@" > /dev/null || fail "export $run"
  "$NN_CMD" eval "$run" --predictions "$run/data" "$@" > "$run/eval.out" || fail "eval $run"
  "$PY" "$T/predict.py" "$run" "$run/data" > "$run/numpy.out" || fail "numpy block on $run"
  diff <(sed '/^best_weights/,$d' "$run/eval.out") "$run/numpy.out" \
    || fail "$run: NumPy accuracies differ from nnlab eval"
  "$PY" - "$run/data" <<'EOF' || fail "$run: NumPy predictions differ from nnlab eval --predictions"
import glob, os, sys
import numpy as np
d = sys.argv[1]
files = glob.glob(os.path.join(d, "pred_*.npy"))
assert files, "no predictions"
for f in files:
    a, b = np.load(f), np.load(os.path.join(d, "numpy_" + os.path.basename(f)))
    assert a.dtype == np.int32 and a.shape == b.shape and (a == b).all(), f
EOF
  if [ $HAS_TORCH = 1 ]; then
    cat "$T/predict.py" "$T/torch_part.py" > "$T/both.py"
    "$PY" "$T/both.py" "$run" "$run/data" | grep -q '^torch: same predictions' || fail "$run: torch block"
  fi
  test_loss "$run" "$run/data"
}

"$NN_CMD" run "$NN_SOURCE_DIR/experiments/init_he.cfg" -o "$T/sig" -q -s train.epochs=2000 \
  -s output.plots=false > /dev/null || fail "sigmoid run"
check "$T/sig"

cat > "$T/img.cfg" <<'EOF'
name = "tiny_images"; seed = 1;
data = { plugin = "tiny_images"; channels = 1; };
model = { hidden = [12, 6]; activation = "tanh"; };
optim = { plugin = "adam"; lr = 0.01; };
train = { epochs = 15; batch_size = 32; log_every = 5; };
output = { plots = false; };
EOF
"$NN_CMD" run "$T/img.cfg" -o "$T/soft" -q --plugin-path "$NN_FIXTURE_DIR" > /dev/null || fail "softmax run"
grep -q '"output": "softmax"' "$T/soft/summary.json" || fail "softmax run is not softmax"
check "$T/soft" --plugin-path "$NN_FIXTURE_DIR"

# with a validation split the test loss is the best model's, at the optimizer's evaluation point
for out in sigmoid softmax; do
  if [ $out = sigmoid ]; then shape='shape = "moons"; noise = 0.3;'; else shape='shape = "spiral"; classes = 3;'; fi
  cat > "$T/$out.cfg" <<EOF
name = "val_$out"; seed = 5;
data = { plugin = "planar"; $shape n_train = 240; n_val = 80; n_test = 120; };
model = { hidden = [16]; output = "$out"; };
optim = { plugin = "schedule_free_sgd"; lr = 0.5; };
train = { epochs = 30; batch_size = 32; log_every = 1; };
output = { plots = false; };
EOF
  "$NN_CMD" run "$T/$out.cfg" -o "$T/val_$out" -q > /dev/null || fail "$out run with a validation split"
  grep -q '"test_model": "best"' "$T/val_$out/summary.json" || fail "val_$out: test_model is not best"
  "$NN_CMD" export "$T/val_$out/config.cfg" -o "$T/val_$out/data" > /dev/null || fail "export val_$out"
  test_loss "$T/val_$out" "$T/val_$out/data"
done

# no test split: test_loss null, as test_accuracy
"$NN_CMD" run "$NN_SOURCE_DIR/experiments/init_he.cfg" -o "$T/notest" -q -s train.epochs=10 -s data.n_test=0 \
  -s output.plots=false > /dev/null || fail "run without a test split"
grep -q '^  "test_accuracy": null,$' "$T/notest/summary.json" || fail "no test split: test_accuracy is not null"
grep -q '^  "test_loss": null,$' "$T/notest/summary.json" || fail "no test split: test_loss is not null"

sed 's/^/  /' "$T/loss_diffs"
largest=$(sed 's/.* difference //' "$T/loss_diffs" | sort -g | tail -1)
echo "interchange: ok (torch checked: $HAS_TORCH; test_loss of 4 runs against NumPy, largest difference $largest)"
