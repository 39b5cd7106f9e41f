#!/usr/bin/env bash
# A trial that crashes (a plugin writing through a null pointer) or diverges
# is recorded with its status and reason and the others finish; a bad sweep
# section, a value the experiment refuses, or a folder holding another
# experiment's sweep is refused (exit 2, file:line) before any trial runs.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
FIX="$NN_FIXTURE_DIR/optim/crash.so"
[ -f "$FIX" ] || fail "no fixture $FIX"
cat > "$T/f.cfg" <<CFG
name = "f"; seed = 4;
data  = { plugin = "planar"; shape = "moons"; n_train = 60; n_val = 40; n_test = 0; noise = 0.3; seed = 1; };
model = { hidden = [4]; };
optim = { plugin = "crash"; lr = 0.3; };
train = { epochs = 200; threads = 1; log_every = 50; };
output = { plots = false; weights = false; };
sweep = { params = ( { key = "optim.crash"; values = [false, true]; },
                     { key = "optim.lr"; values = [0.3, 0.1, 1e6]; } ); };
CFG
"$NN_CMD" sweep "$T/f.cfg" --plugin-path "$NN_FIXTURE_DIR" -j 2 -o "$T/s" > "$T/out" 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "exit $rc (want 1): $(cat "$T/err")"
csv="$T/s/trials.csv"
[ "$(tail -n +2 "$csv" | wc -l)" = 6 ] || fail "rows: $(cat "$csv")"
[ "$(grep -c ',crashed,true,' "$csv")" = 3 ] || fail "crashes not recorded: $(cat "$csv")"
grep ',crashed,' "$csv" | grep -q "killed by signal 11" || fail "crash reason: $(cat "$csv")"
grep -q ",diverged,false,1000000.0," "$csv" || fail "divergence not recorded: $(cat "$csv")"
grep ',diverged,' "$csv" | grep -q "diverged at epoch" || fail "divergence reason: $(cat "$csv")"
[ "$(grep -c ',ok,false,0\.[13],' "$csv")" = 2 ] || fail "the good trials did not finish: $(cat "$csv")"
grep -q "6 of 6 trials done, 0 running, 4 failed" "$T/out" || fail "summary: $(head -4 "$T/out")"
grep "^| 1 |" "$T/out" | grep -q "| ok |$" || fail "an ok configuration is not first: $(cat "$T/out")"
grep -q "crashed: killed by signal 11" "$T/s/sweep.md" || fail "sweep.md does not show the crash"

# bad sweep sections: exit 2, file:line: key, before any trial (no folder)
i=0
check_bad() { # SECTION FRAGMENT
  i=$((i + 1))
  sed '/^sweep/,$d' "$T/f.cfg" > "$T/b$i.cfg"
  printf '%b' "$1" >> "$T/b$i.cfg"
  "$NN_CMD" sweep "$T/b$i.cfg" --plugin-path "$NN_FIXTURE_DIR" -o "$T/bad$i" > /dev/null 2> "$T/berr"; rc=$?
  [ $rc = 2 ] || fail "case $i: exit $rc (want 2): $(cat "$T/berr")"
  grep -qF -- "$2" "$T/berr" || fail "case $i: message '$(cat "$T/berr")' lacks '$2'"
  [ "$(wc -l < "$T/berr")" = 1 ] || fail "case $i: more than one line: $(cat "$T/berr")"
  [ -e "$T/bad$i" ] && fail "case $i: a folder was written"
  return 0
}
check_bad 'sweep = { method = "grid"; params = (\n { key = "optim.lr"; values = [0.1, -2.0]; } ); };\n' \
  "b1.cfg:8: sweep.params[0]: optim.lr = -2.0: -2 is outside the allowed range"
check_bad 'sweep = { methd = "random"; };\n' "b2.cfg:7: sweep.methd: unknown key; did you mean 'method'?"
check_bad 'sweep = { method = "random"; trials = 4;\n params = ( { key = "optim.lr"; log_uniform = [0.0, 1.0]; } ); };\n' \
  "b3.cfg:8: sweep.params[0].log_uniform: a log-uniform range needs lo > 0"
check_bad 'sweep = { params = (\n { key = "model.hiden"; values = ([4]); } ); };\n' \
  "b4.cfg:8: sweep.params[0]: model.hiden = [4]: unknown key; did you mean 'hidden'?"
check_bad 'sweep = { method = "random"; trials = 3; params = (\n { key = "train.batch_size"; int = [0L, 10000000000L]; } ); };\n' \
  "b5.cfg:8: sweep.params[0]: train.batch_size = 10000000000L: 10000000000 is outside the allowed range"
check_bad 'sweep = { params = ( { key = "optim.lr"; values = [0.1]; } ); repeats = 0; };\n' \
  "b6.cfg:7: sweep.repeats: 0 is outside the allowed range [1, 1000]"

# a folder that holds a sweep of another experiment is refused, nothing runs
"$NN_CMD" sweep "$T/f.cfg" --plugin-path "$NN_FIXTURE_DIR" -s data.noise=0.1 -o "$T/s" > /dev/null 2> "$T/ferr"; rc=$?
[ $rc = 2 ] || fail "foreign folder: exit $rc"
grep -q "holds a sweep of a different experiment" "$T/ferr" || fail "foreign folder message: $(cat "$T/ferr")"
[ "$(tail -n +2 "$csv" | wc -l)" = 6 ] || fail "the foreign sweep wrote rows"
# --retry-failed runs the crashed trials again (and only those)
"$NN_CMD" sweep "$T/f.cfg" --plugin-path "$NN_FIXTURE_DIR" -j 2 -o "$T/s" --retry-failed > /dev/null 2> "$T/rerr"
[ "$(grep -c "done, .* running" "$T/rerr")" = 3 ] || fail "--retry-failed: $(cat "$T/rerr")"
echo "sweep_failures: ok"
