#!/usr/bin/env bash
# Random search is reproducible from its seed (the same plan twice, another
# seed another plan, the run's trials.csv the plan's values, every value in
# its range); successive halving promotes the right configurations (each
# rung runs exactly the best 1/eta of the one before by its trials.csv rows,
# at eta times the epochs, the last at train.epochs).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/m.cfg" <<'CFG'
name = "m"; seed = 4;
data  = { plugin = "planar"; shape = "moons"; n_train = 100; n_val = 60; n_test = 0; noise = 0.3; seed = 1; };
model = { hidden = [8]; };
optim = { plugin = "adam"; lr = 0.01; };
train = { epochs = 36; batch_size = 20; threads = 1; log_every = 4; };
output = { plots = false; weights = false; };
sweep = { method = "random"; trials = 6; seed = 11; metric = "val_accuracy";
          params = ( { key = "optim.lr"; log_uniform = [1e-4, 0.5]; },
                     { key = "train.batch_size"; int = [5, 50]; },
                     { key = "model.activation"; choice = ( "relu", "tanh", "sigmoid" ); } ); };
CFG
plan() { "$NN_CMD" sweep "$T/m.cfg" --dry-run "$@" | grep '^[0-9a-f]\{10\},' | cut -d, -f1,5-; }
plan > "$T/p1"; plan > "$T/p2"; plan -s sweep.seed=12 > "$T/p3"
[ "$(wc -l < "$T/p1")" = 6 ] || fail "plan: $(cat "$T/p1")"
cmp -s "$T/p1" "$T/p2" || fail "the same seed gave two plans"
[ "$(cut -d, -f2- "$T/p1")" != "$(cut -d, -f2- "$T/p3")" ] || fail "another seed gave the same values"
awk -F, '$2 < 1e-4 || $2 > 0.5 || $3 < 5 || $3 > 50 || $3 != int($3) {exit 1}' "$T/p1" || fail "a value out of range: $(cat "$T/p1")"
"$NN_CMD" sweep "$T/m.cfg" -j 2 -o "$T/r" > /dev/null 2>&1 || fail "random sweep exit $?"
[ "$(tail -n +2 "$T/r/trials.csv" | cut -d, -f1,6-8 | tr -d '"' | sort)" = "$(tr -d '"' < "$T/p1" | sort)" ] \
  || fail "trials.csv is not the plan: $(cat "$T/r/trials.csv")"

# halving: 9 configurations of a grid, eta 3, up to 36 epochs: 9x4 3x12 1x36
sed 's/^sweep = .*/sweep = { method = "halving"; eta = 3; metric = "val_accuracy";/; /key = "train.batch_size"/d; /key = "model.activation"/d' "$T/m.cfg" \
  | sed 's/{ key = "optim.lr"; log_uniform = \[1e-4, 0.5\]; },/{ key = "optim.lr"; values = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]; } ); };/' > "$T/h.cfg"
"$NN_CMD" sweep "$T/h.cfg" --dry-run | grep -q "in rungs of 9x4 3x12 1x36" || fail "rungs: $("$NN_CMD" sweep "$T/h.cfg" --dry-run 2>&1 | head -3)"
"$NN_CMD" sweep "$T/h.cfg" -j 2 -o "$T/h" > "$T/hout" 2> "$T/herr" || fail "halving exit $?: $(cat "$T/herr")"
csv="$T/h/trials.csv"
[ "$(awk -F, '$4 == 4' "$csv" | wc -l)" = 9 ] && [ "$(awk -F, '$4 == 12' "$csv" | wc -l)" = 3 ] \
  && [ "$(awk -F, '$4 == 36' "$csv" | wc -l)" = 1 ] || fail "rung sizes: $(cat "$csv")"
# the configurations of rung k+1 are the best of rung k (val_accuracy is column 8;
# a tie goes to the configuration first in the grid, here the smaller lr)
top() { awk -F, -v e="$1" '$4 == e {print $8 "," $6 "," $2}' "$csv" | sort -t, -k1,1gr -k2,2g | head -"$2" | cut -d, -f3 | sort; }
got() { awk -F, -v e="$1" '$4 == e {print $2}' "$csv" | sort; }
[ "$(top 4 3)" = "$(got 12)" ] || fail "rung 2 runs $(got 12 | tr '\n' ' '), the best of rung 1 are $(top 4 3 | tr '\n' ' ')"
[ "$(top 12 1)" = "$(got 36)" ] || fail "rung 3 runs $(got 36), the best of rung 2 is $(top 12 1)"
# the leaderboard puts the 36-epoch configuration first
grep '^| 1 |' "$T/hout" | grep -q "| 36 |" || fail "leaderboard: $(cat "$T/hout")"
# the bundled sweeps are valid searches (checked, not run)
for e in moons_sweep cifar_features_sweep; do
  "$NN_CMD" sweep "$NN_SOURCE_DIR/experiments/$e.cfg" --dry-run > "$T/$e.plan" 2> "$T/$e.err" \
    || fail "$e.cfg: $(cat "$T/$e.err")"
done
grep -q "12 configurations x 2 seeds = 24 trials" "$T/moons_sweep.plan" || fail "moons_sweep: $(head -1 "$T/moons_sweep.plan")"
grep -q "27x8 9x24 3x72 1x240" "$T/cifar_features_sweep.plan" || fail "cifar_features_sweep: $(head -1 "$T/cifar_features_sweep.plan")"
echo "sweep_methods: ok"
