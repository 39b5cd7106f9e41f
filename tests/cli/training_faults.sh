#!/usr/bin/env bash
# Training faults. A run whose loss or parameters become non-finite stops
# with status "diverged", exit 1, naming the layer and the tensor (or the
# layer's activations) of the first non-finite value, and keeps the best
# model so far in best_weights/. A plugin that crashes during nnlab run is
# named with its kind and the signal, and the process dies of that signal.
# Plugins: the current folder is never searched implicitly (a plugin there
# is not found by its name, nor by "x.so"), a plugin file or folder writable
# by every user is refused with a message (a sticky folder such as /tmp is
# fine).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'chmod -R u+w "$T" 2> /dev/null; rm -rf "$T"' EXIT
cat > "$T/e.cfg" <<'EOF'
name = "faults"; seed = 5;
data  = { plugin = "synthetic"; features = 4; classes = 3; n_train = 120; n_val = 40; n_test = 30; };
model = { hidden = [30, 30]; activation = "relu"; };
init  = { plugin = "he"; };
optim = { plugin = "sgd"; lr = 3000.0; };
reg   = ( { plugin = "dropout"; keep_prob = 0.8; } );
train = { epochs = 300; batch_size = 16; log_every = 1; checkpoint_every = 2; };
output = { plots = false; };
EOF
# diverged: in the forward pass
"$NN_CMD" run "$T/e.cfg" -q -o "$T/div" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "diverging run: exit $rc: $(cat "$T/err")"
grep -q '"status": "diverged"' "$T/div/summary.json" || fail "status is not diverged"
for w in "training diverged at epoch" "first non-finite value: layer " "(hidden)" "of example"; do
  grep -qF -- "$w" "$T/err" || fail "diverged message lacks '$w': $(cat "$T/err")"
  grep -qF -- "$w" "$T/div/summary.json" || fail "summary.json error lacks '$w'"
done
[ -f "$T/div/best_weights/W1.npy" ] || fail "no best_weights/ kept after divergence"
grep -q '"best_epoch"' "$T/div/summary.json" || fail "no best_epoch in summary.json"
[ ! -e "$T/div/checkpoint" ] || fail "a diverged (finished) run kept its checkpoint"
# diverged: a parameter, named as a tensor of a layer (the row_nan fixture
# gives NaN weights for a one-row matrix), and the weight penalties
"$NN_CMD" run "$T/e.cfg" -q -o "$T/div2" --plugin-path "$NN_FIXTURE_DIR" -s 'model.hidden=[1]' \
  -s 'optim.plugin="row_nan"' -s optim.lr=0.1 > /dev/null 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "row_nan run: exit $rc: $(cat "$T/err")"
grep -qF "a parameter became non-finite in the step of optimizer 'row_nan'" "$T/err" &&
  grep -qE "first non-finite value: layer 1, tensor W1 \(weights\) at \[0, 0\] = -?nan" "$T/err" ||
  fail "no layer and tensor named: $(cat "$T/err")"
"$NN_CMD" run "$T/e.cfg" -q -o "$T/div3" -s 'model.hidden=[]' -s optim.lr=1e5 \
  -s 'reg=({ plugin = "l2"; lambda = 1.0; })' > /dev/null 2> "$T/err"; rc=$?
[ $rc = 1 ] && grep -qF "first non-finite value: the weight penalties" "$T/err" ||
  fail "penalty divergence: exit $rc: $(cat "$T/err")"

# a crashing plugin: named, with the signal; the process dies of it
F="$NN_FIXTURE_DIR"
"$NN_CMD" run "$T/e.cfg" -q -o "$T/crash" --plugin-path "$F" -s 'optim.plugin="crash"' \
  -s optim.crash=true -s optim.lr=0.01 > /dev/null 2> "$T/err"; rc=$?
[ $rc = 139 ] || fail "crashing plugin: exit $rc (expected death by SIGSEGV, 139): $(cat "$T/err")"
for w in "plugin 'crash' (optim) crashed with SIGSEGV" "epoch 0, iteration 0"; do
  grep -qF -- "$w" "$T/err" || fail "crash message lacks '$w': $(cat "$T/err")"
done
[ ! -e "$T/crash/summary.json" ] || fail "summary.json written by a crashed run"

# plugins writable by others are refused; a sticky folder is fine
mkdir -p "$T/pl"
cp "$F/optim/crash.so" "$T/pl/"
chmod 755 "$T/pl"; chmod 757 "$T/pl/crash.so"
run_pl() { "$NN_CMD" run "$T/e.cfg" -q -o "$T/pl_run" --force --plugin-path "$T/pl" \
  -s 'optim.plugin="crash"' -s optim.lr=0.01 -s train.epochs=2 > /dev/null 2> "$T/err"; }
run_pl; rc=$?
[ $rc = 2 ] && grep -qF "crash.so: refused: the plugin file is writable by every user (mode 0757)" "$T/err" ||
  fail "world-writable plugin file: exit $rc: $(cat "$T/err")"
chmod 755 "$T/pl/crash.so"; chmod 777 "$T/pl"
run_pl; rc=$?
[ $rc = 2 ] && grep -qF "refused: its folder $T/pl is writable by every user" "$T/err" ||
  fail "world-writable plugin folder: exit $rc: $(cat "$T/err")"
chmod 1777 "$T/pl"
run_pl || fail "plugin in a sticky folder refused: $(cat "$T/err")"
chmod 755 "$T/pl"
run_pl || fail "plugin in a private folder refused: $(cat "$T/err")"

# the current folder is not searched: a plugin there is not found
mkdir -p "$T/cwd" && cp "$F/optim/crash.so" "$T/cwd/"
(cd "$T/cwd" && NNLAB_PLUGIN_PATH=":" "$NN_CMD" run "$T/e.cfg" -q -o "$T/cwd_run" \
  -s 'optim.plugin="crash"' -s train.epochs=2 > /dev/null 2> "$T/err"); rc=$?
[ $rc = 2 ] && grep -qF "optim.plugin" "$T/err" || fail "a plugin in the current folder was used: exit $rc: $(cat "$T/err")"
(cd "$T/cwd" && NNLAB_PLUGIN_PATH=":" "$NN_CMD" run "$T/e.cfg" -q -o "$T/cwd_run" \
  -s 'optim.plugin="crash.so"' -s train.epochs=2 > /dev/null 2> "$T/err"); rc=$?
[ $rc = 2 ] && grep -qF "optim.plugin" "$T/err" || fail "plugin = \"crash.so\" loaded from the current folder: exit $rc"
echo "training faults: ok"
