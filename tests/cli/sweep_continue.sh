#!/usr/bin/env bash
# Successive halving goes on from the rung before: a promoted trial starts
# from the end state its configuration's trial of the previous rung left
# (nnlab run --keep-state / --continue-from) and trains only the extra
# epochs, yet trials.csv, the weights (final, best, initial), metrics.csv,
# summary.json and config.cfg of every trial are bit for bit those of the
# same sweep with sweep.continue = false (each promoted trial trained again
# from the first epoch; timings apart). The rungs (8x2 4x4 2x8 1x40) end
# where a longer run does what a run does at its own last epoch (a metrics
# row and a validation, observed by reduce-on-plateau) in every way there
# is: at epoch 4 both (log_every 3), at 8 the validation only (val_every 4),
# at 2 neither; dropout's streams and Adam's moments carry over. Then the fallbacks: a
# corrupt and a missing end state are each trained from the first epoch with
# a warning in the sweep log; an end state of another experiment is said
# once and turns going on off for the rest of the sweep; a sweep killed with
# SIGKILL while trials go on and run again runs each trial once; all end
# with the same trials.csv.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'kill -9 $(jobs -p) 2> /dev/null; rm -rf "$T"' EXIT
cat > "$T/h.cfg" <<'CFG'
name = "h"; seed = 4;
data  = { plugin = "planar"; shape = "moons"; n_train = 100; n_val = 60; n_test = 40; noise = 0.3; seed = 1; };
model = { hidden = [8]; };
optim = { plugin = "adam"; lr = 0.01;
          schedule = { type = "plateau"; monitor = "val_accuracy"; patience = 1; factor = 0.5; }; };
reg   = ( { plugin = "dropout"; keep_probs = [0.8]; } );
train = { epochs = 40; batch_size = 20; threads = 1; log_every = 3; val_every = 4; };
output = { plots = false; };
sweep = { method = "halving"; eta = 2; min_epochs = 2; metric = "val_accuracy"; repeats = 2;
          params = ( { key = "optim.lr"; values = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]; } ); };
CFG
# trials.csv without the seconds column, sorted
rows() { tail -n +2 "$1/trials.csv" | awk -F, -v OFS=, '{$(NF-1) = ""; print}' | sort; }
sweep() { "$NN_CMD" sweep "$T/h.cfg" -o "$T/$1" "${@:2}" > /dev/null 2> "$T/$1.log" || fail "sweep $1: exit $?: $(tail -3 "$T/$1.log")"; }
sweep c -j 2
sweep r -j 2 -s sweep.continue=false
grep -q "in rungs of 8x2 4x4 2x8 1x40" <("$NN_CMD" sweep "$T/h.cfg" --dry-run) || fail "rungs: $("$NN_CMD" sweep "$T/h.cfg" --dry-run | head -1)"
[ "$(rows "$T/c" | wc -l)" = 30 ] || fail "continued sweep: $(rows "$T/c" | wc -l) rows, want (8 + 4 + 2 + 1) x 2"
[ "$(rows "$T/c")" = "$(rows "$T/r")" ] || fail "trials.csv differs: $(diff <(rows "$T/r") <(rows "$T/c"))"

# every trial's folder the same, bit for bit (the seconds column of
# metrics.csv and summary.json's timings apart)
summary() { grep -v '"seconds"\|"examples_per_second"\|"peak_rss_mib"' "$1"; }
n_files=0
for d in "$T"/r/trials/*/; do
  id=$(basename "$d")
  for f in $(cd "$d" && find weights best_weights initial_weights config.cfg -type f); do
    cmp -s "$d/$f" "$T/c/trials/$id/$f" || fail "trial $id: $f differs"
    n_files=$((n_files + 1))
  done
  cmp -s <(cut -d, -f1-6,8 "$d/metrics.csv") <(cut -d, -f1-6,8 "$T/c/trials/$id/metrics.csv") \
    || fail "trial $id: metrics.csv differs: $(diff "$d/metrics.csv" "$T/c/trials/$id/metrics.csv" | head -4)"
  cmp -s <(summary "$d/summary.json") <(summary "$T/c/trials/$id/summary.json") || fail "trial $id: summary.json differs"
done
[ $n_files -ge 30 ] || fail "only $n_files files compared"

# the promoted trials went on, training only the extra epochs: each one's
# run.log names the end state of its configuration and repeat's trial of the
# rung before (trials.csv: trial,config,repeat,epochs)
prev_epochs() { case $1 in 4) echo 2 ;; 8) echo 4 ;; 40) echo 8 ;; esac; }
n_on=0
while IFS=, read -r id cfg rep ep _; do
  [ "$ep" = 2 ] && continue
  pe=$(prev_epochs "$ep")
  prev=$(awk -F, -v c="$cfg" -v r="$rep" -v e="$pe" '$2 == c && $3 == r && $4 == e {print $1}' "$T/c/trials.csv")
  [ -n "$prev" ] || fail "trial $id: no trial of config $cfg, repeat $rep at $pe epochs"
  grep -q "^nnlab: continued from $T/c/trials/$prev/continue/state.bin: epochs $((pe + 1)) to $ep trained here$" \
    "$T/c/trials/$id/run.log" || fail "trial $id did not go on from $prev: $(cat "$T/c/trials/$id/run.log")"
  grep -q "continued from" "$T/r/trials/$id/run.log" && fail "trial $id went on with sweep.continue = false"
  n_on=$((n_on + 1))
done < <(tail -n +2 "$T/c/trials.csv")
[ $n_on = 14 ] || fail "$n_on promoted trials went on, want 14"
[ "$(grep -c "went on from epoch" "$T/c.log")" = 14 ] || fail "sweep log: $(grep -c "went on from epoch" "$T/c.log") trials went on"
grep -q "go on to 4 epochs, going on from epoch 2" "$T/c.log" || fail "sweep log: $(grep 'rung 1 done' "$T/c.log")"
grep -q "go on to 4 epochs, trained again from the first epoch (sweep.continue = false)" "$T/r.log" \
  || fail "rerun log: $(grep 'rung 1 done' "$T/r.log")"
# the states: left by the trials of every rung but the last, none without going on
[ "$(ls -d "$T"/c/trials/*/continue | wc -l)" = 28 ] || fail "end states: $(ls -d "$T"/c/trials/*/continue | wc -l), want 28"
ls -d "$T"/r/trials/*/continue > /dev/null 2>&1 && fail "sweep.continue = false left end states"
# a trial folder with an end state is still a complete run: --resume does nothing
first=$(awk -F, '$4 == 2 {print $1; exit}' "$T/c/trials.csv")
"$NN_CMD" run "$T/c/trials/$first/config.cfg" -o "$T/c/trials/$first" --resume -q 2> "$T/resume.err" \
  || fail "--resume in a trial folder: $(cat "$T/resume.err")"
grep -q "the run there is complete" "$T/resume.err" || fail "--resume: $(cat "$T/resume.err")"

# killed with SIGKILL in rung 2 (trials going on die with it) and run again:
# every trial once, the same values
rowcount() { [ -f "$1/trials.csv" ] && tail -n +2 "$1/trials.csv" | wc -l || echo 0; }
"$NN_CMD" sweep "$T/h.cfg" -j 2 -o "$T/k" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do [ "$(rowcount "$T/k")" -ge 18 ] && break; sleep 0.05; done
kill -9 $pid
{ wait $pid; } 2> /dev/null
n_before=$(rowcount "$T/k")
[ "$n_before" -ge 18 ] && [ "$n_before" -lt 30 ] || fail "killed after $n_before rows (want 18 to 29)"
sweep k -j 2
[ "$(tail -n +2 "$T/k/trials.csv" | cut -d, -f1 | sort -u | wc -l)" = 30 ] && [ "$(rowcount "$T/k")" = 30 ] \
  || fail "after a kill and a rerun: $(rowcount "$T/k") rows"
[ "$(rows "$T/k")" = "$(rows "$T/r")" ] || fail "after a kill: $(diff <(rows "$T/r") <(rows "$T/k"))"

# ---- fallbacks: the same sweep folder with its rungs 2 to 4 forgotten
# (trials.csv cut to rung 1) and some end states of promoted trials spoilt
forget() { # DIR: copy of c with only the rung-1 rows
  cp -a "$T/c" "$T/$1"
  awk -F, 'NR == 1 || $4 == 2' "$T/c/trials.csv" > "$T/$1/trials.csv"
}
# the rung-1 trials of the first three promoted trials in the order they
# start (plan.csv: trial,config,repeat,rung,epochs,...)
read -r p1 p2 p3 < <(awk -F, '$4 == 1 {print $2 "," $3}' "$T/c/plan.csv" | head -3 | while IFS=, read -r cfg rep; do
  awk -F, -v c="$cfg" -v r="$rep" '$2 == c && $3 == r && $4 == 0 {printf "%s ", $1}' "$T/c/plan.csv"; done)
[ -n "$p3" ] || fail "promoted trials not found in $(cat "$T/c/plan.csv")"
poke() { printf '\001' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
forget f
poke "$T/f/trials/$p1/continue/state.bin" 300
rm -r "$T/f/trials/$p2/continue"
sweep f -j 2
[ "$(rows "$T/f")" = "$(rows "$T/r")" ] || fail "after spoilt end states: $(diff <(rows "$T/r") <(rows "$T/f"))"
grep -q "warning: trial .* could not go on from trial $p1 (.*$p1/continue/state.bin: corrupt or truncated" "$T/f.log" \
  || fail "no warning for the corrupt end state: $(grep -i warn "$T/f.log")"
grep -q "warning: trial .* could not go on from trial $p2 (.*$p2/continue/state.bin: cannot open" "$T/f.log" \
  || fail "no warning for the missing end state: $(grep -i warn "$T/f.log")"
[ "$(grep -c "warning: trial" "$T/f.log")" = 2 ] || fail "warnings: $(grep "warning" "$T/f.log")"
[ "$(grep -c "went on from epoch" "$T/f.log")" = 12 ] || fail "$(grep -c "went on from epoch" "$T/f.log") went on, want 14 - 2"

# an end state of another experiment (a whole file, optim.lr 0.5): said once,
# then the promoted trials are trained from the first epoch
forget x
"$NN_CMD" run "$T/h.cfg" -o "$T/other" -q --keep-state -s train.epochs=2 -s optim.lr=0.5 > /dev/null 2>&1 || fail "other run"
cp "$T/other/continue/state.bin" "$T/x/trials/$p1/continue/state.bin"
cp "$T/other/continue/state.bin" "$T/x/trials/$p3/continue/state.bin"
sweep x -j 1
[ "$(rows "$T/x")" = "$(rows "$T/r")" ] || fail "after a foreign end state: $(diff <(rows "$T/r") <(rows "$T/x"))"
[ "$(grep -c "trained from the first epoch from now on" "$T/x.log")" = 1 ] \
  || fail "said $(grep -c "from now on" "$T/x.log") times: $(grep -v "done, " "$T/x.log")"
grep -q "from now on: trial .* cannot go on from the end state of trial $p1 .*optim.lr: 0.5 in the checkpoint's experiment" "$T/x.log" \
  || fail "the reason: $(grep "from now on" "$T/x.log")"
grep -q "went on from epoch" "$T/x.log" && fail "a trial went on after going on was turned off"
grep -q "warning" "$T/x.log" && fail "warnings: $(grep warning "$T/x.log")"
echo "sweep_continue: ok ($n_on promoted trials went on, $n_files files equal)"
