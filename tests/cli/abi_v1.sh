#!/usr/bin/env bash
# A true ABI-1 plugin binary (tests/fixtures/abi1/sgd_v1.so, built against the
# frozen ABI-1 header with a three-field nn_optim_ops) still loads on this
# nnlab, passes nnlab check, and trains an experiment (mini-batches, weight
# decay, dropout, L2, validation and best model) to exactly the numbers,
# weights and best weights of the in-tree sgd. A plugin claiming an ABI newer
# than this nnlab's is refused with a message saying so.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
V1="$NN_FIXTURE_DIR/abi1/sgd_v1.so"
[ -f "$V1" ] || fail "fixture $V1 not built"

# it is a v1 binary: abi_version 1 in the descriptor (nnlab list shows it)
"$NN_CMD" list --plugin-path "$NN_FIXTURE_DIR/abi1" optim > "$T/list" 2>&1 || { cat "$T/list"; fail "list"; }
grep -q 'sgd_v1' "$T/list" || { cat "$T/list"; fail "list does not show sgd_v1"; }

"$NN_CMD" check "$V1" > "$T/check" 2>&1; rc=$?
[ $rc = 0 ] || { cat "$T/check"; fail "nnlab check sgd_v1: exit $rc"; }
grep -c '^PASS' "$T/check" | sed 's/^/  sgd_v1: PASS lines: /'

cat > "$T/exp.cfg" <<'CFG'
name = "abi_v1"; seed = 7;
data = { plugin = "planar"; shape = "moons"; n_train = 240; n_val = 80; n_test = 80; noise = 0.25; };
model = { hidden = [12, 6]; };
init = { plugin = "he"; };
optim = { plugin = "sgd"; lr = 0.3; weight_decay = 0.001; };
reg = ( { plugin = "dropout"; keep_prob = 0.9; }, { plugin = "l2"; lambda = 0.01; } );
train = { epochs = 60; batch_size = 32; log_every = 5; val_every = 1; };
CFG
"$NN_CMD" run "$T/exp.cfg" -q -o "$T/new" > "$T/new.out" || fail "sgd run failed"
"$NN_CMD" run "$T/exp.cfg" -q -o "$T/old" --plugin-path "$NN_FIXTURE_DIR/abi1" \
  -s 'optim.plugin="sgd_v1"' > "$T/old.out" || fail "sgd_v1 run failed"
cmp -s "$T/new.out" "$T/old.out" || { diff "$T/new.out" "$T/old.out"; fail "printed results differ"; }
cmp -s <(cut -d, -f1-6,8 "$T/new/metrics.csv") <(cut -d, -f1-6,8 "$T/old/metrics.csv") \
  || fail "metrics.csv differs"
strip() { grep -v '"seconds"\|"examples_per_second"\|"peak_rss_mib"\|"plugin": "sgd' "$1"; }
cmp -s <(strip "$T/new/summary.json") <(strip "$T/old/summary.json") \
  || { diff <(strip "$T/new/summary.json") <(strip "$T/old/summary.json"); fail "summary.json differs"; }
n=0
for w in "$T"/new/weights/*.npy "$T"/new/best_weights/*.npy; do
  cmp -s "$w" "${w/\/new\//\/old\/}" || fail "$(basename "$(dirname "$w")")/$(basename "$w") differs"
  n=$((n + 1))
done
[ $n = 12 ] || fail "expected 12 weight files, compared $n"
echo "  sgd_v1 and sgd: $(grep -c . "$T/new/metrics.csv") metrics rows, summary and $n weight files identical"
sed -n 's/^/  /p' "$T/new.out"

# newer than this nnlab: refused, saying so
"$NN_CMD" check "$NN_FIXTURE_DIR/optim/wrong_abi.so" > "$T/abi" 2>&1
grep -qF "ABI version 99 is newer than this nnlab's ABI" "$T/abi" || { cat "$T/abi"; fail "wrong_abi message"; }
echo "  wrong_abi: $(grep -o "ABI version 99 is newer[^(]*" "$T/abi" | head -1)"
exit 0
