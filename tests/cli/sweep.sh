#!/usr/bin/env bash
# nnlab sweep: every combination runs (in parallel), the table is ranked, a
# diverged run ranks last, bad grid values are refused before anything runs.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
EXP="$NN_SOURCE_DIR/experiments/init_he.cfg"

printf 'name="sw"; seed=4;\ndata={plugin="planar"; shape="moons"; n_train=200; noise=0.3;};\nmodel={hidden=[8];};\ninit={plugin="random"; scale=1.0;};\noptim={plugin="sgd"; lr=0.1;};\ntrain={epochs=300;};\n' > "$T/sw.cfg"
"$NN_CMD" sweep "$T/sw.cfg" -g optim.lr=0.05,0.5,1e6 -g 'model.hidden=[8],[4]' -s init.scale=100.0 \
  -j 2 -o "$T/s" > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "sweep with a diverged run: exit $rc (want 1): $(cat "$T/err")"
[ "$(ls -d "$T"/s/sw_* | wc -l)" = 6 ] || fail "expected 6 run folders"
for f in sweep.md compare.png compare.md sw_000/summary.json sw_005/run.log; do
  [ -s "$T/s/$f" ] || fail "missing $f"
done
grep -q "^ranked by training accuracy" "$T/out" || fail "ranking line"
[ "$(grep -c '^| sw_' "$T/s/sweep.md")" = 6 ] || fail "sweep.md rows"
# accuracies of the ok runs are in decreasing order
grep '^| sw_' "$T/out" | grep '| ok |' | awk -F'|' '{print $6}' > "$T/acc"
sort -r -g "$T/acc" | cmp -s - "$T/acc" || fail "not ranked: $(cat "$T/acc")"
grep '| 1e6 |' "$T/out" | grep -q "| diverged |" || fail "lr 1e6 did not diverge: $(cat "$T/out")"
# a diverged or failed run is listed after every ok run
last_ok=$(grep -n '| ok |' "$T/out" | tail -1 | cut -d: -f1)
first_bad=$(grep -n '^| sw_' "$T/out" | grep -v '| ok |' | head -1 | cut -d: -f1)
[ -z "$first_bad" ] || [ "$first_bad" -gt "$last_ok" ] || fail "a failed run ranks above an ok one"

# a bad value in the grid: exit 2, message, nothing written
"$NN_CMD" sweep "$EXP" -g optim.lr=0.1,oops -o "$T/bad" 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "bad grid exit $rc"
grep -q "optim.lr" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/bad" ] && fail "bad grid left a folder"
"$NN_CMD" sweep "$EXP" -o "$T/none" 2> /dev/null; [ $? = 2 ] || fail "no grid accepted"
# all runs fine: exit 0; a run whose data file is missing: exit 2
"$NN_CMD" sweep "$T/sw.cfg" -g optim.lr=0.05,0.1 -s train.epochs=20 -o "$T/fine" > /dev/null 2>&1 || fail "ok sweep exit $?"
printf 'name="nf"; data={plugin="npy"; x_train="missing.npy"; y_train="missing_y.npy";};\n' > "$T/nf.cfg"
"$NN_CMD" sweep "$T/nf.cfg" -g optim.lr=0.05,0.1 -o "$T/nf" > /dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "sweep over missing data: exit $rc (want 2)"
echo "sweep: ok"
