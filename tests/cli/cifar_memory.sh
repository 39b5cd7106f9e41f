#!/usr/bin/env bash
# Issue 14's memory bound: experiments/cifar_features_he_adam.cfg at its full
# size (49,000 training, 1,000 validation and 1,000 test images of a
# CIFAR-10-format folder written here: 60,000 records of random pixels)
# stays within its data plus 64 MiB. Its data: the feature matrices X of
# the three splits (51,000 x 154 reals), their labels and the validation and
# test images kept for plots; the training images are not kept (their
# features come from windows of them). summary.json's peak_rss_mib is the
# process's peak resident memory. Skipped in a sanitizer build (its shadow
# memory is not the program's). The double build's reals: 8 bytes.
set -u
fail() { echo "FAIL: $*"; exit 1; }
if grep -q '^NN_SANITIZE:STRING=.\+' "$NN_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  echo "skipped: a sanitizer build's resident memory is not the program's"; exit 77
fi
command -v perl > /dev/null || { echo "skipped: perl is needed to write the labels"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
C="$T/cifar-10-batches-bin"
mkdir -p "$C"
# 10,000 records of random bytes, then label byte k % 10 in record k
batch() {
  head -c $((10000 * 3073)) /dev/urandom > "$1"
  perl -e 'open(my $f, "+<", $ARGV[0]) or die; binmode $f;
           for my $k (0 .. 9999) { seek($f, $k * 3073, 0); print $f chr($k % 10); }' "$1"
}
for b in 1 2 3 4 5; do batch "$C/data_batch_$b.bin"; done
batch "$C/test_batch.bin"
printf '%s\n' airplane automobile bird cat deer dog frog horse ship truck > "$C/batches.meta.txt"

R="$T/run"
"$NN_CMD" run "$NN_SOURCE_DIR/experiments/cifar_features_he_adam.cfg" -o "$R" -q \
  -s "data.path=\"$C\"" -s data.cache=false -s train.epochs=1 -s train.threads=1 \
  -s output.plots=false > "$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -q '"status": "ok"' "$R/summary.json" || fail "status: $(cat "$R/summary.json")"
grep -q '"layers": \[154, 512, 512, 10\]' "$R/summary.json" || fail "layers"
peak=$(sed -n 's/.*"peak_rss_mib": \([0-9.]*\).*/\1/p' "$R/summary.json")
[ -n "$peak" ] || fail "no peak_rss_mib in summary.json"
awk -v peak="$peak" -v r=8 'BEGIN {
  mib = 1048576
  x = 51000 * 154 * r; y = 51000 * 4; img = 2000 * 3072
  data = (x + y + img) / mib; limit = data + 64
  printf "peak resident memory %.1f MiB; data %.1f MiB (X %.1f, labels %.1f, val/test images %.1f); limit %.1f MiB\n", peak, data, x / mib, y / mib, img / mib, limit
  exit !(peak <= limit) }' || fail "peak resident memory above the data plus 64 MiB"
echo "ok: the CIFAR features experiment within its data plus 64 MiB"
