#!/usr/bin/env bash
# experiments/cifar_features_sgd.cfg and cifar_features_he_adam.cfg load and
# run: on a small CIFAR-10-format folder written here (the binary version's
# files: 1 label byte + 3072 random pixel bytes per record, 40 records per
# data batch, 50 in test_batch.bin, batches.meta.txt), one epoch each with
# the experiment's own model, init, optimizer, schedule and regularizer.
# Checks exit status 0, status "ok", the layer sizes (154 = 144 HOG + 10 hue
# features, no bias column) and the run folder's files.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
C="$T/cifar-10-batches-bin"
mkdir -p "$C"

# n records starting at label offset k: label (k + i) % 10, random pixels
records() {
  local n=$1 k=$2 i
  for ((i = 0; i < n; i++)); do
    printf "\\$(printf %03o $(((k + i) % 10)))"
    head -c 3072 /dev/urandom
  done
}
for b in 1 2 3 4 5; do records 40 "$b" > "$C/data_batch_$b.bin"; done
records 50 0 > "$C/test_batch.bin"
printf '%s\n' airplane automobile bird cat deer dog frog horse ship truck > "$C/batches.meta.txt"
[ "$(stat -c %s "$C/data_batch_1.bin")" = $((40 * 3073)) ] || fail "fake batch has the wrong size"

for e in sgd:500 he_adam:512; do
  name=${e%%:*} h=${e##*:}
  exp="$NN_SOURCE_DIR/experiments/cifar_features_$name.cfg"
  [ -f "$exp" ] || fail "missing $exp"
  "$NN_CMD" run "$exp" -o "$T/run_$name" -q -s "data.path=\"$C\"" \
    -s data.num_training=150 -s data.num_validation=50 -s data.num_test=50 \
    -s train.epochs=1 -s train.threads=1 -s output.plots=false > "$T/$name.out" 2>&1 \
    || fail "cifar_features_$name: $(cat "$T/$name.out")"
  R="$T/run_$name"
  for f in config.cfg metrics.csv summary.json weights/W3.npy best_weights/W3.npy; do
    [ -s "$R/$f" ] || fail "cifar_features_$name: missing $f"
  done
  grep -q '"status": "ok"' "$R/summary.json" || fail "cifar_features_$name: status"
  grep -q "\"layers\": \[154, $h, $h, 10\]" "$R/summary.json" \
    || fail "cifar_features_$name: layers $(grep '"layers"' "$R/summary.json")"
  grep -q '^test accuracy: ' "$T/$name.out" || fail "cifar_features_$name: no test accuracy line"
done
echo "ok: both CIFAR experiments run on a CIFAR-format folder"
