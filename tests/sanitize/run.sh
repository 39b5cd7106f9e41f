#!/usr/bin/env bash
# run.sh BUILD_DIR [CTEST_ARGS...]: the whole suite (ctest) of a build made with
# -DNN_SANITIZE=address,undefined (make sanitize), leak detection on. Every
# sanitizer report stops its process, so the test it happens in fails.
# lsan.supp suppresses only leaks inside PLplot's font and driver loading
# (fontconfig, libltdl); none of nnlab's code is suppressed.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [CTEST_ARGS...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
ctest --output-on-failure "$@"
