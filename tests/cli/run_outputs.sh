#!/usr/bin/env bash
# The run folder: files present, .npy shapes, resolved config reruns to the
# same numbers, exit statuses (0 ok, 1 diverged, 2 bad input with nothing
# written), overrides, nnlab list.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
EXP="$NN_SOURCE_DIR/experiments/init_he.cfg"

"$NN_CMD" run "$EXP" -o "$T/a" -q -s train.epochs=200 > "$T/a.out" || fail "run failed"
grep -q '^train accuracy: ' "$T/a.out" || fail "no train accuracy line"
grep -q '^test accuracy: ' "$T/a.out" || fail "no test accuracy line"
for f in config.cfg metrics.csv summary.json initial_weights/W1.npy weights/W3.npy weights/b3.npy; do
  [ -s "$T/a/$f" ] || fail "missing $f"
done
head -c 80 "$T/a/weights/W1.npy" | grep -q "'shape': (10, 2)" || fail "W1 shape"
head -c 80 "$T/a/weights/b2.npy" | grep -q "'shape': (5,)" || fail "b2 shape"
grep -q '"status": "ok"' "$T/a/summary.json" || fail "status"
[ "$(head -1 "$T/a/metrics.csv")" = "epoch,iteration,loss,train_accuracy,val_accuracy,lr,seconds,val_loss" ] || fail "csv header"
ls "$T/a" | grep -q tmp && fail "temporary files left behind"

# the resolved config reruns to identical numbers
"$NN_CMD" run "$T/a/config.cfg" -o "$T/b" -q > "$T/b.out" || fail "rerun of config.cfg failed"
cmp -s <(cut -d, -f1-6 "$T/a/metrics.csv") <(cut -d, -f1-6 "$T/b/metrics.csv") || fail "rerun differs"
cmp -s "$T/a/weights/W1.npy" "$T/b/weights/W1.npy" || fail "rerun weights differ"

# bad input: exit 2, one message with file:line: key, no run folder
printf 'name="x";\ndata={plugin="planar";};\noptim={plugin="sgd"; lr=0.1; momentum=0.9;};\n' > "$T/bad.cfg"
"$NN_CMD" run "$T/bad.cfg" -o "$T/c" -q 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "bad config exit $rc"
grep -q "bad.cfg:3: optim.momentum: unknown key" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/c" ] && fail "bad config left a run folder"
"$NN_CMD" run "$EXP" -o "$T/d" -q -s 'optim.lr=oops' 2> "$T/err"; [ $? = 2 ] || fail "bad -s exit"
[ -e "$T/d" ] && fail "bad -s left a run folder"

# a model the data or the layer limit refuse: exit 2, file:line: key, no run folder
printf 'name="x";\ndata={plugin="planar"; shape="blobs"; classes=3;};\nmodel={hidden=[4];\n  output="sigmoid";};\n' > "$T/sig.cfg"
"$NN_CMD" run "$T/sig.cfg" -o "$T/g" -q 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "sigmoid with 3 classes: exit $rc"
grep -q "sig.cfg:4: model.output: sigmoid needs 2 classes" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/g" ] && fail "sigmoid with 3 classes left a run folder"
printf 'name="x";\ndata={plugin="planar";};\nmodel={\n  hidden=[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2];};\n' > "$T/deep.cfg"
"$NN_CMD" run "$T/deep.cfg" -o "$T/g" -q 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "16 hidden layers: exit $rc"
grep -q "deep.cfg:4: model.hidden: at most 15 hidden layers" "$T/err" || fail "message: $(cat "$T/err")"

# divergence: exit 1, status diverged, message
printf 'name="div"; seed=4;\ndata={plugin="planar"; shape="moons"; n_train=200; noise=0.3;};\nmodel={hidden=[8];};\ninit={plugin="random"; scale=100.0;};\noptim={plugin="sgd"; lr=1e6;};\ntrain={epochs=300;};\n' > "$T/div.cfg"
"$NN_CMD" run "$T/div.cfg" -o "$T/e" -q 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "diverged exit $rc"
grep -q "diverged" "$T/err" || fail "no divergence message"
grep -q '"status": "diverged"' "$T/e/summary.json" || fail "summary status"

# list
"$NN_CMD" list optim | grep -q '^optim  sgd' || fail "list optim"
"$NN_CMD" list bogus 2>/dev/null; [ $? = 2 ] || fail "list bogus"
# eval refuses weights whose shape does not match the model (b1 in place of W1)
cp -r "$T/a" "$T/w" && cp "$T/w/weights/b1.npy" "$T/w/weights/W1.npy"
"$NN_CMD" eval "$T/w" > /dev/null 2> "$T/err"; [ $? = 2 ] || fail "eval accepted a mis-shaped W1"
grep -q "W1.npy: shape does not match the model, which needs (10, 2)" "$T/err" || fail "shape message: $(cat "$T/err")"
# a model too large to hold is bad input (exit 2, file:line), not out of memory
"$NN_CMD" run "$EXP" -o "$T/huge" -q -s 'model.hidden=[1000000, 1000000]' 2> "$T/err"; [ $? = 2 ] || fail "huge model exit"
grep -q "init_he.cfg:[0-9]*: model.hidden: .*too large" "$T/err" || fail "huge model message: $(cat "$T/err")"
[ -e "$T/huge" ] && fail "huge model left a run folder"

# export: the data plugin's arrays as .npy
"$NN_CMD" export "$EXP" -o "$T/x" > /dev/null || fail "export"
head -c 80 "$T/x/X_train.npy" | grep -q "'descr': '<f8', 'fortran_order': False, 'shape': (300, 2)" || fail "X_train header"
head -c 80 "$T/x/y_test.npy" | grep -q "'descr': '<i4', 'fortran_order': False, 'shape': (100,)" || fail "y_test header"
[ -e "$T/x/X_val.npy" ] && fail "export wrote an empty validation split"
echo "run outputs: all checks passed"
