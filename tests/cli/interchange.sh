#!/usr/bin/env bash
# docs/interchange.md's Python blocks against `nnlab eval`: for a sigmoid run
# (planar circles) and a softmax run (test fixture images), the NumPy block
# prints the same accuracy lines as `nnlab eval` and the same predictions as
# `nnlab eval --predictions`; the PyTorch block (when torch imports) agrees
# with NumPy. Skips (77) without a python3 that has NumPy.
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
echo "interchange: ok (torch checked: $HAS_TORCH)"
