#!/usr/bin/env bash
# Several processes on one sweep folder: two --shard processes (and two
# SLURM job array tasks) started together run every trial exactly once
# between them, each its share first, sharing the claims and trials.csv;
# bad shard settings are refused.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
cat > "$T/sh.cfg" <<'CFG'
name = "sh"; seed = 4;
data  = { plugin = "planar"; shape = "moons"; n_train = 100; n_val = 50; n_test = 0; noise = 0.3; seed = 1; };
model = { hidden = [8]; };
optim = { plugin = "sgd"; lr = 0.3; };
train = { epochs = 2000; threads = 1; log_every = 500; };
output = { plots = false; weights = false; };
sweep = { params = ( { key = "optim.lr"; values = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]; },
                     { key = "model.hidden"; values = ([4], [8]); } ); };
CFG
ran() { grep -c "done, .* running" "$1"; }
once() { # DIR: 12 rows, 12 distinct trials, no claim left
  [ "$(tail -n +2 "$1/trials.csv" | wc -l)" = 12 ] || fail "$1: rows $(cat "$1/trials.csv")"
  [ "$(tail -n +2 "$1/trials.csv" | cut -d, -f1 | sort -u | wc -l)" = 12 ] || fail "$1: a trial twice"
  [ -z "$(ls "$1/claims")" ] || fail "$1: claims left"
}
"$NN_CMD" sweep "$T/sh.cfg" --shard 1/2 -j 1 -o "$T/s" > /dev/null 2> "$T/e1" & p1=$!
"$NN_CMD" sweep "$T/sh.cfg" --shard 2/2 -j 1 -o "$T/s" > /dev/null 2> "$T/e2" & p2=$!
wait $p1 || fail "shard 1 exit $?: $(cat "$T/e1")"
wait $p2 || fail "shard 2 exit $?: $(cat "$T/e2")"
once "$T/s"
n1=$(ran "$T/e1"); n2=$(ran "$T/e2")
[ $((n1 + n2)) = 12 ] || fail "the shards ran $n1 + $n2 trials, want 12 in all"
[ "$n1" -ge 3 ] && [ "$n2" -ge 3 ] || fail "one shard did (nearly) nothing: $n1, $n2"
# a SLURM job array of two tasks (ids 5 and 6)
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_COUNT=2 \
  "$NN_CMD" sweep "$T/sh.cfg" -j 1 -o "$T/j" > /dev/null 2> "$T/j1" & p1=$!
SLURM_ARRAY_TASK_ID=6 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_COUNT=2 \
  "$NN_CMD" sweep "$T/sh.cfg" -j 1 -o "$T/j" > /dev/null 2> "$T/j2" & p2=$!
wait $p1 || fail "task 5 exit $?"
wait $p2 || fail "task 6 exit $?"
once "$T/j"
[ $(($(ran "$T/j1") + $(ran "$T/j2"))) = 12 ] || fail "the array tasks ran $(ran "$T/j1") + $(ran "$T/j2")"
# the same values either way
v() { tail -n +2 "$1/trials.csv" | awk -F, -v OFS=, '{$(NF-1) = ""; print}' | sort; }
[ "$(v "$T/s")" = "$(v "$T/j")" ] || fail "shards and array tasks disagree"
"$NN_CMD" sweep "$T/sh.cfg" --shard 3/2 -o "$T/x" 2> /dev/null; [ $? = 2 ] || fail "--shard 3/2 accepted"
SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_TASK_COUNT=2 "$NN_CMD" sweep "$T/sh.cfg" -o "$T/x" 2> "$T/xe"; [ $? = 2 ] \
  || fail "inconsistent SLURM variables accepted"
[ -e "$T/x" ] && fail "a refused shard wrote a folder"
echo "sweep_shards: ok (shards ran $n1 + $n2 of 12)"
