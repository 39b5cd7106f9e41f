#!/usr/bin/env bash
# experiments/fashion_features.cfg and fashion_pixels.cfg on a subset of the
# real Fashion-MNIST files (Debian package dataset-fashion-mnist): 2000
# training, 500 validation and 2000 test images, 5 epochs each. Checks exit 0,
# status "ok", test accuracy of at least 0.70 (chance is 0.10; these subsets
# give about 0.80), the run folder (config, metrics, summary, weights, plots
# with the misclassified images) and that the feature cache went to
# $XDG_CACHE_HOME, not into the read-only data folder.
#
# Skipped (exit 77) when the data are absent; NN_FASHION_DIR names another
# folder holding the four .gz files.
set -u
D="${NN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
         t10k-labels-idx1-ubyte.gz; do
  if [ ! -f "$D/$f" ]; then
    echo "SKIPPED: Fashion-MNIST not found ($D/$f missing; apt-get install dataset-fashion-mnist)"
    exit 77
  fi
done
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME="$T/cache"

for name in fashion_features fashion_pixels; do
  exp="$NN_SOURCE_DIR/experiments/$name.cfg"
  [ -f "$exp" ] || fail "missing $exp"
  R="$T/$name"
  "$NN_CMD" run "$exp" -o "$R" -q -s "data.path=\"$D\"" \
    -s data.num_training=2000 -s data.num_validation=500 -s data.num_test=2000 \
    -s train.epochs=5 -s train.log_every=1 -s train.threads=2 > "$T/$name.out" 2>&1 \
    || fail "$name: $(cat "$T/$name.out")"
  for f in config.cfg metrics.csv summary.json initial_weights/W1.npy weights/W1.npy \
           best_weights/W1.npy loss.png accuracy.png misclassified.png; do
    [ -s "$R/$f" ] || fail "$name: missing $f"
  done
  ls "$R" | grep -q '\.tmp' && fail "$name: temporary files left behind"
  grep -q '"status": "ok"' "$R/summary.json" || fail "$name: status"
  [ "$(grep -c '^[0-9]' "$R/metrics.csv")" = 5 ] || fail "$name: metrics.csv should have 5 rows"
  acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' "$T/$name.out")
  [ -n "$acc" ] || fail "$name: no test accuracy line in $(cat "$T/$name.out")"
  awk -v a="$acc" 'BEGIN { exit !(a >= 0.70) }' || fail "$name: test accuracy $acc < 0.70"
  echo "$name: test accuracy $acc on 2000 images after 5 epochs on 2000"
done
ls "$XDG_CACHE_HOME"/nnlab/*.cache > /dev/null 2>&1 || fail "no feature cache in \$XDG_CACHE_HOME/nnlab"
echo "ok"
