#!/usr/bin/env bash
# nnlab benchmark spread over processes that share one output folder and
# cache, as on several machines: two --shard processes started together (and
# two ranks of mpirun, which set OMPI_COMM_WORLD_RANK/SIZE, where Open MPI is
# installed) run every trial of every sweep exactly once between them, each
# doing part of the work, and give the same results.csv (less the times,
# folders and cache flags) as one process; bad shard settings are refused.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
cp "$NN_SOURCE_DIR/experiments/benchmark/moons.cfg" "$T/moons.cfg"
# trials of about half a second: many epochs, few logged rows
B=("$NN_CMD" benchmark adam --baselines sgd --problem "$T/moons.cfg" --budget 4 --lr 0.001:1 --seeds 2 -j 1
   --no-figures -s train.epochs=1500 -s train.log_every=500 -s train.threads=1)
# results.csv without the columns of times (seconds, seconds_to_target), folders
# and "cached" (a shard that reaches a baseline the other shard has finished
# finds it in the cache: which one does depends on timing)
res() { awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /seconds|^dir$|^cached$/) drop[i] = 1 }
                          { s = ""; for (i = 1; i <= NF; i++) if (!drop[i]) s = s $i ","; print s }' "$1/results.csv"; }
once() { # DIR CACHE: 6 trials (4 learning rates, 2 seeds) in each sweep folder, each once, no claim left
  local f
  for f in "$1"/runs/moons/adam-*/trials.csv "$2"/moons/sgd-*/trials.csv; do
    [ -f "$f" ] || fail "no $f"
    [ "$(tail -n +2 "$f" | wc -l)" = 6 ] || fail "$f: rows $(cat "$f")"
    [ "$(tail -n +2 "$f" | cut -d, -f1 | sort -u | wc -l)" = 6 ] || fail "$f: a trial twice"
    [ -z "$(ls "$(dirname "$f")/claims")" ] || fail "$(dirname "$f"): claims left"
  done
}
ran() { cat "$1"/runs/moons/adam-*/benchmark-shard"$3".log "$2"/moons/sgd-*/benchmark-shard"$3".log 2> /dev/null |
        grep -c "(trial .*: ok"; }

"${B[@]}" -o "$T/one" --cache "$T/c1" > /dev/null 2> "$T/e0" || fail "one process: exit $?: $(cat "$T/e0")"

"${B[@]}" --shard 1/2 -o "$T/s" --cache "$T/c2" > /dev/null 2> "$T/e1" & p1=$!
"${B[@]}" --shard 2/2 -o "$T/s" --cache "$T/c2" > /dev/null 2> "$T/e2" & p2=$!
wait $p1 || fail "shard 1 exit $?: $(cat "$T/e1")"
wait $p2 || fail "shard 2 exit $?: $(cat "$T/e2")"
grep -q "shard 2 of 2" "$T/e2" || fail "shard 2 does not say so: $(head -2 "$T/e2")"
once "$T/s" "$T/c2"
n1=$(ran "$T/s" "$T/c2" 1); n2=$(ran "$T/s" "$T/c2" 2)
[ $((n1 + n2)) = 12 ] || fail "the shards ran $n1 + $n2 trials, want 12 in all"
[ "$n1" -ge 1 ] && [ "$n2" -ge 1 ] || fail "one shard did nothing: $n1, $n2"
[ -s "$T/s/report.md" ] || fail "no report"
grep -q "in 2 shards" "$T/s/report.md" || fail "the report's protocol does not name the shards"
[ "$(res "$T/s")" = "$(res "$T/one")" ] || fail "shards and one process disagree: $(diff <(res "$T/s") <(res "$T/one"))"

mpi=skipped
if command -v mpirun > /dev/null; then
  root=(); [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
  mpirun -np 2 --oversubscribe "${root[@]}" "${B[@]}" -o "$T/m" --cache "$T/c3" > /dev/null 2> "$T/em" ||
    fail "mpirun: exit $?: $(tail -5 "$T/em")"
  once "$T/m" "$T/c3"
  m1=$(ran "$T/m" "$T/c3" 1); m2=$(ran "$T/m" "$T/c3" 2)
  [ $((m1 + m2)) = 12 ] || fail "the ranks ran $m1 + $m2 trials, want 12 in all"
  [ "$(res "$T/m")" = "$(res "$T/one")" ] || fail "mpirun and one process disagree"
  mpi="mpirun ranks ran $m1 + $m2"
fi

for bad in 3/2 0/2 1/0 x 1/2/3 /2; do
  "${B[@]}" --shard "$bad" -o "$T/x" > /dev/null 2> "$T/xe"; rc=$?
  [ $rc = 2 ] || fail "--shard $bad: exit $rc"
  grep -q -- "--shard: '$bad' is not I/N" "$T/xe" || fail "--shard $bad: $(cat "$T/xe")"
done
SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_TASK_COUNT=2 "${B[@]}" -o "$T/x" > /dev/null 2> "$T/xe"; [ $? = 2 ] ||
  fail "inconsistent SLURM variables accepted"
[ -e "$T/x" ] && fail "a refused shard wrote a folder"
echo "benchmark_shards: ok (shards ran $n1 + $n2 of 12 trials; $mpi)"
