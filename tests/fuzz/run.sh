#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [HARNESS...]: runs each libFuzzer harness built in
# BUILD_DIR (make fuzz) for SECONDS, one after the other, on a working corpus
# BUILD_DIR/fuzz-corpus/<harness> seeded from tests/fuzz/corpus/<harness>
# (inputs found stay there, outside the tree). A crash, leak, sanitizer report,
# timeout or out-of-memory is saved under BUILD_DIR/fuzz-artifacts/<harness>/
# and fails the run. Prints one line per harness: executions and corpus size.
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS [HARNESS...]}
secs=${2:?usage: run.sh BUILD_DIR SECONDS [HARNESS...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(experiment sweep npy csv cifar idx cache)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}
# the harnesses write their inputs to files: into memory where there is some
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OPENBLAS_NUM_THREADS=1 NNLAB_PLUGIN_PATH=
found=0
printf '%-12s %12s %10s %8s  %s\n' harness executions exec/s corpus result
for h in "${harnesses[@]}"; do
  exe="$build/tests/fuzz/fuzz_$h"
  [ -x "$exe" ] || { echo "run.sh: $exe not built (make fuzz)" >&2; exit 2; }
  work="$build/fuzz-corpus/$h" art="$build/fuzz-artifacts/$h"
  mkdir -p "$work" "$art"
  dict=()
  [ -f "$here/$h.dict" ] && dict=(-dict="$here/$h.dict")
  log="$build/fuzz-$h.log"
  "$exe" "$work" "$here/corpus/$h" "${dict[@]}" -max_total_time="$secs" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(ls "$work" | wc -l)
  if [ $rc -ne 0 ]; then
    found=1
    printf '%-12s %12s %10s %8s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "$size" "FINDING (exit $rc): $log, $art"
    grep -m5 -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | sed 's/^/    /'
  else
    printf '%-12s %12s %10s %8s  %s\n' "$h" "$execs" "$rate" "$size" "no finding"
  fi
done
exit $found
