#!/usr/bin/env bash
# Nothing lost, nothing repeated: a sweep killed with SIGKILL half-way (its
# trial processes die with it) and run again ends with every trial in
# trials.csv exactly once, the rows recorded before the kill untouched and
# only the missing trials run; SIGTERM stops it cleanly (exit 143) and a
# rerun finishes it; both end with the values an uninterrupted sweep gives;
# nnlab sweep --status, read while the sweep runs, counts the running trials.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
cat > "$T/rs.cfg" <<'CFG'
name = "rs"; seed = 4;
data  = { plugin = "planar"; shape = "moons"; n_train = 100; n_val = 50; n_test = 0; noise = 0.3; seed = 1; };
model = { hidden = [8]; };
optim = { plugin = "sgd"; lr = 0.3; };
train = { epochs = 4000; threads = 1; log_every = 1000; };
output = { plots = false; weights = false; };
sweep = { method = "random"; trials = 10; seed = 3; repeats = 2; metric = "val_accuracy";
          params = ( { key = "optim.lr"; log_uniform = [0.01, 1.0]; },
                     { key = "model.hidden"; choice = ( [4], [8], [8, 4] ); } ); };
CFG
rows() { [ -f "$1/trials.csv" ] && tail -n +2 "$1/trials.csv" | wc -l || echo 0; }
# the values of a trials.csv (no seconds), one line per trial, sorted
values() { tail -n +2 "$1/trials.csv" | awk -F, -v OFS=, '{$(NF-1) = ""; print}' | sort; }
wait_rows() { # DIR N: until DIR/trials.csv has N rows (at most 40 s)
  for _ in $(seq 400); do [ "$(rows "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  fail "$1: only $(rows "$1") rows after 40 s"
}

# SIGKILL half-way
"$NN_CMD" sweep "$T/rs.cfg" -j 2 -o "$T/k" > /dev/null 2> "$T/err1" &
pid=$!
wait_rows "$T/k" 4
# --status while it runs: the trials being run are the claims held. Between
# one trial's row and the next claim a worker holds none, so a loaded machine
# can catch both workers there: read it until it counts one or two (at most
# 20 reads), and never more than the two workers.
seen=0
for _ in $(seq 20); do
  "$NN_CMD" sweep --status "$T/k" > "$T/status" || fail "--status while running: exit $?"
  grep -q "of 20 trials done, [0-2] running" "$T/status" || fail "--status while running: $(head -4 "$T/status")"
  grep -q "of 20 trials done, [12] running" "$T/status" && { seen=1; break; }
  sleep 0.05
done
[ $seen = 1 ] || fail "--status never counted a running trial: $(head -4 "$T/status")"
kill -9 $pid
{ wait $pid; } 2> /dev/null
sleep 0.3
n_before=$(rows "$T/k")
[ "$n_before" -lt 20 ] || fail "the sweep finished before the kill"
cp "$T/k/trials.csv" "$T/before.csv"
pgrep -f "$T/k/trials" > /dev/null && fail "trial processes outlived the killed sweep"
"$NN_CMD" sweep "$T/rs.cfg" -j 2 -o "$T/k" > /dev/null 2> "$T/err2" || fail "rerun exit $?: $(cat "$T/err2")"
[ "$(rows "$T/k")" = 20 ] || fail "after the rerun: $(rows "$T/k") rows, want 20"
[ "$(tail -n +2 "$T/k/trials.csv" | cut -d, -f1 | sort -u | wc -l)" = 20 ] || fail "a trial twice: $(cat "$T/k/trials.csv")"
head -n $((n_before + 1)) "$T/k/trials.csv" | cmp -s - "$T/before.csv" || fail "rows recorded before the kill changed"
grep -q "$n_before already recorded" "$T/err2" || fail "rerun start: $(head -1 "$T/err2")"
ran=$(grep -c "done, .* running" "$T/err2")
[ "$ran" = $((20 - n_before)) ] || fail "the rerun ran $ran trials, want $((20 - n_before))"
[ -z "$(ls "$T/k/claims")" ] || fail "claims left: $(ls "$T/k/claims")"

# SIGTERM: a clean stop, exit 143, then a rerun finishes
"$NN_CMD" sweep "$T/rs.cfg" -j 2 -o "$T/t" > /dev/null 2> "$T/err3" &
pid=$!
wait_rows "$T/t" 3
kill -TERM $pid
wait $pid; rc=$?
[ $rc = 143 ] || fail "SIGTERM: exit $rc (want 143): $(tail -3 "$T/err3")"
grep -q "stopped by signal 15" "$T/err3" || fail "SIGTERM message: $(tail -2 "$T/err3")"
n_t=$(rows "$T/t")
[ "$n_t" -lt 20 ] || fail "finished before SIGTERM"
"$NN_CMD" sweep "$T/rs.cfg" -j 2 -o "$T/t" > /dev/null 2>&1 || fail "rerun after SIGTERM"
[ "$(rows "$T/t")" = 20 ] && [ "$(tail -n +2 "$T/t/trials.csv" | cut -d, -f1 | sort -u | wc -l)" = 20 ] \
  || fail "after SIGTERM and a rerun: $(cat "$T/t/trials.csv")"

# the same values as each other (a killed trial reran from its start)
[ "$(values "$T/k")" = "$(values "$T/t")" ] || fail "interrupted sweeps disagree: $(diff <(values "$T/k") <(values "$T/t"))"
echo "sweep_resume: ok (killed after $n_before of 20, stopped after $n_t)"
