#!/usr/bin/env bash
# run.sh BUILD_DIR [JOBS]: every unit test (tests/test_*, cmocka) of a normal
# build under Valgrind memcheck (make valgrind), JOBS at a time. A test passes
# when it passes and memcheck finds no error and no definite leak
# (--errors-for-leak-kinds=definite). nnlab.supp holds only reports inside
# libraries nnlab uses (OpenBLAS kernels, the dynamic loader, PLplot's font
# loading); none in nnlab's code. A test that skips itself (exit 77) is
# listed as skipped. Logs: BUILD_DIR/valgrind/<test>.log.
set -uo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR [JOBS]}" && pwd)
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "run.sh: valgrind not installed (make deps-checks)" >&2; exit 2; }
out="$build/valgrind"
mkdir -p "$out"
export NNLAB_PLUGIN_PATH= OPENBLAS_NUM_THREADS=1 VG_SUPP="$here/nnlab.supp" VG_OUT="$out"
one() {
  local t=$1 name start rc
  name=$(basename "$t")
  start=$(date +%s)
  # test_alloc counts calls to its own malloc (which calls glibc's): memcheck
  # must leave the program's malloc in place and replace only glibc's
  local own=()
  [ "$name" = test_alloc ] && own=(--soname-synonyms=somalloc=nouserintercepts)
  (cd "$(dirname "$t")" && valgrind "${own[@]}" --tool=memcheck --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=yes \
      --suppressions="$VG_SUPP" --gen-suppressions=all --num-callers=30 \
      --log-file="$VG_OUT/$name.log" "$t" >"$VG_OUT/$name.out" 2>&1)
  rc=$?
  # 77: the test skips itself (test_packgemm: memcheck's CPU has no AVX-512)
  if [ $rc -eq 77 ]; then
    printf '%-28s skipped: %s\n' "$name" "$(head -1 "$VG_OUT/$name.out")"
    return 0
  fi
  local errs
  errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$VG_OUT/$name.log" | tail -1)
  printf '%-28s %s  %4ss  memcheck errors: %s\n' "$name" \
    "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")" "$(( $(date +%s) - start ))" "${errs:-?}"
  return $rc
}
export -f one
ls "$build"/tests/test_* | grep -v '\.' | xargs -P "$jobs" -I{} bash -c 'one {}'
rc=$?
[ $rc -eq 0 ] && echo "valgrind: every unit test clean" || echo "valgrind: failures; see $out/*.log"
exit $rc
