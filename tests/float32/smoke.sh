#!/usr/bin/env bash
# Smoke test of the float build (cmake -DNN_FLOAT32=ON), its only test: the
# double build's reference tests compare with double-precision references.
# Trains networks in float and checks that they learn, that weights are
# written as float32 .npy, that nnlab bench computes in f32 and refuses f64,
# that a plugin built for double is refused, and that nnlab check's
# conformance and gradient checks work in float: every shipped plugin and
# experiment passes them, and the fixtures with a wrong gradient fail them.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# a softmax net on the synthetic teacher data: accuracy well above chance (0.2)
cat > "$T/syn.cfg" <<'EOF'
name = "f32_synthetic"; seed = 1;
data  = { plugin = "synthetic"; features = 20; classes = 5; n_train = 4000; n_val = 500;
          n_test = 1000; noise = 0.2; };
model = { hidden = [64, 32]; activation = "tanh"; output = "softmax"; };
init  = { plugin = "he"; seed = 2; };
optim = { plugin = "adam"; lr = 0.003; };
reg   = ( { plugin = "dropout"; keep_prob = 0.9; } );
train = { epochs = 15; batch_size = 100; log_every = 5; };
output = { plots = false; };
EOF
"$NN_CMD" run "$T/syn.cfg" -q -o "$T/syn" > "$T/syn.out" || fail "synthetic run failed: $(cat "$T/syn.out")"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' "$T/syn.out")
echo "synthetic softmax net, float: test accuracy $acc"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.7) }' || fail "test accuracy $acc < 0.7"
head -c 80 "$T/syn/weights/W1.npy" | grep -q "'descr': '<f4'" || fail "weights not float32 .npy"

# the moons notebook net (sigmoid output, mini-batches)
"$NN_CMD" run "$NN_SOURCE_DIR/experiments/optim_adam.cfg" -q -o "$T/moons" -s train.epochs=2000 \
  > "$T/moons.out" || fail "moons run failed"
acc=$(sed -n 's/^train accuracy: \([0-9.]*\).*/\1/p' "$T/moons.out")
echo "moons 2-5-2-1 net, float: train accuracy $acc"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.85) }' || fail "moons train accuracy $acc < 0.85"

# nnlab bench computes in f32 here and refuses f64
"$NN_CMD" bench --layers 20,64,5 --examples 2000 --batch 100 --epochs 2 --peak-size 64 --json \
  > "$T/bench.json" || fail "bench failed"
grep -q '"precision": "f32"' "$T/bench.json" || fail "bench precision: $(cat "$T/bench.json")"
"$NN_CMD" bench --precision f64 --peak-size 0 2> "$T/bench.err"; rc=$?
[ $rc = 2 ] || fail "bench --precision f64 exit $rc"
grep -q "computes in f32" "$T/bench.err" || fail "bench f64 message: $(cat "$T/bench.err")"

# a plugin built for double is refused
"$NN_CMD" check "$NN_FIXTURE_DIR/optim/wrong_real_size.so" > "$T/check.out" 2>&1
grep -q "built for a 8-byte nn_real, this nnlab uses 4 bytes" "$T/check.out" \
  || fail "double plugin not refused: $(cat "$T/check.out")"

# nnlab check in float: the float step (1e-3) and tolerance (1e-3) of
# core/engine/gradcheck.h and core/check/check.h pass every shipped plugin...
"$NN_CMD" check > "$T/all.out" 2>&1 || fail "nnlab check failed: $(grep '^FAIL' "$T/all.out")"
tail -n 1 "$T/all.out"
grep -q "^nnlab check: [0-9]* passed, 0 failed" "$T/all.out" || fail "nnlab check: $(tail -n 1 "$T/all.out")"
# ...and still fail a penalty gradient doubled and an activation backward
# pass doubled (both checks of each plugin, with the difference printed)
for f in grad_x2 wrong_backward; do
  "$NN_CMD" check "$NN_FIXTURE_DIR/reg/$f.so" > "$T/$f.out" 2>&1 && fail "reg/$f passed nnlab check"
  n=$(grep -c "^FAIL reg/$f .*difference .* > 0.001\|^FAIL reg/$f .*) > 0.001" "$T/$f.out")
  grep "^FAIL" "$T/$f.out" | cut -c1-120
  [ "$n" = 2 ] || fail "reg/$f: $n of its 2 gradient checks failed: $(cat "$T/$f.out")"
done
# the optimizer fixtures get the same verdicts as in the double build
# (tests/cli/check.sh): each broken one fails, the correct layer-wise rule
# (trust_ratio) and crash (which crashes only with crash = true) pass
for f in "$NN_FIXTURE_DIR"/optim/*.so; do
  b=$(basename "$f" .so)
  "$NN_CMD" check --timeout 1 "$f" > "$T/o.out" 2>&1; rc=$?
  case $b in trust_ratio|crash) want=0 ;; *) want=1 ;; esac
  [ $rc = $want ] || fail "optim/$b: nnlab check exit $rc, want $want: $(tail -n 1 "$T/o.out")"
done
echo "optimizer fixtures: $(ls "$NN_FIXTURE_DIR"/optim/*.so | wc -l) with the double build's verdicts"
echo "PASS"
