#!/usr/bin/env bash
# Sweep benchmark (not a test): the speed-up of `nnlab sweep -j 2` over
# `-j 1` on a 24-trial sweep (experiments/moons_sweep.cfg: 12 random
# configurations x 2 seeds), twice: as the experiment is (each trial a full
# run folder with its figures and weights, short trials whose time is much
# file writing), and compute-bound (1000 epochs, no figures or weights).
# Each setting runs REPEATS times, alternating, into a fresh folder; the
# machine is shared and noisy, so the times are medians.
#
#   bash experiments/bench/sweep_bench.sh [NNLAB] [REPEATS]   (default build/nnlab, 3)
set -eu
HERE=$(cd "$(dirname "$0")/../.." && pwd)
NNLAB=${1:-$HERE/build/nnlab}
REPEATS=${2:-3}
EXP="$HERE/experiments/moons_sweep.cfg"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
[ -x "$NNLAB" ] || { echo "no $NNLAB (build first)"; exit 1; }
trials=$("$NNLAB" sweep "$EXP" --dry-run | grep -c '^[0-9a-f]\{10\},')
echo "sweep of $EXP: $trials trials, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $REPEATS repeats"

run() { # JOBS OVERRIDES... -> seconds
  local j=$1 d="$T/run_$RANDOM" t0 t1
  shift
  t0=$(date +%s.%N)
  "$NNLAB" sweep "$EXP" -j "$j" -o "$d" "$@" > /dev/null 2>&1 || true
  t1=$(date +%s.%N)
  [ "$(tail -n +2 "$d/trials.csv" 2> /dev/null | wc -l)" = "$trials" ] || { echo "a sweep did not finish"; exit 1; }
  rm -rf "$d"
  echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
bench() { # LABEL OVERRIDES...
  local label=$1 a b
  shift
  : > "$T/t1"; : > "$T/t2"
  for r in $(seq "$REPEATS"); do
    a=$(run 1 "$@"); b=$(run 2 "$@")
    printf '  %s, repeat %d: -j 1 %.1f s, -j 2 %.1f s\n' "$label" "$r" "$a" "$b"
    echo "$a" >> "$T/t1"; echo "$b" >> "$T/t2"
  done
  m1=$(median < "$T/t1"); m2=$(median < "$T/t2")
  printf '%s: -j 1 %.1f s, -j 2 %.1f s (medians): speed-up of -j 2 over -j 1: %.2fx\n' "$label" "$m1" "$m2" \
    "$(echo "$m1 / $m2" | bc -l)"
}
bench "as written"
bench "compute-bound" -s train.epochs=1000 -s output.plots=false -s output.weights=false
