#!/usr/bin/env bash
# A benchmark killed with SIGKILL while its trials run, then run again with
# the same command: every trial of its sweep folder is recorded exactly once,
# the rows recorded before the kill are untouched (those trials did not run
# again), no trial process outlived the kill, and the report is written.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
cp "$NN_SOURCE_DIR/experiments/benchmark/moons.cfg" "$T/moons.cfg"
# trials of a second or so: many epochs, few logged rows
B=("$NN_CMD" benchmark adam --baselines none --problem "$T/moons.cfg" --budget 6 --lr 0.001:0.1 --seeds 2 -j 2
   --no-figures -s train.epochs=3000 -s train.log_every=500 -s train.threads=1 -o "$T/k" --cache "$T/cache")
rows() { local f; f=$(ls "$T"/k/runs/moons/adam-*/trials.csv 2>/dev/null | head -1)
         [ -n "$f" ] && tail -n +2 "$f" | wc -l || echo 0; }
"${B[@]}" > /dev/null 2> "$T/err1" &
pid=$!
for _ in $(seq 600); do [ "$(rows)" -ge 2 ] && break; sleep 0.1; done
[ "$(rows)" -ge 2 ] || fail "no trials recorded after 60 s: $(cat "$T/err1")"
kill -9 $pid
{ wait $pid; } 2> /dev/null
sleep 0.3
csv=$(ls "$T"/k/runs/moons/adam-*/trials.csv)
n_before=$(rows)
[ "$n_before" -lt 8 ] || fail "the benchmark finished before the kill"
cp "$csv" "$T/before.csv"
pgrep -f "$T/k/runs" > /dev/null && fail "trial processes outlived the killed benchmark"
[ -e "$T/k/report.md" ] && fail "a report before the benchmark finished"
"${B[@]}" > /dev/null 2> "$T/err2" || fail "rerun exit $?: $(cat "$T/err2")"
[ "$(rows)" = 8 ] || fail "after the rerun: $(rows) rows, want 8 (6 learning rates + 2 seeds)"
[ "$(tail -n +2 "$csv" | cut -d, -f1 | sort -u | wc -l)" = 8 ] || fail "a trial twice: $(cat "$csv")"
head -n $((n_before + 1)) "$csv" | cmp -s - "$T/before.csv" || fail "rows recorded before the kill changed"
grep -q "$n_before already recorded" "$T"/k/runs/moons/adam-*/benchmark.log ||
  fail "the rerun did not start from the recorded trials: $(cat "$T"/k/runs/moons/adam-*/benchmark.log)"
[ -s "$T/k/report.md" ] || fail "no report after the rerun"
echo "benchmark_resume: ok ($n_before of 8 trials recorded before the kill, not run again)"
