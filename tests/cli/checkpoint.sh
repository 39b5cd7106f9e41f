#!/usr/bin/env bash
# Checkpoints: train.checkpoint_every writes checkpoint/ (state.bin) and a
# completed run removes it; SIGINT and SIGTERM stop a run with exit 130 and
# 143, status "interrupted", a checkpoint and a message saying how to go on;
# --resume then gives the uninterrupted run's bits. Refused, exit 2, with a
# message and nothing changed: a checkpoint of another experiment (naming
# the first key that differs), of other data, a corrupt, truncated, empty or
# foreign state.bin (checksum), --force with --resume. --resume without a
# checkpoint starts the run again (or, on a complete run, does nothing);
# a dead process's checkpoint.tmp.<pid>/ is removed.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/e.cfg" <<'EOF'
name = "ck"; seed = 5;
data  = { plugin = "csv"; x_train = "data.csv"; x_val = "val.csv"; label_column = 2; };
model = { hidden = [5]; activation = "tanh"; };
init  = { plugin = "he"; };
optim = { plugin = "adam"; lr = 0.01; };
reg   = ( { plugin = "dropout"; keep_prob = 0.8; } );
train = { epochs = 40; batch_size = 8; log_every = 1; };
output = { plots = false; };
EOF
points() { awk -v s=$1 -v n=$2 'BEGIN { srand(s); for (i = 0; i < n; i++) { x = rand(); y = rand(); print x "," y "," (x + y > 1) } }'; }
points 3 60 > "$T/data.csv"; points 4 20 > "$T/val.csv"
run() { "$NN_CMD" run "$T/e.cfg" -q "$@"; }
# waits until the run in folder $1 trains (initial_weights/ is written just before)
training() { for i in $(seq 1 500); do [ -f "$1/initial_weights/b2.npy" ] && break; sleep 0.01; done; sleep 0.02; }
LONG="-s train.epochs=12000"
strip_summary() { grep -v '"seconds"\|"examples_per_second"\|"peak_rss_mib"' "$1"; }
strip_metrics() { cut -d, -f1-6,8- "$1"; }
same() { # two run folders: final weights, metrics and summary the same
  for f in weights/W1.npy weights/b2.npy best_weights/W2.npy; do
    cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs"
  done
  diff <(strip_metrics "$1/metrics.csv") <(strip_metrics "$2/metrics.csv") > /dev/null || fail "$3: metrics.csv differs"
  diff <(strip_summary "$1/summary.json") <(strip_summary "$2/summary.json") > /dev/null || fail "$3: summary.json differs"
}
refused() { # folder, expected words...: the run is refused with exit 2, the folder unchanged
  local dir=$1; shift
  local before; before=$(find "$dir" -type f -exec md5sum {} + | sort)
  run -o "$dir" --resume > /dev/null 2> "$T/err"; local rc=$?
  [ $rc = 2 ] || fail "expected exit 2, got $rc: $(cat "$T/err")"
  for w in "$@"; do grep -qF -- "$w" "$T/err" || fail "message lacks '$w': $(cat "$T/err")"; done
  [ "$(wc -l < "$T/err")" = 1 ] || fail "more than one line: $(cat "$T/err")"
  [ "$(find "$dir" -type f -exec md5sum {} + | sort)" = "$before" ] || fail "the refused run changed $dir"
}

# the uninterrupted run; checkpoint_every writes checkpoints, which a complete run removes
run -o "$T/ref" > /dev/null || fail "reference run"
run -o "$T/every" -s train.checkpoint_every=4 > /dev/null || fail "run with checkpoint_every"
[ ! -e "$T/every/checkpoint" ] || fail "a complete run kept its checkpoint"
same "$T/ref" "$T/every" "checkpoint_every"
grep -q "checkpoint_every = 4" "$T/every/config.cfg" || fail "config.cfg lacks checkpoint_every"

# a checkpoint at every epoch, seen while the run goes on: state.bin is whole at any moment
"$NN_CMD" run "$T/e.cfg" -q -o "$T/watch" -s train.epochs=3000 -s train.checkpoint_every=1 > /dev/null 2>&1 & pid=$!
seen=0
for i in $(seq 1 200); do
  if [ -f "$T/watch/checkpoint/state.bin" ]; then
    cp "$T/watch/checkpoint/state.bin" "$T/snap.bin" 2> /dev/null && seen=1 && break
  fi
  sleep 0.01
done
kill -TERM $pid; wait $pid; rc=$?
[ $seen = 1 ] || fail "no checkpoint/state.bin while a run with checkpoint_every = 1 trained"
[ $rc = 143 ] || fail "SIGTERM: exit $rc"
head -c 8 "$T/snap.bin" | grep -q NNLABCK1 || fail "state.bin has no header"

# SIGINT: 130, status interrupted, the message names the way on
set -m # job control: a background job's SIGINT is not ignored
"$NN_CMD" run "$T/e.cfg" -q -o "$T/int" $LONG > /dev/null 2> "$T/err.int" & pid=$!
set +m
training "$T/int"; kill -INT $pid; wait $pid; rc=$?
[ $rc = 130 ] || fail "SIGINT: exit $rc: $(cat "$T/err.int")"
grep -q '"status": "interrupted"' "$T/int/summary.json" || fail "SIGINT: status not interrupted"
for w in "stopped by SIGINT" "--resume" "$T/int/checkpoint"; do
  grep -qF -- "$w" "$T/err.int" || fail "SIGINT message lacks '$w': $(cat "$T/err.int")"
done
[ -f "$T/int/checkpoint/state.bin" ] || fail "SIGINT: no checkpoint"
run -o "$T/int" $LONG --resume > /dev/null || fail "resume after SIGINT"
run -o "$T/int_ref" $LONG > /dev/null || fail "uninterrupted 12000 epochs"
same "$T/int_ref" "$T/int" "resume after SIGINT"
[ ! -e "$T/int/checkpoint" ] || fail "the resumed run kept its checkpoint"

# an interrupted run to refuse things against
"$NN_CMD" run "$T/e.cfg" -q -o "$T/stop" $LONG > /dev/null 2>&1 & pid=$!
training "$T/stop"; kill -TERM $pid; wait $pid; rc=$?
[ $rc = 143 ] || fail "SIGTERM: exit $rc"
ck="$T/stop/checkpoint/state.bin"
[ -f "$ck" ] || fail "SIGTERM: no checkpoint"
cp "$ck" "$T/good.bin"
opt=$LONG
# another experiment: the first differing key, both values
run -o "$T/stop" $opt -s optim.lr=0.02 --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "other lr: exit $rc"
for w in "$ck" "another experiment" "optim.lr" "0.01" "0.02"; do
  grep -qF -- "$w" "$T/err" || fail "other lr: message lacks '$w': $(cat "$T/err")"
done
run -o "$T/stop" $opt -s 'model.hidden=[6]' --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "model.hidden" "$T/err" || fail "other hidden: exit $rc: $(cat "$T/err")"
run -o "$T/stop" -s train.epochs=12001 --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "train.epochs: 12000 in the checkpoint's experiment, 12001 in this one" "$T/err" ||
  fail "other epochs: exit $rc: $(cat "$T/err")"
# settings that change no number may differ
[ -f "$ck" ] || fail "a refused resume removed the checkpoint"
# other data: the data file changed since
cp "$T/data.csv" "$T/data.orig"
sed -i '1s/^0/1/' "$T/data.csv"
run -o "$T/stop" $opt --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "the data differ" "$T/err" || fail "other data: exit $rc: $(cat "$T/err")"
cp "$T/data.orig" "$T/data.csv"
# corrupt: one byte changed in the middle, the last byte, the header
size=$(stat -c %s "$ck")
for at in $((size / 2)) $((size - 1)) 20; do
  cp "$T/good.bin" "$ck"
  printf '\x5a' | dd of="$ck" bs=1 seek=$at conv=notrunc status=none
  cmp -s "$ck" "$T/good.bin" && printf '\x33' | dd of="$ck" bs=1 seek=$at conv=notrunc status=none
  run -o "$T/stop" $opt --resume > /dev/null 2> "$T/err"; rc=$?
  [ $rc = 2 ] && grep -qF "corrupt or truncated" "$T/err" || fail "byte $at changed: exit $rc: $(cat "$T/err")"
done
# truncated at many lengths, empty, foreign
for n in 0 7 16 17 100 $((size / 3)) $((size - 9)) $((size - 1)); do
  head -c $n "$T/good.bin" > "$ck"
  run -o "$T/stop" $opt --resume > /dev/null 2> "$T/err"; rc=$?
  [ $rc = 2 ] || fail "truncated to $n bytes: exit $rc: $(cat "$T/err")"
  grep -qF "$ck" "$T/err" || fail "truncated to $n bytes: message lacks the file: $(cat "$T/err")"
done
echo "not a checkpoint" > "$ck"
run -o "$T/stop" $opt --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "not an nnlab checkpoint" "$T/err" || fail "foreign file: exit $rc: $(cat "$T/err")"
cp "$T/good.bin" "$T/good2.bin"; cat "$T/good.bin" /dev/null > "$ck"; printf 'x' >> "$ck"
run -o "$T/stop" $opt --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -qF "corrupt or truncated" "$T/err" || fail "a byte appended: exit $rc: $(cat "$T/err")"
# the whole file again: resumes, the uninterrupted run's bits
cp "$T/good.bin" "$ck"
run -o "$T/stop" $opt --resume > /dev/null || fail "resume from the restored checkpoint"
same "$T/int_ref" "$T/stop" "resume after SIGTERM"

# --force with --resume
run -o "$T/stop" --force --resume > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -qF -- "--force and --resume" "$T/err" || fail "--force --resume: exit $rc"
# --resume on a complete run: nothing to do, exit 0, nothing changed
before=$(find "$T/ref" -type f -exec md5sum {} + | sort)
run -o "$T/ref" --resume > /dev/null 2> "$T/err" || fail "--resume on a complete run: exit $?"
grep -qF "complete" "$T/err" || fail "--resume on a complete run: $(cat "$T/err")"
[ "$(find "$T/ref" -type f -exec md5sum {} + | sort)" = "$before" ] || fail "--resume changed a complete run"
# --resume in an empty folder, and on a run that stopped before its first
# checkpoint (kill -9 early): the run starts again; of another experiment: refused
run -o "$T/fresh" --resume > /dev/null 2> "$T/err" || fail "--resume in a new folder: $(cat "$T/err")"
same "$T/ref" "$T/fresh" "--resume in a new folder"
mkdir -p "$T/early" && cp "$T/ref/config.cfg" "$T/early/" && cp -r "$T/ref/initial_weights" "$T/early/"
refused_early() {
  run -o "$T/early" -s optim.lr=0.03 --resume > /dev/null 2> "$T/err"; rc=$?
  [ $rc = 2 ] && grep -qF "optim.lr" "$T/err" || fail "early stop, other lr: exit $rc: $(cat "$T/err")"
}
refused_early
run -o "$T/early" --resume > /dev/null 2> "$T/err" || fail "--resume of an early stop: $(cat "$T/err")"
grep -qF "first epoch" "$T/err" || fail "no note that the run starts again: $(cat "$T/err")"
same "$T/ref" "$T/early" "--resume of an early stop"

# a dead process's temporary checkpoint folder goes, a checkpoint is kept whole
sh -c 'exit 0' & dead=$!; wait $dead
"$NN_CMD" run "$T/e.cfg" -q -o "$T/tidy" $LONG > /dev/null 2>&1 & pid=$!
training "$T/tidy"; kill -TERM $pid; wait $pid
mkdir -p "$T/tidy/checkpoint.tmp.$dead" && echo x > "$T/tidy/checkpoint.tmp.$dead/state.bin"
run -o "$T/tidy" $LONG --resume > /dev/null || fail "resume beside a stale temporary"
[ ! -e "$T/tidy/checkpoint.tmp.$dead" ] || fail "stale checkpoint.tmp.$dead left"
same "$T/int_ref" "$T/tidy" "resume beside a stale temporary"
echo "checkpoint refusals and signals: ok"
