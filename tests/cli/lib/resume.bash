# resume.bash: the body of the resume_*.sh tests (sourced). For each case
# (a label and -s overrides of the small experiment below), a run that is
# never interrupted is the reference; then the same run with checkpoints is
# killed at random moments (kill -9 and SIGTERM, alternately, at a random
# fraction of the reference's duration), resumed with --resume, killed again,
# and resumed until it completes. The final weights, best weights,
# metrics.csv and summary.json must be those of the reference bit for bit
# (the seconds column and the seconds, examples_per_second and peak_rss_mib
# fields excepted). A SIGTERM that lands during training must give exit
# status 143 and summary.json status "interrupted". Set NN_RESUME_SEED to
# replay a choice of moments (the machine's timing still varies).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
SEED=${NN_RESUME_SEED:-$$}
RANDOM=$SEED
echo "kill moments from seed $SEED"

cat > "$T/resume.cfg" <<'EOF'
name = "resume"; seed = 7;
data  = { plugin = "synthetic"; features = 4; classes = 3; n_train = 120; n_val = 40; n_test = 30; };
model = { hidden = [6]; activation = "tanh"; };
init  = { plugin = "he"; };
optim = { plugin = "adam"; };
reg   = ( { plugin = "dropout"; keep_prob = 0.9; } );
train = { epochs = 500; batch_size = 16; log_every = 7; };
output = { plots = false; };
EOF

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# summary.json without the fields that measure time or memory
strip_summary() { grep -v '"seconds"\|"examples_per_second"\|"peak_rss_mib"' "$1"; }
# metrics.csv without its seconds column
strip_metrics() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") s = i }
           { out = ""; for (i = 1; i <= NF; i++) if (i != s) out = out (out == "" ? "" : ",") $i; print out }' "$1"
}

same_run() { # reference folder, resumed folder, label
  local a=$1 b=$2 what=$3 f
  for f in "$a"/weights/*.npy "$a"/best_weights/*.npy; do
    [ -f "$f" ] || continue
    cmp -s "$f" "$b/${f#$a/}" || fail "$what: ${f#$a/} differs from the uninterrupted run's"
  done
  diff <(strip_metrics "$a/metrics.csv") <(strip_metrics "$b/metrics.csv") > "$T/diff" ||
    fail "$what: metrics.csv differs: $(head -4 "$T/diff")"
  diff <(strip_summary "$a/summary.json") <(strip_summary "$b/summary.json") > "$T/diff" ||
    fail "$what: summary.json differs: $(head -6 "$T/diff")"
  [ ! -e "$b/checkpoint" ] || fail "$what: checkpoint/ left after the run completed"
}

N_CASES=0 N_KILLS=0 N_TERM_STOPS=0
run_case() { # label, then -s overrides
  local label=$1; shift
  local ov=() x
  for x in "$@"; do ov+=(-s "$x"); done
  local ref="$T/$label.ref" k="$T/$label.k"
  local t0 t1 rc
  t0=$(now_ms)
  "$NN_CMD" run "$T/resume.cfg" -q -o "$ref" "${ov[@]}" > /dev/null 2> "$T/err"; rc=$?
  t1=$(now_ms)
  [ $rc = 0 ] || [ $rc = 1 ] || fail "$label: reference run exit $rc: $(cat "$T/err")"
  local dur=$(( t1 - t0 )) round sig delay pid done=0
  [ $dur -gt 20 ] || dur=20
  for round in 1 2; do
    if [ $(( (RANDOM + round) % 2 )) = 0 ]; then sig=KILL; else sig=TERM; fi
    delay=$(( dur * (5 + RANDOM % 90) / 100 ))
    "$NN_CMD" run "$T/resume.cfg" -q -o "$k" --resume -s train.checkpoint_every=61 "${ov[@]}" \
      > /dev/null 2> "$T/err.$round" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -$sig $pid 2> /dev/null
    { wait $pid; } 2> /dev/null; rc=$?
    N_KILLS=$((N_KILLS + 1))
    if [ $rc = 0 ] || [ $rc = 1 ]; then done=1; break; fi # it finished first
    if [ $sig = KILL ]; then
      [ $rc = 137 ] || fail "$label: kill -9 gave exit $rc: $(cat "$T/err.$round")"
    else
      [ $rc = 143 ] || fail "$label: SIGTERM gave exit $rc: $(cat "$T/err.$round")"
      if grep -q '"status": "interrupted"' "$k/summary.json" 2> /dev/null &&
         grep -q "stopped by SIGTERM" "$T/err.$round"; then
        N_TERM_STOPS=$((N_TERM_STOPS + 1))
        [ -f "$k/checkpoint/state.bin" ] || fail "$label: interrupted without checkpoint/state.bin"
      fi
    fi
  done
  if [ $done = 0 ]; then
    "$NN_CMD" run "$T/resume.cfg" -q -o "$k" --resume -s train.checkpoint_every=61 "${ov[@]}" \
      > /dev/null 2> "$T/err"; rc=$?
    [ $rc = 0 ] || [ $rc = 1 ] || fail "$label: final --resume exit $rc: $(cat "$T/err")"
  fi
  same_run "$ref" "$k" "$label"
  N_CASES=$((N_CASES + 1))
  rm -rf "$ref" "$k"
}

report() {
  echo "$N_CASES cases bit-identical after $N_KILLS kills ($N_TERM_STOPS SIGTERM stops during training with a checkpoint)"
}
